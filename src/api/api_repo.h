/* What the repository resources share: opening a project's repository for
 * the caller with GitLab's read and write rules, the protected-branch policy
 * on every ref change (the same rules as a git push, see auth/push_rules.h),
 * push events for every change once the handler succeeds, and the Commit
 * entity. */
#ifndef KURA_API_REPO_H
#define KURA_API_REPO_H
#include <jansson.h>
#include <stddef.h>

#include "api_ctx.h"
#include "core/buf.h"
#include "git/repo_write.h"
#include "model/protected_branch.h"

struct project;
struct ref_update;

enum api_repo_mode {
	API_REPO_READ,	/* download_code: Reporter+ on private projects */
	API_REPO_WRITE,	/* push_code: Developer+, then the protected-branch rules */
};

struct api_repo {
	struct api_ctx *c;
	struct project *p;
	int level;			/* the caller's */
	struct repo *r;
	struct protected_branch_list rules;	/* loaded for writes */
	struct ref_update *changes;	/* ref changes made, for push events */
	size_t changes_nr;
	struct buf reason;		/* why the policy refused, for the client */
	int refused;			/* the policy refused a change */
};

#define API_REPO_INIT { NULL, NULL, 0, NULL, { NULL, 0 }, NULL, 0, BUF_INIT_MAX(1024), 0 }

/* Finds :id (args[0]), checks the caller's rights for mode and opens the
 * repository, installing the ref policy for writes. Answers failures itself
 * (404 invisible, 403 not allowed) and returns their code. */
int api_repo_open(struct api_ctx *c, struct api_repo *ar, enum api_repo_mode mode);
/* Records the changes made (push events, jobs, a first default branch) as
 * post-receive does for a push, then frees everything. Call on every path. */
void api_repo_close(struct api_repo *ar);

/* Answers a failed repository call: a policy refusal as 403 with its reason,
 * ERR_NOTFOUND as "404 <what> Not Found", ERR_BUSY as 409, an invalid
 * name or path as 400 with err's sentence (or "<what> is invalid"). */
void api_repo_fail(struct api_repo *ar, int ret, const char *what, const struct buf *err);

/* The caller as a commit author. */
void api_repo_ident(const struct api_repo *ar, struct repo_ident *out);

/* Is the branch protected for this caller? Fills GitLab's flags. */
struct api_branch_rules {
	int protected_, developers_can_push, developers_can_merge, can_push;
};
void api_branch_rules(const struct api_repo *ar, const char *branch, struct api_branch_rules *out);
/* Loads the protected branch rules (done by writes; reads that show the
 * flags call it). ERR_* after answering. */
int api_repo_load_rules(struct api_repo *ar);

/* GitLab's Commit entity; with stats when the commit has them. */
json_t *api_commit_json(struct api_repo *ar, const struct repo_commit *rc);
/* A project web URL plus suffix ("/-/tree/main"), as a JSON string. */
json_t *api_repo_web_url(struct api_repo *ar, const char *suffix);

/* Commits req onto the repository as the caller (author_name and
 * author_email parameters override the author). Answers failures itself. */
int api_repo_commit(struct api_repo *ar, struct repo_commit_req *req, struct repo_ref_change *out);
/* The first commit of a new project: README.md on the default branch, by
 * the caller, recorded like any write. Answers nothing. */
int api_repo_init_readme(struct api_ctx *c, int64_t project_id);
/* File content as given with encoding "text" (NULL) or "base64" into out;
 * answers 400/413 itself. */
int api_repo_content(struct api_ctx *c, const char *encoding, const char *content,
		     struct buf *out);

/* Answers 200 with raw file bytes (text/plain or application/octet-stream),
 * inline, with headers that keep browsers from rendering them as a page. */
void api_repo_raw(struct api_ctx *c, const char *name, const char *data, size_t len,
		  int binary);

/* GitLab's diff entries l->v[offset, offset+limit) (api_repo_commits.c). */
json_t *api_diffs_json(const struct repo_diff_list *l, size_t offset, size_t limit);

/* Strict base64 (RFC 4648 with padding, no whitespace) into out;
 * ERR_INVALID on junk, ERR_TOOBIG past out's max. */
int api_base64_decode(struct buf *out, const char *s, size_t n);
/* Appends the strict base64 of data to out. */
void api_base64_encode(struct buf *out, const void *data, size_t n);

#endif
