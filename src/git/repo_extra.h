/* Less common repository operations: reverting and cherry-picking a commit
 * onto a branch (in memory, through repo_ref_update and its hooks), a
 * commit's signature, blame, contributors and languages. Errors and
 * ownership as in repo_read.h and repo_write.h. */
#ifndef KURA_REPO_EXTRA_H
#define KURA_REPO_EXTRA_H
#include "repo_write.h"

#include <stddef.h>
#include <stdint.h>

#define REPO_BLAME_BYTES_MAX (1024 * 1024)	/* a larger file is not blamed */
#define REPO_CONTRIB_SCAN_MAX 5000	/* commits examined for contributors */
#define REPO_LANG_SCAN_MAX 50000	/* tree entries examined for languages */
#define REPO_LANG_MAX 64		/* languages reported */

enum repo_pick_kind { REPO_PICK_REVERT, REPO_PICK_CHERRY_PICK };

enum repo_pick_failure {
	REPO_PICK_CONFLICT = 1,	/* the change does not apply to the branch */
	REPO_PICK_EMPTY,	/* it applies but changes nothing (done already) */
};

/* Reverts or cherry-picks the commit rev onto branch (which must exist) as
 * a new commit by who, with GitLab's messages: "Revert \"<title>\"\n\nThis
 * reverts commit <sha>" and "<message>\n\n(cherry picked from commit
 * <sha>)"; a cherry-pick keeps the original author. Merge commits are taken
 * against their first parent. ERR_NOTFOUND for a missing commit or branch
 * (*failure_out 0); ERR_INVALID with *failure_out set when it does not
 * apply; the ref errors of repo_ref_update otherwise. */
int repo_pick(struct repo *r, enum repo_pick_kind kind, const char *rev, const char *branch,
	      const struct repo_ident *who, struct repo_ref_change *out, int *failure_out);

/* ---- signatures ---- */
enum repo_sig_type { REPO_SIG_PGP, REPO_SIG_SSH, REPO_SIG_X509 };

struct repo_signature {
	enum repo_sig_type type;
	char key_id[17];	/* PGP: the issuer key id, 16 uppercase hex; "" unknown */
};

/* The signature header of commit rev: ERR_NOTFOUND when unsigned. */
int repo_commit_signature(struct repo *r, const char *rev, struct repo_signature *out);
/* The issuer key id of an ASCII-armored OpenPGP signature (exposed for
 * tests): 0 and 16 hex digits in out, or ERR_INVALID. */
int repo_pgp_issuer(const char *armored, size_t len, char out[17]);

/* ---- blame ---- */
struct repo_blame_range {
	char commit_id[REPO_OID_HEX];
	size_t start_line;	/* 1-based */
	size_t lines;
};

struct repo_blame {
	struct repo_blame_range *v;
	size_t nr;
	char **lines;		/* the file's lines without their newline */
	size_t lines_nr;
};

/* Blames path at rev. ERR_NOTFOUND for a missing path, ERR_TOOBIG past
 * REPO_BLAME_BYTES_MAX, ERR_INVALID for a directory or a bad path. */
int repo_blame_file(struct repo *r, const char *rev, const char *path, struct repo_blame **out);
void repo_blame_free(struct repo_blame *b);

/* ---- contributors ---- */
struct repo_contributor {
	char *name;
	char *email;
	int64_t commits, additions, deletions;
};

struct repo_contributor_list {
	struct repo_contributor *v;
	size_t nr;
};

/* Authors of the default branch's newest REPO_CONTRIB_SCAN_MAX commits,
 * grouped by email, in first-seen order; an empty list for an empty
 * repository. */
int repo_contributors(struct repo *r, struct repo_contributor_list **out);
void repo_contributor_list_free(struct repo_contributor_list *l);

/* ---- languages ---- */
struct repo_language {
	const char *name;	/* static */
	int64_t bytes;
};

struct repo_language_list {
	struct repo_language v[REPO_LANG_MAX];
	size_t nr;
	int64_t total;		/* bytes of recognised files */
};

/* Bytes per language of the default branch's files, by file name, largest
 * first; at most REPO_LANG_SCAN_MAX tree entries are examined. */
int repo_languages(struct repo *r, struct repo_language_list *out);
/* The language of a file name, NULL when not recognised (exposed for tests). */
const char *repo_language_of(const char *name);

#endif
