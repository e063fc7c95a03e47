/* Diffs, compare, merge-base and archives: GitLab's diff entry shape (hunks
 * from "@@", modes, new/renamed/deleted flags, binary files named), the byte
 * budget, and archives that are byte-identical across runs with arguments a
 * client cannot turn into options or pathspec magic. */
#include "test_repo_fixture.h"
#include "core/strvec.h"

struct hist {
	char c1[REPO_OID_HEX], c2[REPO_OID_HEX], side[REPO_OID_HEX];
};

static void build(struct fx *f, struct hist *h)
{
	static const char bin1[] = { 0, 1, 2, 3 }, bin2[] = { 0, 1, 2, 4 };
	const struct fx_file one[] = {
		{ "keep.txt", "a\nb\nc\n", 0, 0 }, { "old.txt", "x\n", 0, 0 },
		{ "move-me.txt", "one\ntwo\nthree\nfour\nfive\n", 0, 0 },
		{ "img.bin", bin1, sizeof(bin1), 0 }, { "noeol", "end", 0, 0 },
	};
	const struct fx_file two[] = {
		{ "keep.txt", "a\nB\nc\n", 0, 0 }, { "old.txt", NULL, 0, 0 },
		{ "move-me.txt", NULL, 0, 0 }, { "moved.txt", "one\ntwo\nthree\nfour\nfive\n", 0, 0 },
		{ "img.bin", bin2, sizeof(bin2), 0 }, { "new.sh", "#!/bin/sh\n", 0,
		  GIT_FILEMODE_BLOB_EXECUTABLE }, { "noeol", "end2", 0, 0 },
	};
	const struct fx_file side[] = { { "side.txt", "s\n", 0, 0 } };

	fx_commit(f, NULL, "", one, 5, 1000, "one", h->c1);
	fx_commit(f, "main", h->c1, two, 7, 2000, "two", h->c2);
	fx_commit(f, "side", h->c1, side, 1, 1500, "side", h->side);
}

static const struct repo_diff *find(const struct repo_diff_list *l, const char *new_path)
{
	for (size_t i = 0; i < l->nr; i++)
		if (!strcmp(l->v[i].new_path, new_path))
			return &l->v[i];
	fail_msg("no diff for %s", new_path);
	return NULL;
}

static void test_commit_diff_shape(void **state)
{
	struct repo_diff_list *l = NULL;
	const struct repo_diff *d;
	struct fx f;
	struct hist h;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	assert_int_equal(repo_commit_diff(f.r, "main", NULL, &l), 0);
	assert_int_equal(l->overflow, 0);
	d = find(l, "keep.txt");
	assert_string_equal(d->diff, "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
	assert_int_equal(d->a_mode, 0100644);
	assert_int_equal(d->new_file | d->deleted_file | d->renamed_file, 0);
	d = find(l, "old.txt");
	assert_int_equal(d->deleted_file, 1);
	assert_int_equal(d->b_mode, 0);
	d = find(l, "moved.txt");
	assert_int_equal(d->renamed_file, 1);
	assert_string_equal(d->old_path, "move-me.txt");
	assert_string_equal(d->diff, "");
	d = find(l, "new.sh");
	assert_int_equal(d->new_file, 1);
	assert_int_equal(d->a_mode, 0);
	assert_int_equal(d->b_mode, 0100755);
	assert_string_equal(d->diff, "@@ -0,0 +1 @@\n+#!/bin/sh\n");
	d = find(l, "img.bin");
	assert_int_equal(d->is_binary, 1);
	assert_string_equal(d->diff, "Binary files a/img.bin and b/img.bin differ\n");
	d = find(l, "noeol");
	assert_string_equal(d->diff, "@@ -1 +1 @@\n-end\n\\ No newline at end of file\n"
			     "+end2\n\\ No newline at end of file\n");
	assert_int_equal(l->additions, 3);
	assert_int_equal(l->deletions, 3);
	repo_diff_list_free(l);

	/* A root commit diffs against the empty tree. */
	assert_int_equal(repo_commit_diff(f.r, h.c1, NULL, &l), 0);
	assert_int_equal(l->nr, 5);
	for (size_t i = 0; i < l->nr; i++)
		assert_int_equal(l->v[i].new_file, 1);
	repo_diff_list_free(l);
	assert_int_equal(repo_commit_diff(f.r, "nosuch", NULL, &l), ERR_NOTFOUND);
	assert_int_equal(repo_commit_diff(f.r, "-p", NULL, &l), ERR_INVALID);
	fx_close(&f);
}

static void test_diff_caps(void **state)
{
	struct repo_diff_opts o = { 0 };
	struct repo_diff_list *l = NULL;
	size_t too_large = 0, text = 0;
	struct fx f;
	struct hist h;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	o.max_bytes = 40;	/* room for one small hunk, not all */
	assert_int_equal(repo_commit_diff(f.r, "main", &o, &l), 0);
	assert_int_equal(l->overflow, 1);
	for (size_t i = 0; i < l->nr; i++) {
		too_large += l->v[i].too_large;
		text += strlen(l->v[i].diff);
		if (l->v[i].too_large)
			assert_string_equal(l->v[i].diff, "");
	}
	assert_true(too_large > 0);
	assert_true(text <= 40);
	repo_diff_list_free(l);
	o.max_bytes = 0;
	o.max_files = 2;
	assert_int_equal(repo_commit_diff(f.r, "main", &o, &l), 0);
	assert_int_equal(l->nr, 2);
	assert_int_equal(l->overflow, 1);
	repo_diff_list_free(l);
	fx_close(&f);
}

static void test_compare_and_merge_base(void **state)
{
	const char *revs[] = { "main", "side" };
	const char *bad[] = { "main", "-x" };
	struct repo_compare *c = NULL;
	char base[REPO_OID_HEX];
	struct fx f;
	struct hist h;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	assert_int_equal(repo_merge_base(f.r, revs, 2, base), 0);
	assert_string_equal(base, h.c1);
	assert_int_equal(repo_merge_base(f.r, revs, 1, base), ERR_INVALID);
	assert_int_equal(repo_merge_base(f.r, bad, 2, base), ERR_INVALID);

	/* side...main: only main's changes since the fork. */
	assert_int_equal(repo_compare(f.r, "side", "main", 0, NULL, &c), 0);
	assert_int_equal(c->same_ref, 0);
	assert_int_equal(c->commits->nr, 1);
	assert_string_equal(c->commits->v[0].id, h.c2);
	assert_non_null(c->commit);
	assert_string_equal(c->commit->id, h.c2);
	for (size_t i = 0; i < c->diffs->nr; i++)
		assert_string_not_equal(c->diffs->v[i].new_path, "side.txt");
	repo_compare_free(c);
	/* side..main straight: side.txt disappears too. */
	assert_int_equal(repo_compare(f.r, "side", "main", 1, NULL, &c), 0);
	assert_non_null(find(c->diffs, "side.txt"));
	assert_int_equal(find(c->diffs, "side.txt")->deleted_file, 1);
	repo_compare_free(c);
	assert_int_equal(repo_compare(f.r, "main", "main", 0, NULL, &c), 0);
	assert_int_equal(c->same_ref, 1);
	assert_int_equal(c->commits->nr, 0);
	assert_null(c->commit);
	assert_int_equal(c->diffs->nr, 0);
	repo_compare_free(c);
	assert_int_equal(repo_compare(f.r, h.c1, "main", 0, NULL, &c), 0);
	assert_int_equal(c->commits->nr, 1);
	repo_compare_free(c);
	assert_int_equal(repo_compare(f.r, "nosuch", "main", 0, NULL, &c), ERR_NOTFOUND);
	assert_int_equal(repo_compare(f.r, "main", "--output=x", 0, NULL, &c), ERR_INVALID);
	fx_close(&f);
}

static void test_archive_formats_and_prefix(void **state)
{
	static const char *const ok[] = { "tar.gz", "tgz", "gz", "tar.bz2", "tbz", "tbz2", "tb2",
					  "bz2", "tar", "zip" };
	enum repo_archive_format fmt;
	struct buf p = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(repo_archive_format_parse(ok[i], &fmt), 0);
	assert_int_equal(repo_archive_format_parse("tar.xz", &fmt), ERR_INVALID);
	assert_int_equal(repo_archive_format_parse("", &fmt), ERR_INVALID);
	assert_int_equal(repo_archive_format_parse(NULL, &fmt), ERR_INVALID);
	repo_archive_prefix(&p, "proj", "feature/x", "abc", NULL);
	assert_string_equal(p.ptr, "proj-feature-x-abc/");
	buf_reset(&p);
	repo_archive_prefix(&p, "proj", "main", "abc", "src/lib");
	assert_string_equal(p.ptr, "proj-main-abc-src-lib/");
	buf_release(&p);
}

static void test_archive_argv_refusals(void **state)
{
	static const char sha[] = "0123456789abcdef0123456789abcdef01234567";
	struct strvec av = STRVEC_INIT;

	(void)state;
	assert_int_equal(repo_archive_argv(&av, REPO_ARCHIVE_TAR, "main", "p/", NULL), ERR_INVALID);
	assert_int_equal(repo_archive_argv(&av, REPO_ARCHIVE_TAR, "-x", "p/", NULL), ERR_INVALID);
	assert_int_equal(repo_archive_argv(&av, REPO_ARCHIVE_TAR, sha, "p/", "../x"), ERR_INVALID);
	assert_int_equal(repo_archive_argv(&av, REPO_ARCHIVE_TAR, sha, "p/", ".git"), ERR_INVALID);
	assert_int_equal(repo_archive_argv(&av, REPO_ARCHIVE_TAR, sha, "p\n/", NULL), ERR_INVALID);
	assert_int_equal(av.nr, 0);
	assert_int_equal(repo_archive_argv(&av, REPO_ARCHIVE_TAR, sha, "p/", "-dir/"), 0);
	assert_string_equal(av.v[0], "--literal-pathspecs");
	assert_string_equal(av.v[av.nr - 3], "--end-of-options");
	assert_string_equal(av.v[av.nr - 2], sha);
	assert_string_equal(av.v[av.nr - 1], "-dir");
	strvec_release(&av);
}

/* Runs git with GIT_DIR=dir and the archive arguments; returns the output. */
static void run_archive(const char *dir, struct strvec *args, struct buf *out)
{
	struct strvec argv = STRVEC_INIT, envp = STRVEC_INIT;
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	char chunk[65536];
	ssize_t n;
	pid_t pid;

	strvec_push(&argv, "git");
	for (size_t i = 0; i < args->nr; i++)
		strvec_push(&argv, args->v[i]);
	strvec_pushf(&envp, "GIT_DIR=%s", dir);
	strvec_push(&envp, "PATH=/usr/bin:/bin");
	strvec_push(&envp, "HOME=/nonexistent");
	strvec_push(&envp, "GIT_CONFIG_NOSYSTEM=1");
	assert_int_equal(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	assert_int_equal(posix_spawn(&pid, "/usr/bin/git", &fa, NULL, argv.v, envp.v), 0);
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	close(fds[0]);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	posix_spawn_file_actions_destroy(&fa);
	strvec_release(&argv);
	strvec_release(&envp);
}

static void test_archives_are_byte_identical(void **state)
{
	static const enum repo_archive_format fmts[] = {
		REPO_ARCHIVE_TAR, REPO_ARCHIVE_TAR_GZ, REPO_ARCHIVE_TAR_BZ2, REPO_ARCHIVE_ZIP,
	};
	struct fx f;
	struct hist h;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct strvec av = STRVEC_INIT;
		struct buf a = BUF_INIT, b = BUF_INIT;

		assert_int_equal(repo_archive_argv(&av, fmts[i], h.c2, "proj-main-x/", NULL), 0);
		run_archive(f.dir, &av, &a);
		sleep(i == 0 ? 1 : 0);	/* a wall-clock mtime would show up now */
		run_archive(f.dir, &av, &b);
		assert_true(a.len > 0);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.ptr, b.ptr, a.len);
		buf_release(&a);
		buf_release(&b);
		strvec_release(&av);
	}
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_diff_shape),
		cmocka_unit_test(test_diff_caps),
		cmocka_unit_test(test_compare_and_merge_base),
		cmocka_unit_test(test_archive_formats_and_prefix),
		cmocka_unit_test(test_archive_argv_refusals),
		cmocka_unit_test(test_archives_are_byte_identical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
