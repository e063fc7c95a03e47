/* Open repositories kept between requests: a handle is reused for its own
 * project only, never while another user holds it, and never for a
 * directory that replaced the one it opened (a project id reused after a
 * deletion must not see the old repository). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "git/repo_read.h"
#include "git/repo_store.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char data_dir[64];

/* One empty commit on refs/heads/main of project id's repository. */
static void add_commit(int64_t id)
{
	struct buf path = BUF_INIT;
	git_repository *git;
	git_treebuilder *tb;
	git_signature *sig;
	git_tree *tree;
	git_oid tree_id, commit_id;

	repo_store_path(&path, id);
	assert_int_equal(git_repository_open_bare(&git, path.ptr), 0);
	assert_int_equal(git_treebuilder_new(&tb, git, NULL), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, git, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "t", "t@example.com", 1, 0), 0);
	assert_int_equal(git_commit_create(&commit_id, git, "refs/heads/main", sig, sig, NULL,
					   "c\n", tree, 0, NULL), 0);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_repository_free(git);
	buf_release(&path);
}

static int setup(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	git_libgit2_init();
	snprintf(data_dir, sizeof(data_dir), "/tmp/kura-test-pool-XXXXXX");
	assert_non_null(mkdtemp(data_dir));
	assert_int_equal(repo_store_init(data_dir, &err), 0);
	buf_release(&err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	repo_pool_drain();
	assert_int_equal(repo_store_remove_tree(data_dir), 0);
	git_libgit2_shutdown();
	return 0;
}

static void test_reused_for_its_project_only(void **state)
{
	struct repo *a, *b, *again;

	(void)state;
	assert_int_equal(repo_store_create(1, "main"), 0);
	assert_int_equal(repo_store_create(2, "main"), 0);
	assert_int_equal(repo_open(&a, 1), 0);
	assert_int_equal(repo_open(&b, 1), 0);	/* a is in use: another handle */
	assert_ptr_not_equal(a, b);
	repo_close(a);
	assert_int_equal(repo_open(&again, 2), 0);
	assert_ptr_not_equal(again, a);		/* project 2 never gets 1's handle */
	repo_close(again);
	assert_int_equal(repo_open(&again, 1), 0);
	assert_ptr_equal(again, a);		/* kept, and handed out again */
	repo_close(again);
	repo_close(b);
	assert_int_equal(repo_open(&a, 3), ERR_NOTFOUND);
}

static void test_sees_changes_and_replaced_directories(void **state)
{
	struct repo *r;

	(void)state;
	assert_int_equal(repo_store_create(4, "main"), 0);
	assert_int_equal(repo_open(&r, 4), 0);
	assert_true(repo_is_empty(r));
	repo_close(r);
	add_commit(4);				/* written by someone else */
	assert_int_equal(repo_open(&r, 4), 0);
	assert_false(repo_is_empty(r));
	repo_close(r);
	/* Deleted, and a new repository at the same path. */
	assert_int_equal(repo_store_remove(4), 0);
	assert_int_equal(repo_store_create(4, "main"), 0);
	assert_int_equal(repo_open(&r, 4), 0);
	assert_true(repo_is_empty(r));
	repo_close(r);
}

static void test_handles_expire(void **state)
{
	struct repo *r, *again;

	(void)state;
	assert_int_equal(repo_store_create(5, "main"), 0);
	assert_int_equal(repo_open(&r, 5), 0);
	repo_close(r);
	usleep(2100 * 1000);			/* past the 2 s lifetime */
	repo_pool_sweep();			/* what the server does every second */
	assert_int_equal(repo_open(&again, 5), 0);
	repo_close(again);
	/* A fresh handle was opened (the old one was freed: ASan would see a
	 * reuse of it), and it is kept like any other. */
	assert_int_equal(repo_open(&r, 5), 0);
	assert_ptr_equal(r, again);
	repo_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reused_for_its_project_only),
		cmocka_unit_test(test_sees_changes_and_replaced_directories),
		cmocka_unit_test(test_handles_expire),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
