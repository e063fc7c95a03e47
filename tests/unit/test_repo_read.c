/* Reading repositories: revision resolution and its refusals, commits,
 * branches, tags, logs, trees, blobs, files and paths, on repositories built
 * by the test with exact times and contents. */
#include "test_repo_fixture.h"

/* History used by most tests (times are seconds):
 *   c1 (1000) README, src/a.c       main~2
 *   c2 (2000) src/a.c changed        main~1
 *   c3 (3000) docs/x.md added        main
 *   f1 (2500) on c1: feature/one     feature/one */
struct hist {
	char c1[REPO_OID_HEX], c2[REPO_OID_HEX], c3[REPO_OID_HEX], f1[REPO_OID_HEX];
};

static void build(struct fx *f, struct hist *h)
{
	const struct fx_file one[] = { { "README", "hello\n", 0, 0 }, { "src/a.c", "int a;\n", 0, 0 } };
	const struct fx_file two[] = { { "src/a.c", "int a = 1;\n", 0, 0 } };
	const struct fx_file three[] = { { "docs/x.md", "# x\n", 0, 0 } };
	const struct fx_file feat[] = { { "feature.txt", "f\n", 0, 0 } };

	fx_commit(f, NULL, "", one, 2, 1000, "first\n\nbody line\n", h->c1);
	fx_commit(f, NULL, h->c1, two, 1, 2000, "second", h->c2);
	fx_commit(f, "main", h->c2, three, 1, 3000, "third\n", h->c3);
	fx_commit(f, "feature/one", h->c1, feat, 1, 2500, "feature", h->f1);
}

static void test_resolve_accepts_names_and_ids(void **state)
{
	struct fx f;
	struct hist h;
	char id[REPO_OID_HEX], abbrev[8];
	git_reference *ref;
	git_oid oid;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	git_oid_fromstr(&oid, h.c2);
	assert_int_equal(git_reference_create(&ref, f.git, "refs/tags/v1", &oid, 0, NULL), 0);
	git_reference_free(ref);
	assert_int_equal(repo_resolve_commit(f.r, "main", id), 0);
	assert_string_equal(id, h.c3);
	assert_int_equal(repo_resolve_commit(f.r, "HEAD", id), 0);
	assert_string_equal(id, h.c3);
	assert_int_equal(repo_resolve_commit(f.r, "feature/one", id), 0);
	assert_string_equal(id, h.f1);
	assert_int_equal(repo_resolve_commit(f.r, "refs/heads/feature/one", id), 0);
	assert_string_equal(id, h.f1);
	assert_int_equal(repo_resolve_commit(f.r, "v1", id), 0);
	assert_string_equal(id, h.c2);
	assert_int_equal(repo_resolve_commit(f.r, h.c1, id), 0);
	assert_string_equal(id, h.c1);
	memcpy(abbrev, h.c1, 7);
	abbrev[7] = '\0';
	assert_int_equal(repo_resolve_commit(f.r, abbrev, id), 0);
	assert_string_equal(id, h.c1);
	fx_close(&f);
}

static void test_resolve_refuses_hostile_revisions(void **state)
{
	static const char *const bad[] = {
		"", "-x", "--output=/tmp/x", "main~1", "main^", "main^{tree}", "main:README",
		"@{0}", "main@{1}", "refs/heads/../x", "refs/heads/a..b", "main..feature",
		"refs/heads/x.lock", "a b", "refs/heads/",
	};
	char long_rev[LIMIT_REF_NAME + 10];
	struct fx f;
	struct hist h;
	char id[REPO_OID_HEX];

	(void)state;
	fx_open(&f);
	build(&f, &h);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = repo_resolve_commit(f.r, bad[i], id);

		if (ret != ERR_INVALID && ret != ERR_NOTFOUND)
			fail_msg("rev \"%s\" gave %d", bad[i], ret);
	}
	assert_int_equal(repo_resolve_commit(f.r, NULL, id), ERR_INVALID);
	assert_int_equal(repo_resolve_commit(f.r, "-x", id), ERR_INVALID);
	memset(long_rev, 'a', sizeof(long_rev) - 1);
	long_rev[sizeof(long_rev) - 1] = '\0';
	assert_int_equal(repo_resolve_commit(f.r, long_rev, id), ERR_INVALID);
	assert_int_equal(repo_resolve_commit(f.r, "nosuch", id), ERR_NOTFOUND);
	assert_int_equal(repo_resolve_commit(f.r, "0000000000000000000000000000000000000001", id),
			 ERR_NOTFOUND);
	fx_close(&f);
}

static void test_commit_fields_and_stats(void **state)
{
	struct repo_commit *c = NULL;
	struct fx f;
	struct hist h;
	char date[40];

	(void)state;
	fx_open(&f);
	build(&f, &h);
	assert_int_equal(repo_commit_get(f.r, h.c1, REPO_COMMIT_STATS, &c), 0);
	assert_string_equal(c->id, h.c1);
	assert_int_equal(strlen(c->short_id), 8);
	assert_memory_equal(c->short_id, h.c1, 8);
	assert_string_equal(c->title, "first");
	assert_string_equal(c->message, "first\n\nbody line\n");
	assert_string_equal(c->author.name, "A U Thor");
	assert_string_equal(c->committer.email, "author@example.com");
	assert_int_equal(c->parents_nr, 0);
	assert_int_equal(c->has_stats, 1);
	assert_int_equal(c->additions, 2);
	assert_int_equal(c->deletions, 0);
	assert_int_equal(c->total, 2);
	repo_time_format(date, sizeof(date), c->author.when_ms, c->author.offset_min);
	assert_string_equal(date, "1970-01-01T02:16:40.000+02:00");
	repo_commit_free(c);

	assert_int_equal(repo_commit_get(f.r, "main", 0, &c), 0);
	assert_string_equal(c->message, "third\n");
	assert_int_equal(c->parents_nr, 1);
	assert_string_equal(c->parent_ids[0], h.c2);
	assert_int_equal(c->has_stats, 0);
	repo_commit_free(c);
	assert_int_equal(repo_commit_get(f.r, h.c2, REPO_COMMIT_STATS, &c), 0);
	assert_string_equal(c->message, "second");	/* no newline was ever added */
	assert_int_equal(c->additions, 1);
	assert_int_equal(c->deletions, 1);
	repo_commit_free(c);
	assert_int_equal(repo_commit_get(f.r, "nosuch", 0, &c), ERR_NOTFOUND);
	repo_time_format(date, sizeof(date), 1500, -330);
	assert_string_equal(date, "1969-12-31T18:30:01.500-05:30");
	fx_close(&f);
}

static void test_log_order_pagination_and_filters(void **state)
{
	struct repo_log_opts o = { 0 };
	struct repo_commit_list *l = NULL;
	struct fx f;
	struct hist h;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 3);
	assert_string_equal(l->v[0].id, h.c3);
	assert_string_equal(l->v[2].id, h.c1);
	assert_int_equal(l->more, 0);
	repo_commit_list_free(l);

	o.limit = 2;
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 2);
	assert_int_equal(l->more, 1);
	repo_commit_list_free(l);
	o.offset = 2;
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 1);
	assert_string_equal(l->v[0].id, h.c1);
	assert_int_equal(l->more, 0);
	repo_commit_list_free(l);
	o.offset = 50;
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 0);
	repo_commit_list_free(l);

	memset(&o, 0, sizeof(o));
	o.path = "src/a.c";
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 2);
	assert_string_equal(l->v[0].id, h.c2);
	assert_string_equal(l->v[1].id, h.c1);
	repo_commit_list_free(l);
	o.path = "src/";
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 2);
	repo_commit_list_free(l);
	o.path = "../etc/passwd";
	assert_int_equal(repo_commit_log(f.r, &o, &l), ERR_INVALID);

	memset(&o, 0, sizeof(o));
	o.since_ms = 1500 * 1000;
	o.until_ms = 2500 * 1000;
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 1);
	assert_string_equal(l->v[0].id, h.c2);
	repo_commit_list_free(l);

	memset(&o, 0, sizeof(o));
	o.all = 1;
	o.flags = REPO_COMMIT_STATS;
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 4);
	assert_string_equal(l->v[1].id, h.f1);
	assert_int_equal(l->v[1].has_stats, 1);
	repo_commit_list_free(l);

	memset(&o, 0, sizeof(o));
	o.ref = "feature/one";
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 2);
	repo_commit_list_free(l);
	o.ref = "-x";
	assert_int_equal(repo_commit_log(f.r, &o, &l), ERR_INVALID);
	o.ref = "nosuch";
	assert_int_equal(repo_commit_log(f.r, &o, &l), ERR_NOTFOUND);
	fx_close(&f);
}

static void test_log_and_reads_of_empty_repo(void **state)
{
	struct repo_log_opts o = { 0 };
	struct repo_commit_list *l = NULL;
	struct repo_branch_list *bl = NULL;
	struct repo_tree_list *tl = NULL;
	char *def = NULL;
	struct fx f;

	(void)state;
	fx_open(&f);
	assert_int_equal(repo_is_empty(f.r), 1);
	assert_int_equal(repo_default_branch(f.r, &def), 0);
	assert_string_equal(def, "main");
	free(def);
	assert_int_equal(repo_commit_log(f.r, &o, &l), 0);
	assert_int_equal(l->nr, 0);
	repo_commit_list_free(l);
	assert_int_equal(repo_branch_list(f.r, NULL, 0, 20, &bl), 0);
	assert_int_equal(bl->total, 0);
	repo_branch_list_free(bl);
	assert_int_equal(repo_tree_list(f.r, NULL, NULL, 0, 0, 20, &tl), ERR_NOTFOUND);
	fx_close(&f);
}

static void test_branches_list_search_and_pages(void **state)
{
	struct repo_branch_list *l = NULL;
	struct repo_branch *b = NULL;
	git_reference *ref;
	struct fx f;
	struct hist h;
	git_oid oid;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	git_oid_fromstr(&oid, h.c2);
	assert_int_equal(git_reference_create(&ref, f.git, "refs/heads/Old.Release", &oid, 0,
					      NULL), 0);
	git_reference_free(ref);
	assert_int_equal(repo_is_empty(f.r), 0);
	assert_int_equal(repo_branch_list(f.r, NULL, 0, 0, &l), 0);
	assert_int_equal(l->total, 3);
	assert_int_equal(l->nr, 3);
	assert_string_equal(l->v[0].name, "Old.Release");
	assert_string_equal(l->v[1].name, "feature/one");
	assert_string_equal(l->v[2].name, "main");
	assert_int_equal(l->v[2].is_default, 1);
	assert_int_equal(l->v[2].merged, 1);
	assert_int_equal(l->v[0].merged, 1);	/* c2 is in main's history */
	assert_int_equal(l->v[1].merged, 0);
	assert_string_equal(l->v[1].commit.id, h.f1);
	repo_branch_list_free(l);

	assert_int_equal(repo_branch_list(f.r, "release", 0, 0, &l), 0);
	assert_int_equal(l->total, 1);
	assert_string_equal(l->v[0].name, "Old.Release");
	repo_branch_list_free(l);
	assert_int_equal(repo_branch_list(f.r, "^fea", 0, 0, &l), 0);
	assert_int_equal(l->total, 1);
	repo_branch_list_free(l);
	assert_int_equal(repo_branch_list(f.r, "ain$", 0, 0, &l), 0);
	assert_int_equal(l->total, 1);
	assert_string_equal(l->v[0].name, "main");
	repo_branch_list_free(l);
	assert_int_equal(repo_branch_list(f.r, "^main$", 0, 0, &l), 0);
	assert_int_equal(l->total, 1);
	repo_branch_list_free(l);
	assert_int_equal(repo_branch_list(f.r, "zzz", 0, 0, &l), 0);
	assert_int_equal(l->total, 0);
	repo_branch_list_free(l);

	assert_int_equal(repo_branch_list(f.r, NULL, 2, 2, &l), 0);
	assert_int_equal(l->total, 3);
	assert_int_equal(l->nr, 1);
	assert_string_equal(l->v[0].name, "main");
	repo_branch_list_free(l);
	assert_int_equal(repo_branch_list(f.r, NULL, 3, 2, &l), 0);
	assert_int_equal(l->nr, 0);
	repo_branch_list_free(l);
	assert_int_equal(repo_branch_list(f.r, NULL, SIZE_MAX, SIZE_MAX, &l), 0);
	assert_int_equal(l->nr, 0);
	repo_branch_list_free(l);

	assert_int_equal(repo_branch_get(f.r, "feature/one", &b), 0);
	assert_string_equal(b->commit.id, h.f1);
	assert_int_equal(b->is_default, 0);
	repo_branch_free(b);
	assert_int_equal(repo_branch_get(f.r, "nosuch", &b), ERR_NOTFOUND);
	assert_int_equal(repo_branch_get(f.r, "-x", &b), ERR_INVALID);
	assert_int_equal(repo_branch_get(f.r, "a..b", &b), ERR_INVALID);
	fx_close(&f);
}

static void test_tags_lightweight_and_annotated(void **state)
{
	struct repo_tag_list *l = NULL;
	struct repo_tag *t = NULL;
	git_object *target;
	git_signature *sig;
	git_reference *ref;
	git_tree *tree;
	git_commit *c;
	struct fx f;
	struct hist h;
	git_oid oid, tag_oid;

	(void)state;
	fx_open(&f);
	build(&f, &h);
	git_oid_fromstr(&oid, h.c1);
	assert_int_equal(git_reference_create(&ref, f.git, "refs/tags/v1.0", &oid, 0, NULL), 0);
	git_reference_free(ref);
	git_oid_fromstr(&oid, h.c3);
	assert_int_equal(git_object_lookup(&target, f.git, &oid, GIT_OBJECT_COMMIT), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 5000, 0), 0);
	assert_int_equal(git_tag_create(&tag_oid, f.git, "v2.0", target, sig,
					"Release 2\n\nnotes", 0), 0);
	git_signature_free(sig);
	git_object_free(target);
	c = NULL;
	assert_int_equal(git_commit_lookup(&c, f.git, &oid), 0);
	assert_int_equal(git_commit_tree(&tree, c), 0);
	assert_int_equal(git_reference_create(&ref, f.git, "refs/tags/tree-tag",
					      git_tree_id(tree), 0, NULL), 0);
	git_reference_free(ref);
	git_tree_free(tree);
	git_commit_free(c);

	assert_int_equal(repo_tag_get(f.r, "v2.0", &t), 0);
	assert_string_equal(t->message, "Release 2\n\nnotes");
	assert_string_not_equal(t->target, h.c3);	/* the tag object */
	assert_int_equal(t->has_commit, 1);
	assert_string_equal(t->commit.id, h.c3);
	repo_tag_free(t);
	assert_int_equal(repo_tag_get(f.r, "v1.0", &t), 0);
	assert_null(t->message);
	assert_string_equal(t->target, h.c1);
	repo_tag_free(t);
	assert_int_equal(repo_tag_get(f.r, "tree-tag", &t), 0);
	assert_int_equal(t->has_commit, 0);
	repo_tag_free(t);
	assert_int_equal(repo_tag_get(f.r, "nosuch", &t), ERR_NOTFOUND);
	assert_int_equal(repo_tag_get(f.r, "-v", &t), ERR_INVALID);

	assert_int_equal(repo_tag_list(f.r, NULL, REPO_TAG_BY_NAME, 0, 0, &l), 0);
	assert_int_equal(l->total, 3);
	assert_string_equal(l->v[0].name, "tree-tag");
	assert_string_equal(l->v[1].name, "v1.0");
	repo_tag_list_free(l);
	assert_int_equal(repo_tag_list(f.r, "v", REPO_TAG_BY_UPDATED, 0, 1, &l), 0);
	assert_int_equal(l->total, 2);
	assert_int_equal(l->nr, 1);
	assert_string_equal(l->v[0].name, "v2.0");
	repo_tag_list_free(l);
	assert_int_equal(repo_tag_list(f.r, "v", REPO_TAG_BY_UPDATED, 1, 1, &l), 0);
	assert_int_equal(l->nr, 1);
	assert_string_equal(l->v[0].name, "v1.0");
	repo_tag_list_free(l);
	assert_int_equal(repo_tag_list(f.r, NULL, REPO_TAG_BY_UPDATED, 9, 1, &l), 0);
	assert_int_equal(l->nr, 0);
	repo_tag_list_free(l);
	fx_close(&f);
}

static void test_tree_listing(void **state)
{
	struct repo_tree_list *l = NULL;
	const struct fx_file files[] = {
		{ "b.txt", "b", 0, 0 }, { "a/z.txt", "z", 0, 0 }, { "run.sh", "#!/bin/sh\n", 0,
		  GIT_FILEMODE_BLOB_EXECUTABLE }, { "link", "b.txt", 0, GIT_FILEMODE_LINK },
		{ "a/deep/y", "y", 0, 0 },
	};
	char c[REPO_OID_HEX];
	struct fx f;

	(void)state;
	fx_open(&f);
	fx_commit(&f, "main", "", files, 5, 1000, "tree", c);
	assert_int_equal(repo_tree_list(f.r, NULL, NULL, 0, 0, 0, &l), 0);
	assert_int_equal(l->total, 4);
	assert_string_equal(l->v[0].name, "a");
	assert_int_equal(l->v[0].type, REPO_ENTRY_TREE);
	assert_int_equal(l->v[0].mode, 040000);
	assert_string_equal(repo_entry_type_name(l->v[1].type), "blob");
	assert_string_equal(l->v[1].name, "b.txt");
	assert_string_equal(l->v[2].name, "link");
	assert_int_equal(l->v[2].mode, 0120000);
	assert_int_equal(l->v[3].mode, 0100755);
	repo_tree_list_free(l);

	assert_int_equal(repo_tree_list(f.r, "main", "a", 0, 0, 0, &l), 0);
	assert_int_equal(l->total, 2);
	assert_string_equal(l->v[0].path, "a/deep");
	assert_string_equal(l->v[1].path, "a/z.txt");
	repo_tree_list_free(l);
	assert_int_equal(repo_tree_list(f.r, "main", "a/", 1, 0, 0, &l), 0);
	assert_int_equal(l->total, 3);
	assert_string_equal(l->v[0].path, "a/deep");
	assert_string_equal(l->v[1].path, "a/deep/y");
	assert_string_equal(l->v[2].path, "a/z.txt");
	repo_tree_list_free(l);
	assert_int_equal(repo_tree_list(f.r, NULL, NULL, 1, 2, 2, &l), 0);
	assert_int_equal(l->total, 7);
	assert_int_equal(l->nr, 2);
	assert_string_equal(l->v[0].path, "a/deep/y");
	repo_tree_list_free(l);
	assert_int_equal(repo_tree_list(f.r, NULL, NULL, 1, 7, 2, &l), 0);
	assert_int_equal(l->nr, 0);
	repo_tree_list_free(l);
	assert_int_equal(repo_tree_list(f.r, NULL, "b.txt", 0, 0, 0, &l), ERR_NOTFOUND);
	assert_int_equal(repo_tree_list(f.r, NULL, "nosuch", 0, 0, 0, &l), ERR_NOTFOUND);
	assert_int_equal(repo_tree_list(f.r, NULL, "../a", 0, 0, 0, &l), ERR_INVALID);
	assert_int_equal(repo_tree_list(f.r, NULL, "/a", 0, 0, 0, &l), ERR_INVALID);
	assert_int_equal(repo_tree_list(f.r, "nosuch", NULL, 0, 0, 0, &l), ERR_NOTFOUND);
	fx_close(&f);
}

static void test_blobs_files_and_binary(void **state)
{
	static const char bin[] = { 'P', 'N', 'G', 0, 1, 2, 3 };
	const struct fx_file files[] = {
		{ "text.txt", "line\n", 0, 0 }, { "img/x.png", bin, sizeof(bin), 0 },
	};
	const struct fx_file change[] = { { "other", "o", 0, 0 } };
	struct repo_blob *b = NULL;
	struct repo_file *file = NULL;
	char c1[REPO_OID_HEX], c2[REPO_OID_HEX], abbrev[9];
	struct fx f;

	(void)state;
	fx_open(&f);
	fx_commit(&f, NULL, "", files, 2, 1000, "one", c1);
	fx_commit(&f, "main", c1, change, 1, 2000, "two", c2);

	assert_int_equal(repo_file_get(f.r, "main", "text.txt", 1024, &file), 0);
	assert_string_equal(file->file_name, "text.txt");
	assert_string_equal(file->file_path, "text.txt");
	assert_int_equal(file->blob.size, 5);
	assert_string_equal(file->blob.content, "line\n");
	assert_int_equal(file->blob.is_binary, 0);
	assert_string_equal(file->commit_id, c2);
	assert_string_equal(file->last_commit_id, "");
	assert_int_equal(repo_last_commit_for_path(f.r, file->commit_id, "text.txt",
						   file->last_commit_id), 0);
	assert_string_equal(file->last_commit_id, c1);
	assert_int_equal(file->mode, 0100644);

	assert_int_equal(repo_blob_get(f.r, file->blob_id, 1024, &b), 0);
	assert_string_equal(b->content, "line\n");
	repo_blob_free(b);
	memcpy(abbrev, file->blob_id, 8);
	abbrev[8] = '\0';
	assert_int_equal(repo_blob_get(f.r, abbrev, 0, &b), 0);
	assert_null(b->content);
	assert_int_equal(b->size, 5);
	repo_blob_free(b);
	assert_int_equal(repo_blob_get(f.r, file->blob_id, 4, &b), ERR_TOOBIG);
	repo_file_free(file);

	assert_int_equal(repo_file_get(f.r, NULL, "img/x.png", 1024, &file), 0);
	assert_int_equal(file->blob.is_binary, 1);
	assert_int_equal(file->blob.size, sizeof(bin));
	assert_memory_equal(file->blob.content, bin, sizeof(bin));
	repo_file_free(file);

	assert_int_equal(repo_file_get(f.r, "main", "img", 1024, &file), ERR_NOTFOUND);
	assert_int_equal(repo_file_get(f.r, "main", "nosuch", 1024, &file), ERR_NOTFOUND);
	assert_int_equal(repo_file_get(f.r, "main", "../text.txt", 1024, &file), ERR_INVALID);
	assert_int_equal(repo_file_get(f.r, "main", ".git/config", 1024, &file), ERR_INVALID);
	assert_int_equal(repo_file_get(f.r, "nosuch", "text.txt", 1024, &file), ERR_NOTFOUND);
	assert_int_equal(repo_blob_get(f.r, c1, 0, &b), ERR_NOTFOUND);	/* a commit */
	assert_int_equal(repo_blob_get(f.r, "xyz", 0, &b), ERR_INVALID);
	assert_int_equal(repo_blob_get(f.r, "-abc", 0, &b), ERR_INVALID);
	assert_int_equal(repo_blob_get(f.r, "", 0, &b), ERR_INVALID);
	fx_close(&f);
}

static void test_path_check_table(void **state)
{
	static const struct {
		const char *path;
		size_t len;	/* 0: strlen */
		int ok;
	} rows[] = {
		{ "a", 0, 1 }, { "src/main.c", 0, 1 }, { ".gitignore", 0, 1 },
		{ ".github/workflows/x.yml", 0, 1 }, { "dir.git/x", 0, 1 }, { "-x", 0, 1 },
		{ "ünïcode/ファイル", 0, 1 }, { "a/.gitmodules", 0, 1 },
		{ "", 0, 0 }, { "../x", 0, 0 }, { "a/../../b", 0, 0 }, { "a/..", 0, 0 },
		{ "./a", 0, 0 }, { "a//b", 0, 0 }, { "a/", 0, 0 }, { "/etc/passwd", 0, 0 },
		{ ".git/config", 0, 0 }, { ".GIT/hooks/x", 0, 0 }, { "a/.Git", 0, 0 },
		{ ".git./x", 0, 0 }, { ".git ", 0, 0 }, { "GIT~1/config", 0, 0 },
		{ ".g\xe2\x80\x8cit/config", 0, 0 }, { "\xef\xbb\xbf.git/x", 0, 0 },
		{ "a\\..\\b", 0, 0 }, { "a\nb", 0, 0 }, { "a\x7f", 0, 0 },
		{ "a\0b", 3, 0 },
	};
	char long_path[REPO_PATH_MAX + 2], long_comp[300];
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].path);
		int ret = repo_path_check(rows[i].path, len, &err);

		if ((ret == 0) != rows[i].ok)
			fail_msg("row %zu \"%s\": ret %d", i, rows[i].path, ret);
		if (!rows[i].ok) {
			assert_int_equal(ret, ERR_INVALID);
			assert_true(err.len > 0);
		}
		buf_reset(&err);
	}
	memset(long_path, 'a', sizeof(long_path));
	for (size_t i = 100; i < sizeof(long_path); i += 100)
		long_path[i] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(repo_path_check(long_path, strlen(long_path), &err), ERR_INVALID);
	memset(long_comp, 'b', sizeof(long_comp) - 1);
	long_comp[sizeof(long_comp) - 1] = '\0';
	assert_int_equal(repo_path_check(long_comp, strlen(long_comp), &err), ERR_INVALID);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_accepts_names_and_ids),
		cmocka_unit_test(test_resolve_refuses_hostile_revisions),
		cmocka_unit_test(test_commit_fields_and_stats),
		cmocka_unit_test(test_log_order_pagination_and_filters),
		cmocka_unit_test(test_log_and_reads_of_empty_repo),
		cmocka_unit_test(test_branches_list_search_and_pages),
		cmocka_unit_test(test_tags_lightweight_and_annotated),
		cmocka_unit_test(test_tree_listing),
		cmocka_unit_test(test_blobs_files_and_binary),
		cmocka_unit_test(test_path_check_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
