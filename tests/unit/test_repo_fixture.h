/* Temporary bare repositories for the repo_* tests: built with libgit2 so
 * commit times, authors and shapes are exactly what a test says, and checked
 * with the real `git fsck --strict`. */
#ifndef KURA_TEST_REPO_FIXTURE_H
#define KURA_TEST_REPO_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "git/repo_read.h"
#include "git/repo_write.h"
#include "core/buf.h"
#include "core/err.h"

#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct fx {
	char dir[64];
	git_repository *git;	/* the test's own handle, for building history */
	struct repo *r;		/* the handle under test */
};

struct fx_file {
	const char *path;
	const char *content;	/* NULL: delete path */
	size_t len;		/* 0: strlen(content) */
	unsigned mode;		/* 0: 100644 */
};

static inline void fx_open(struct fx *f)
{
	git_repository_init_options o;

	git_libgit2_init();
	snprintf(f->dir, sizeof(f->dir), "/tmp/kura-test-repo-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE;
	o.initial_head = "refs/heads/main";
	assert_int_equal(git_repository_init_ext(&f->git, f->dir, &o), 0);
	assert_int_equal(repo_open_path(&f->r, f->dir), 0);
}

static inline int fx_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fx_close(struct fx *f)
{
	repo_close(f->r);
	git_repository_free(f->git);
	nftw(f->dir, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
	git_libgit2_shutdown();
}

/* Commits files on top of parent ("" for a root) at time t and points
 * refs/heads/<branch> at it (NULL: no ref). Returns the id in out. */
static inline void fx_commit(struct fx *f, const char *branch, const char *parent,
			     const struct fx_file *files, size_t n, int64_t t,
			     const char *message, char out[REPO_OID_HEX])
{
	git_signature *sig;
	git_index *idx;
	git_commit *pc = NULL;
	git_tree *tree = NULL;
	git_oid oid, tid;

	assert_int_equal(git_index_new(&idx), 0);
	if (parent && *parent) {
		git_tree *pt;

		git_oid_fromstr(&oid, parent);
		assert_int_equal(git_commit_lookup(&pc, f->git, &oid), 0);
		assert_int_equal(git_commit_tree(&pt, pc), 0);
		assert_int_equal(git_index_read_tree(idx, pt), 0);
		git_tree_free(pt);
	}
	for (size_t i = 0; i < n; i++) {
		git_index_entry e;

		if (!files[i].content) {
			assert_int_equal(git_index_remove(idx, files[i].path, 0), 0);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.path = files[i].path;
		e.mode = files[i].mode ? files[i].mode : GIT_FILEMODE_BLOB;
		assert_int_equal(git_blob_create_from_buffer(&e.id, f->git, files[i].content,
				 files[i].len ? files[i].len : strlen(files[i].content)), 0);
		assert_int_equal(git_index_add(idx, &e), 0);
	}
	assert_int_equal(git_index_write_tree_to(&tid, idx, f->git), 0);
	assert_int_equal(git_tree_lookup(&tree, f->git, &tid), 0);
	assert_int_equal(git_signature_new(&sig, "A U Thor", "author@example.com", t, 120), 0);
	assert_int_equal(git_commit_create(&oid, f->git, NULL, sig, sig, NULL, message, tree,
					   pc ? 1 : 0, (const git_commit **)&pc), 0);
	if (branch) {
		char ref[256];
		git_reference *r = NULL;

		snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
		assert_int_equal(git_reference_create(&r, f->git, ref, &oid, 1, NULL), 0);
		git_reference_free(r);
	}
	git_oid_tostr(out, REPO_OID_HEX, &oid);
	git_signature_free(sig);
	git_tree_free(tree);
	git_commit_free(pc);
	git_index_free(idx);
}

/* Exit status of `git fsck --strict` on the repository. */
static inline int fx_fsck(struct fx *f)
{
	char gitdir[96];
	char *argv[] = { "git", gitdir, "fsck", "--strict", "--no-progress", NULL };
	char *envp[] = { "PATH=/usr/bin:/bin", "HOME=/nonexistent", "GIT_CONFIG_NOSYSTEM=1",
			 "LC_ALL=C", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;

	snprintf(gitdir, sizeof(gitdir), "--git-dir=%s", f->dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, "/usr/bin/git", &fa, NULL, argv, envp) == 0)
		waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
