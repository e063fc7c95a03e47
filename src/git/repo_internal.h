/* Shared by the repo_*.c files only: the repository handle and the helpers
 * that turn libgit2 objects and errors into kura's. Nothing outside src/git
 * includes this, so handlers never see libgit2 types. */
#ifndef KURA_REPO_INTERNAL_H
#define KURA_REPO_INTERNAL_H
#include "repo_read.h"
#include "repo_write.h"

#include <git2.h>
#include <sys/types.h>
#include <time.h>

struct repo {
	git_repository *git;
	const struct repo_ref_hooks *hooks;	/* NULL: no policy, no notification */
	void *hooks_ctx;
	int64_t project_id;	/* > 0: goes back to the pool of open repositories */
	dev_t dev;		/* the directory it was opened from, to notice a new one */
	ino_t ino;
	struct timespec mtime;
	int64_t opened_ms;
};

/* Maps a libgit2 return code to ERR_*; logs the libgit2 message at debug. */
int repo_git_err(int gerr, const char *what);

/* The commit a full ref name peels to. */
int repo_peel_ref(struct repo *r, const char *refname, git_commit **out);
/* prefix + name passes repo_refname_check and name is not empty or an option. */
int repo_short_ref_check(const char *prefix, const char *name);
/* Resolves a client revision to a commit (see repo_read.h for the rules). */
int repo_lookup_commit(struct repo *r, const char *rev, git_commit **out);
/* Fills c from commit; c is zeroed first. */
void repo_commit_fill(struct repo_commit *c, const git_commit *commit);
void repo_commit_release(struct repo_commit *c);
/* Adds additions/deletions against the first parent to c. */
int repo_commit_stats(struct repo *r, const git_commit *commit, struct repo_commit *c);
/* The id of the entry at path in commit's tree, or the zero id when absent. */
void repo_path_entry_id(const git_commit *commit, const char *path, git_oid *out);
/* git log's default order, incrementally (repo_walk.c). next gives a commit
 * the caller frees, or ERR_NOTFOUND at the end. */
struct repo_walk;
int repo_walk_new(struct repo_walk **out, struct repo *r, int first_parent);
int repo_walk_push(struct repo_walk *w, const git_oid *id);
int repo_walk_next(struct repo_walk *w, git_commit **out);
void repo_walk_free(struct repo_walk *w);
/* A signature for who at the current time; ERR_INVALID for a bad identity. */
int repo_signature_new(git_signature **out, const struct repo_ident *who);

#endif
