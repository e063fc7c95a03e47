/* Writing repositories: commits from every file action, their refusals
 * (existing and missing files, hostile paths), verbatim messages, the
 * compare-and-swap on the branch, last_commit_id locking, start_branch,
 * branches and tags, the empty-repository rules, the ref hooks, and that
 * everything written passes `git fsck --strict`. */
#include "test_repo_fixture.h"

static const struct repo_ident who = { "Jane Doe", "jane@example.com" };

static int commit1(struct fx *f, const char *branch, enum repo_action_kind kind,
		   const char *path, const char *content, struct repo_ref_change *out)
{
	struct repo_action a = { 0 };
	struct repo_commit_req req = { 0 };
	struct buf err = BUF_INIT;
	int ret;

	a.kind = kind;
	a.path = path;
	a.content = content;
	a.content_len = content ? strlen(content) : 0;
	a.execute_filemode = -1;
	req.branch = branch;
	req.message = "msg";
	req.author = who;
	req.actions = &a;
	req.actions_nr = 1;
	ret = repo_commit_create(f->r, &req, out, &err);
	if (ret < 0)
		assert_true(err.len > 0);	/* every refusal says why */
	buf_release(&err);
	return ret;
}

static char *file_content(struct fx *f, const char *rev, const char *path)
{
	struct repo_file *file = NULL;
	char *s;

	if (repo_file_get(f->r, rev, path, 1 << 20, &file) < 0)
		return NULL;
	s = strdup(file->blob.content);
	repo_file_free(file);
	return s;
}

static void test_first_commit_on_empty_repo(void **state)
{
	struct repo_ref_change ch;
	struct repo_commit *c = NULL;
	struct fx f;
	char *s;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "hello.txt", "hi\n", &ch), 0);
	assert_string_equal(ch.refname, "refs/heads/main");
	assert_string_equal(ch.old_id, REPO_ZERO_OID);
	assert_int_equal(strlen(ch.new_id), 40);
	assert_int_equal(repo_commit_get(f.r, "main", 0, &c), 0);
	assert_string_equal(c->id, ch.new_id);
	assert_int_equal(c->parents_nr, 0);
	assert_string_equal(c->author.name, "Jane Doe");
	assert_string_equal(c->committer.email, "jane@example.com");
	repo_commit_free(c);
	s = file_content(&f, "main", "hello.txt");
	assert_string_equal(s, "hi\n");
	free(s);
	assert_int_equal(fx_fsck(&f), 0);
	fx_close(&f);
}

static void test_every_action(void **state)
{
	struct repo_action acts[6];
	struct repo_commit_req req = { 0 };
	struct repo_ref_change ch, ch2;
	struct repo_file *file = NULL;
	struct buf err = BUF_INIT;
	struct fx f;
	char *s;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "a.txt", "a\n", &ch), 0);
	memset(acts, 0, sizeof(acts));
	for (size_t i = 0; i < 6; i++)
		acts[i].execute_filemode = -1;
	acts[0].kind = REPO_ACTION_CREATE;
	acts[0].path = "dir/sub/new.sh";
	acts[0].content = "#!/bin/sh\n";
	acts[0].content_len = 10;
	acts[0].execute_filemode = 1;
	acts[1].kind = REPO_ACTION_UPDATE;
	acts[1].path = "a.txt";
	acts[1].content = "A\n";
	acts[1].content_len = 2;
	acts[2].kind = REPO_ACTION_MOVE;
	acts[2].previous_path = "a.txt";
	acts[2].path = "moved/a.txt";
	acts[3].kind = REPO_ACTION_CREATE;
	acts[3].path = "gone.txt";
	acts[3].content = "";
	acts[4].kind = REPO_ACTION_DELETE;
	acts[4].path = "gone.txt";
	acts[5].kind = REPO_ACTION_CHMOD;
	acts[5].path = "moved/a.txt";
	acts[5].execute_filemode = 1;
	req.branch = "main";
	req.message = "Several things\n\n  indented body\n\n\n";
	req.author = who;
	req.committer.name = "Bot";
	req.committer.email = "bot@example.com";
	req.actions = acts;
	req.actions_nr = 6;
	assert_int_equal(repo_commit_create(f.r, &req, &ch2, &err), 0);
	assert_string_equal(ch2.old_id, ch.new_id);
	s = file_content(&f, "main", "moved/a.txt");
	assert_string_equal(s, "A\n");
	free(s);
	assert_null(file_content(&f, "main", "a.txt"));
	assert_null(file_content(&f, "main", "gone.txt"));
	assert_int_equal(repo_file_get(f.r, "main", "moved/a.txt", 0, &file), 0);
	assert_int_equal(file->mode, 0100755);
	assert_int_equal(repo_last_commit_for_path(f.r, file->commit_id, "moved/a.txt",
						   file->last_commit_id), 0);
	assert_string_equal(file->last_commit_id, ch2.new_id);
	repo_file_free(file);
	assert_int_equal(repo_file_get(f.r, "main", "dir/sub/new.sh", 0, &file), 0);
	assert_int_equal(file->mode, 0100755);
	repo_file_free(file);
	{
		struct repo_commit *c = NULL;

		assert_int_equal(repo_commit_get(f.r, ch2.new_id, 0, &c), 0);
		assert_string_equal(c->message, "Several things\n\n  indented body\n\n\n");
		assert_string_equal(c->committer.name, "Bot");
		assert_string_equal(c->author.name, "Jane Doe");
		repo_commit_free(c);
	}
	/* A move that also changes content. */
	acts[0].kind = REPO_ACTION_MOVE;
	acts[0].previous_path = "moved/a.txt";
	acts[0].path = "b.txt";
	acts[0].content = "B\n";
	acts[0].content_len = 2;
	acts[0].execute_filemode = -1;
	req.actions_nr = 1;
	req.message = "no newline";
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), 0);
	s = file_content(&f, "main", "b.txt");
	assert_string_equal(s, "B\n");
	free(s);
	buf_release(&err);
	assert_int_equal(fx_fsck(&f), 0);
	fx_close(&f);
}

static void test_action_refusals(void **state)
{
	struct repo_ref_change ch;
	char before[REPO_OID_HEX], after[REPO_OID_HEX];
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "a.txt", "a", &ch), 0);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "d/f.txt", "f", &ch), 0);
	memcpy(before, ch.new_id, REPO_OID_HEX);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "a.txt", "x", NULL), ERR_EXISTS);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "d", "x", NULL), ERR_EXISTS);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "a.txt/x", "x", NULL),
			 ERR_EXISTS);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_UPDATE, "nosuch", "x", NULL),
			 ERR_NOTFOUND);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_UPDATE, "d", "x", NULL), ERR_NOTFOUND);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_UPDATE, "a.txt", NULL, NULL),
			 ERR_INVALID);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_DELETE, "nosuch", NULL, NULL),
			 ERR_NOTFOUND);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CHMOD, "a.txt", NULL, NULL),
			 ERR_INVALID);
	assert_int_equal(commit1(&f, "nosuch", REPO_ACTION_CREATE, "n", "x", NULL), ERR_NOTFOUND);
	assert_int_equal(commit1(&f, "-x", REPO_ACTION_CREATE, "n", "x", NULL), ERR_INVALID);
	assert_int_equal(commit1(&f, "a..b", REPO_ACTION_CREATE, "n", "x", NULL), ERR_INVALID);
	assert_int_equal(repo_resolve_commit(f.r, "main", after), 0);
	assert_string_equal(before, after);	/* nothing was committed */
	fx_close(&f);
}

static void test_hostile_paths_are_refused(void **state)
{
	static const char *const bad[] = {
		"../x", "a/../../b", ".git/config", ".GIT/hooks/x", "/etc/passwd", "a/./b",
		"x/.git", ".git", "GIT~1/config", ".git./x", "a//b", "", "a\\..\\b", "dir/",
	};
	static const enum repo_action_kind kinds[] = {
		REPO_ACTION_CREATE, REPO_ACTION_UPDATE, REPO_ACTION_DELETE, REPO_ACTION_CHMOD,
	};
	struct repo_action a = { 0 };
	struct repo_commit_req req = { 0 };
	struct repo_ref_change ch;
	char after[REPO_OID_HEX];
	char long_path[REPO_PATH_MAX + 16];
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "ok", "x", &ch), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (commit1(&f, "main", kinds[k], bad[i], "x", NULL) != ERR_INVALID)
				fail_msg("path \"%s\" kind %zu was not refused", bad[i], k);
	/* A move with a hostile source or destination. */
	a.kind = REPO_ACTION_MOVE;
	a.previous_path = "../ok";
	a.path = "fine";
	a.execute_filemode = -1;
	req.branch = "main";
	req.message = "m";
	req.author = who;
	req.actions = &a;
	req.actions_nr = 1;
	{
		struct buf err = BUF_INIT;

		assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
		a.previous_path = "ok";
		a.path = ".git/hooks/pre-receive";
		assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
		a.path = NULL;
		assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
		buf_release(&err);
	}
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	for (size_t i = 200; i < sizeof(long_path) - 1; i += 200)
		long_path[i] = '/';
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, long_path, "x", NULL),
			 ERR_INVALID);
	assert_int_equal(repo_resolve_commit(f.r, "main", after), 0);
	assert_string_equal(after, ch.new_id);
	assert_int_equal(fx_fsck(&f), 0);
	fx_close(&f);
}

static void test_bad_identity_and_message(void **state)
{
	struct repo_action a = { REPO_ACTION_CREATE, "x", NULL, "x", 1, -1, NULL };
	struct repo_commit_req req = { 0 };
	struct buf err = BUF_INIT;
	struct fx f;

	(void)state;
	fx_open(&f);
	req.branch = "main";
	req.actions = &a;
	req.actions_nr = 1;
	req.author = who;
	req.message = "";
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
	req.message = NULL;
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
	req.message = "m";
	req.author.name = "Evil <x@y> ";
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
	req.author.name = "Line\nBreak";
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
	req.author.name = "";
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
	req.author = who;
	req.actions_nr = 0;
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
	assert_int_equal(repo_is_empty(f.r), 1);
	buf_release(&err);
	fx_close(&f);
}

/* The hook runs between reading the branch and moving it: a perfect place
 * to play the concurrent writer. */
struct race {
	struct fx *f;
	int armed;
};

static int race_check(void *ctx, const char *refname, const char *old_id, const char *new_id)
{
	struct race *race = ctx;
	struct repo *other;
	struct repo_ref_change ch;

	(void)refname;
	(void)old_id;
	(void)new_id;
	if (!race->armed)
		return 0;
	race->armed = 0;
	assert_int_equal(repo_open_path(&other, race->f->dir), 0);
	{
		struct repo_action a = { REPO_ACTION_CREATE, "theirs", NULL, "t", 1, -1, NULL };
		struct repo_commit_req req = { 0 };
		struct buf err = BUF_INIT;

		req.branch = "main";
		req.message = "theirs";
		req.author = who;
		req.actions = &a;
		req.actions_nr = 1;
		assert_int_equal(repo_commit_create(other, &req, &ch, &err), 0);
		buf_release(&err);
	}
	repo_close(other);
	return 0;
}

static void test_concurrent_writer_is_not_lost(void **state)
{
	static const struct repo_ref_hooks hooks = { race_check, NULL };
	struct repo_ref_change ch;
	struct race race;
	struct fx f;
	char *s;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "base", "b", &ch), 0);
	race.f = &f;
	race.armed = 1;
	repo_set_ref_hooks(f.r, &hooks, &race);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "mine", "m", NULL), ERR_BUSY);
	s = file_content(&f, "main", "theirs");
	assert_non_null(s);			/* the other writer's commit stands */
	free(s);
	assert_null(file_content(&f, "main", "mine"));
	/* Retrying on the new tip succeeds. */
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "mine", "m", NULL), 0);
	assert_int_equal(fx_fsck(&f), 0);
	fx_close(&f);
}

static void test_ref_update_cas(void **state)
{
	struct repo_ref_change a, b, ch;
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "x", "1", &a), 0);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "y", "2", &b), 0);
	/* Stale old value: refused, ref untouched. */
	assert_int_equal(repo_ref_update(f.r, "refs/heads/main", a.new_id, a.new_id, "t", NULL),
			 ERR_BUSY);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/main", b.new_id, a.new_id, "t", &ch), 0);
	assert_string_equal(ch.old_id, b.new_id);
	assert_string_equal(ch.new_id, a.new_id);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/main", NULL, a.new_id, "t", NULL),
			 ERR_EXISTS);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/gone", a.new_id, b.new_id, "t", NULL),
			 ERR_NOTFOUND);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/main", b.new_id, NULL, "t", NULL),
			 ERR_BUSY);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/main", NULL, NULL, "t", NULL),
			 ERR_INVALID);
	assert_int_equal(repo_ref_update(f.r, "HEAD", a.new_id, b.new_id, "t", NULL), ERR_INVALID);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/-x", NULL, b.new_id, "t", NULL),
			 0);	/* a full name cannot become an option; short names are checked */
	assert_int_equal(repo_ref_update(f.r, "refs/heads/a..b", NULL, b.new_id, "t", NULL),
			 ERR_INVALID);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/x", NULL, "zz", "t", NULL), ERR_INVALID);
	assert_int_equal(repo_ref_update(f.r, "refs/heads/x", NULL,
					 "1111111111111111111111111111111111111111", "t", NULL),
			 ERR_INTERNAL);	/* libgit2 refuses a ref to a missing object */
	assert_int_equal(fx_fsck(&f), 0);
	fx_close(&f);
}

static void test_last_commit_id_lock(void **state)
{
	struct repo_action a = { REPO_ACTION_UPDATE, "f", NULL, "v3", 2, -1, NULL };
	struct repo_commit_req req = { 0 };
	struct repo_ref_change c1, c2;
	struct buf err = BUF_INIT;
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "f", "v1", &c1), 0);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_UPDATE, "f", "v2", &c2), 0);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "other", "o", NULL), 0);
	req.branch = "main";
	req.message = "m";
	req.author = who;
	req.actions = &a;
	req.actions_nr = 1;
	a.last_commit_id = c1.new_id;		/* stale: c2 changed f since */
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_BUSY);
	a.last_commit_id = c2.new_id;		/* "other" does not count */
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), 0);
	buf_release(&err);
	fx_close(&f);
}

static void test_start_branch(void **state)
{
	struct repo_action a = { REPO_ACTION_CREATE, "feat.txt", NULL, "f", 1, -1, NULL };
	struct repo_commit_req req = { 0 };
	struct repo_ref_change base, ch;
	struct repo_commit *c = NULL;
	struct buf err = BUF_INIT;
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "x", "1", &base), 0);
	req.branch = "feature";
	req.start_branch = "main";
	req.message = "m";
	req.author = who;
	req.actions = &a;
	req.actions_nr = 1;
	assert_int_equal(repo_commit_create(f.r, &req, &ch, &err), 0);
	assert_string_equal(ch.old_id, REPO_ZERO_OID);
	assert_int_equal(repo_commit_get(f.r, "feature", 0, &c), 0);
	assert_string_equal(c->parent_ids[0], base.new_id);
	repo_commit_free(c);
	/* The branch now exists: a different start_branch is refused. */
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_EXISTS);
	req.branch = "other";
	req.start_branch = "nosuch";
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_NOTFOUND);
	req.start_branch = "--upload-pack=x";
	assert_int_equal(repo_commit_create(f.r, &req, NULL, &err), ERR_INVALID);
	buf_release(&err);
	fx_close(&f);
}

static void test_branch_on_empty_repo_creates_readme(void **state)
{
	struct repo_ref_change ch;
	struct repo_commit *c = NULL;
	struct repo_branch_list *l = NULL;
	struct fx f;
	char *s;

	(void)state;
	fx_open(&f);
	assert_int_equal(repo_branch_create(f.r, "my.branch.name", "main", &who, &ch), 0);
	assert_string_equal(ch.refname, "refs/heads/my.branch.name");
	assert_int_equal(repo_commit_get(f.r, "main", 0, &c), 0);
	assert_string_equal(c->message, "Add README.md");
	assert_string_equal(c->id, ch.new_id);
	repo_commit_free(c);
	s = file_content(&f, "main", "README.md");
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(repo_branch_list(f.r, NULL, 0, 0, &l), 0);
	assert_int_equal(l->total, 2);
	repo_branch_list_free(l);
	assert_int_equal(fx_fsck(&f), 0);
	fx_close(&f);
}

static void test_branch_create_delete(void **state)
{
	static const char *const bad[] = {
		"", "-x", "HEAD", "refs/heads/x", "a..b", "x.lock", "a b", "a~1", "a^", "a:b",
		"x/", "/x", "a//b", "@{1}", "0123456789abcdef0123456789abcdef01234567", "a\\b",
	};
	struct repo_ref_change base, ch;
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "x", "1", &base), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (repo_branch_create(f.r, bad[i], "main", &who, NULL) != ERR_INVALID)
			fail_msg("branch name \"%s\" was accepted", bad[i]);
	assert_int_equal(repo_branch_create(f.r, "feature/x", "main", &who, &ch), 0);
	assert_string_equal(ch.new_id, base.new_id);
	assert_string_equal(ch.old_id, REPO_ZERO_OID);
	assert_int_equal(repo_branch_create(f.r, "feature/x", "main", &who, NULL), ERR_EXISTS);
	assert_int_equal(repo_branch_create(f.r, "y", "nosuch", &who, NULL), ERR_NOTFOUND);
	assert_int_equal(repo_branch_create(f.r, "y", "-main", &who, NULL), ERR_INVALID);
	assert_int_equal(repo_branch_delete(f.r, "feature/x",
					    "1111111111111111111111111111111111111111", NULL),
			 ERR_BUSY);
	assert_int_equal(repo_branch_delete(f.r, "feature/x", NULL, &ch), 0);
	assert_string_equal(ch.old_id, base.new_id);
	assert_string_equal(ch.new_id, REPO_ZERO_OID);
	assert_int_equal(repo_branch_delete(f.r, "feature/x", NULL, NULL), ERR_NOTFOUND);
	assert_int_equal(repo_branch_delete(f.r, "-x", NULL, NULL), ERR_INVALID);
	assert_int_equal(fx_fsck(&f), 0);
	fx_close(&f);
}

static void test_tags_create_delete(void **state)
{
	struct repo_ref_change base, ch;
	struct repo_tag *t = NULL;
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(commit1(&f, "main", REPO_ACTION_CREATE, "x", "1", &base), 0);
	assert_int_equal(repo_tag_create(f.r, "v1", "main", NULL, &who, &ch), 0);
	assert_string_equal(ch.new_id, base.new_id);
	assert_int_equal(repo_tag_create(f.r, "v2", "main", "Release\n\nnotes", &who, &ch), 0);
	assert_string_not_equal(ch.new_id, base.new_id);
	assert_int_equal(repo_tag_get(f.r, "v2", &t), 0);
	assert_string_equal(t->message, "Release\n\nnotes");
	assert_string_equal(t->commit.id, base.new_id);
	repo_tag_free(t);
	assert_int_equal(repo_tag_create(f.r, "v1", "main", NULL, &who, NULL), ERR_EXISTS);
	assert_int_equal(repo_tag_create(f.r, "-v", "main", NULL, &who, NULL), ERR_INVALID);
	assert_int_equal(repo_tag_create(f.r, "v3", "nosuch", NULL, &who, NULL), ERR_NOTFOUND);
	assert_int_equal(repo_tag_create(f.r, "v3", "main", "m", NULL, NULL), ERR_INVALID);
	assert_int_equal(fx_fsck(&f), 0);
	assert_int_equal(repo_tag_delete(f.r, "v2", &ch), 0);
	assert_string_equal(ch.new_id, REPO_ZERO_OID);
	assert_int_equal(repo_tag_delete(f.r, "v2", NULL), ERR_NOTFOUND);
	assert_int_equal(repo_tag_get(f.r, "v2", &t), ERR_NOTFOUND);
	fx_close(&f);
}

struct seen {
	int updates;
	struct repo_ref_change last;
};

static int deny_tags(void *ctx, const char *refname, const char *old_id, const char *new_id)
{
	(void)ctx;
	(void)old_id;
	(void)new_id;
	return strncmp(refname, "refs/tags/", 10) ? 0 : ERR_DENIED;
}

static void note_update(void *ctx, const struct repo_ref_change *ch)
{
	struct seen *s = ctx;

	s->updates++;
	s->last = *ch;
}

static void test_ref_hooks(void **state)
{
	static const struct repo_ref_hooks hooks = { deny_tags, note_update };
	struct seen seen = { 0 };
	struct repo_ref_change ch;
	struct fx f;

	(void)state;
	fx_open(&f);
	repo_set_ref_hooks(f.r, &hooks, &seen);
	/* On an empty repository both the README commit and the branch pass. */
	assert_int_equal(repo_branch_create(f.r, "b", "main", &who, &ch), 0);
	assert_int_equal(seen.updates, 2);
	assert_string_equal(seen.last.refname, "refs/heads/b");
	assert_int_equal(repo_tag_create(f.r, "v1", "main", NULL, &who, NULL), ERR_DENIED);
	assert_int_equal(seen.updates, 2);
	assert_int_equal(repo_branch_delete(f.r, "b", NULL, NULL), 0);
	assert_int_equal(seen.updates, 3);
	assert_string_equal(seen.last.new_id, REPO_ZERO_OID);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_commit_on_empty_repo),
		cmocka_unit_test(test_every_action),
		cmocka_unit_test(test_action_refusals),
		cmocka_unit_test(test_hostile_paths_are_refused),
		cmocka_unit_test(test_bad_identity_and_message),
		cmocka_unit_test(test_concurrent_writer_is_not_lost),
		cmocka_unit_test(test_ref_update_cas),
		cmocka_unit_test(test_last_commit_id_lock),
		cmocka_unit_test(test_start_branch),
		cmocka_unit_test(test_branch_on_empty_repo_creates_readme),
		cmocka_unit_test(test_branch_create_delete),
		cmocka_unit_test(test_tags_create_delete),
		cmocka_unit_test(test_ref_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
