/* Where repositories live: DATA/repositories/@hashed/ab/cd/<sha256(id)>.git,
 * derived from the project id only, so renames and transfers never move a
 * directory and no URL piece ever becomes part of a path. */
#ifndef KURA_REPO_STORE_H
#define KURA_REPO_STORE_H
#include <stdint.h>

struct buf;

/* Creates the storage directories under data_dir and writes the git config
 * and hooks directory every git child uses. Call once at start-up.
 * ERR_UNAVAILABLE with a sentence when the directory is not writable. */
int repo_store_init(const char *data_dir, struct buf *err);
const char *repo_store_data_dir(void);
/* Makes libgit2 read kura's global config and no system or user config,
 * as the git children do, and bounds its memory (call after
 * repo_store_init). */
void repo_store_isolate_libgit2(void);
/* The running kura binary's path (for git's hooks to fall back on). */
const char *repo_store_exe(void);
/* Links DATA/git/hooks/pre-receive and post-receive to kura-hook next to
 * the running binary, or to the binary itself. */
int repo_store_install_hooks(void);
/* Both hooks are in place and executable (checked before every push). */
int repo_store_hooks_ready(void);
/* DATA/git/gitconfig: the only global config git children read. */
const char *repo_store_gitconfig(void);
/* DATA/git/home: HOME for git children. */
const char *repo_store_home(void);
/* DATA/git/hooks: core.hooksPath for served repositories. */
const char *repo_store_hooks_dir(void);

void repo_store_path(struct buf *out, int64_t project_id);
/* A bare repository whose HEAD names refs/heads/<default_branch>. */
int repo_store_create(int64_t project_id, const char *default_branch);
/* Points HEAD at refs/heads/<branch>: ERR_NOTFOUND when the repository has
 * commits but not that branch. */
int repo_store_set_head(int64_t project_id, const char *branch);
/* Moves the repository to DATA/trash and deletes it from there. */
int repo_store_remove(int64_t project_id);
/* Deletes a directory tree kura wrote itself (no symlinks followed). */
int repo_store_remove_tree(const char *path);
/* Checks the storage is writable (readiness). */
int repo_store_check(void);

#endif
