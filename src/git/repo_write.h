/* Writing repositories in-process with libgit2: commits from file actions,
 * branches and tags. Objects are written through libgit2's object database
 * and every ref change goes through repo_ref_update(), a compare-and-swap on
 * the ref's old value under git's lock file, so two writers can never lose
 * each other's update and no ref file is ever written by hand.
 *
 * Errors: ERR_INVALID for a bad name, path, identity or message (with a
 * sentence in err where the function takes one); ERR_NOTFOUND for a missing
 * ref, start point or file; ERR_EXISTS for an existing branch, tag or file;
 * ERR_BUSY when the ref moved under us (compare-and-swap failed) or a file's
 * last_commit_id is stale: the caller may re-read and retry; ERR_DENIED when
 * the ref hooks refuse; ERR_INTERNAL for I/O failures.
 *
 * Every write reports the ref it changed in struct repo_ref_change. */
#ifndef KURA_REPO_WRITE_H
#define KURA_REPO_WRITE_H
#include "repo_read.h"
#include "core/limits.h"

#include <stddef.h>

#define REPO_ZERO_OID "0000000000000000000000000000000000000000"
#define REPO_MESSAGE_MAX (1024 * 1024)	/* commit and tag messages */
#define REPO_IDENT_MAX 255		/* author name and email */
#define REPO_ACTIONS_MAX 10000		/* file actions in one commit */

struct repo_ref_change {
	char refname[LIMIT_REF_NAME + 1];
	char old_id[REPO_OID_HEX];	/* REPO_ZERO_OID when the ref was created */
	char new_id[REPO_OID_HEX];	/* REPO_ZERO_OID when the ref was deleted */
};

/* Policy and notification for ref changes (protected branches, push events).
 * check runs before the update and may refuse it with a negative ERR_* (it
 * is passed through unchanged); updated runs after a successful update. Both
 * may be NULL. The strings are 40-hex ids, REPO_ZERO_OID for none. */
struct repo_ref_hooks {
	int (*check)(void *ctx, const char *refname, const char *old_id, const char *new_id);
	void (*updated)(void *ctx, const struct repo_ref_change *change);
};

/* Attaches hooks (borrowed, must outlive r) to every later ref update on r. */
void repo_set_ref_hooks(struct repo *r, const struct repo_ref_hooks *hooks, void *ctx);

/* The single way kura changes a ref. old_id NULL or REPO_ZERO_OID: the ref
 * must not exist (ERR_EXISTS). new_id NULL or REPO_ZERO_OID: delete the ref,
 * which must be at old_id. Otherwise move the ref from old_id to new_id.
 * A ref that is not at old_id gives ERR_BUSY (ERR_NOTFOUND when it is gone).
 * refname must be a full ref name under refs/. out may be NULL. */
int repo_ref_update(struct repo *r, const char *refname, const char *old_id,
		    const char *new_id, const char *reason, struct repo_ref_change *out);

/* A name and an email: non-empty, at most REPO_IDENT_MAX bytes, no '<', '>',
 * control bytes. The time is the current time, in UTC. */
struct repo_ident {
	const char *name;
	const char *email;
};

/* Branch and tag names as clients give them: the short name must not start
 * with '-' or "refs/", must not be "HEAD" or look like a 40-hex id, and the
 * full ref name must pass repo_refname_check. ERR_INVALID otherwise. */
int repo_branch_name_check(const char *name);
int repo_tag_name_check(const char *name);

/* Creates refs/heads/name at ref. On an empty repository the default branch
 * is first created with an empty README.md in a commit "Add README.md" by
 * who, as GitLab does; ref then usually names that branch. */
int repo_branch_create(struct repo *r, const char *name, const char *ref,
		       const struct repo_ident *who, struct repo_ref_change *out);
/* Deletes a branch; expected_id NULL means "wherever it is now", still
 * compare-and-swapped against the value just read. */
int repo_branch_delete(struct repo *r, const char *name, const char *expected_id,
		       struct repo_ref_change *out);

/* Creates refs/tags/name at ref: annotated when message is non-NULL and
 * non-empty (stored verbatim, tagger is who), lightweight otherwise. */
int repo_tag_create(struct repo *r, const char *name, const char *ref, const char *message,
		    const struct repo_ident *who, struct repo_ref_change *out);
int repo_tag_delete(struct repo *r, const char *name, struct repo_ref_change *out);

enum repo_action_kind {
	REPO_ACTION_CREATE,
	REPO_ACTION_UPDATE,
	REPO_ACTION_DELETE,
	REPO_ACTION_MOVE,
	REPO_ACTION_CHMOD,
};

/* GitLab's names: "create", "update", "delete", "move", "chmod". */
int repo_action_kind_parse(const char *s, enum repo_action_kind *out);

struct repo_action {
	enum repo_action_kind kind;
	const char *path;
	const char *previous_path;	/* move: the file being moved */
	const char *content;		/* raw bytes (already base64-decoded); NULL: none */
	size_t content_len;
	int execute_filemode;		/* -1 keep, 0 regular, 1 executable */
	const char *last_commit_id;	/* NULL, or the newest commit the client saw change
					 * path: ERR_BUSY when another commit changed it since */
};

struct repo_commit_req {
	const char *branch;		/* the branch the commit lands on */
	const char *start_branch;	/* NULL: branch itself; else branch must not exist */
	const char *message;		/* stored verbatim: no newline added or stripped */
	struct repo_ident author;
	struct repo_ident committer;	/* name NULL: the author */
	const struct repo_action *actions;
	size_t actions_nr;
};

/* Applies the actions in order to the start tree and commits the result onto
 * branch. On an empty repository the commit is a root commit on branch. The
 * ref moves by compare-and-swap from the start commit, so a concurrent change
 * of the branch gives ERR_BUSY and nothing is lost. */
int repo_commit_create(struct repo *r, const struct repo_commit_req *req,
		       struct repo_ref_change *out, struct buf *err);

#endif
