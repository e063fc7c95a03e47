/* Push and tag push payloads built from a real bare repository that each
 * test writes with libgit2: the 20-commit cap and total count, oldest-first
 * order, new branches, force pushes, tags (annotated and lightweight),
 * deletions, per-commit paths, and hostile inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <git2.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "jobs/webhook_payload.h"

struct fixture {
	char dir[64];
	git_repository *repo;
	git_oid c[31];		/* c[1..30] on main */
};

static const struct webhook_project project = {
	.id = 42, .name = "App", .path_with_namespace = "grp/sub/app", .namespace_name = "Sub",
	.description = "An app", .default_branch = "main", .visibility_level = 10,
	.web_url = "https://git.example.com/grp/sub/app",
	.http_url = "https://git.example.com/grp/sub/app.git",
	.ssh_url = "git@git.example.com:grp/sub/app.git",
};

static const struct webhook_user user = {
	.id = 7, .name = "Jane Doe", .username = "jane", .email = "jane@example.com",
};

/* A commit on parent (or a root) that writes each "path=content" of set and
 * deletes each path of del. */
static git_oid commit_make(git_repository *repo, const git_oid *parent, const char **set,
			   const char **del, const char *msg, int64_t when)
{
	git_treebuilder *tb = NULL;
	git_commit *pc = NULL;
	git_tree *ptree = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_oid blob, tree_id, out;

	if (parent) {
		assert_int_equal(git_commit_lookup(&pc, repo, parent), 0);
		assert_int_equal(git_commit_tree(&ptree, pc), 0);
	}
	assert_int_equal(git_treebuilder_new(&tb, repo, ptree), 0);
	for (; set && *set; set++) {
		const char *eq = strchr(*set, '=');
		char path[128];

		snprintf(path, sizeof(path), "%.*s", (int)(eq - *set), *set);
		assert_int_equal(git_blob_create_from_buffer(&blob, repo, eq + 1, strlen(eq + 1)), 0);
		assert_int_equal(git_treebuilder_insert(NULL, tb, path, &blob, GIT_FILEMODE_BLOB), 0);
	}
	for (; del && *del; del++)
		assert_int_equal(git_treebuilder_remove(tb, *del), 0);
	assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "Ann Author", "ann@example.com", when, 120), 0);
	assert_int_equal(git_commit_create(&out, repo, NULL, sig, sig, NULL, msg, tree,
					   pc ? 1 : 0, (const git_commit **)&pc), 0);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(pc);
	git_treebuilder_free(tb);
	return out;
}

static void ref_set(struct fixture *f, const char *name, const git_oid *oid)
{
	git_reference *r = NULL;

	assert_int_equal(git_reference_create(&r, f->repo, name, oid, 1, NULL), 0);
	git_reference_free(r);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	git_libgit2_init();
	snprintf(f->dir, sizeof(f->dir), "/tmp/kura-test-payload-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(git_repository_init(&f->repo, f->dir, 1), 0);
	for (int i = 1; i <= 30; i++) {
		char add[32], readme[32], msg[64];
		char rm[32];
		const char *set[] = { add, readme, NULL };
		const char *del[] = { rm, NULL };

		snprintf(add, sizeof(add), "f%d.txt=file %d\n", i, i);
		snprintf(readme, sizeof(readme), "README=version %d\n", i);
		snprintf(rm, sizeof(rm), "f%d.txt", i - 1);
		snprintf(msg, sizeof(msg), "Commit %d\n\nBody of commit %d.\n", i, i);
		f->c[i] = commit_make(f->repo, i > 1 ? &f->c[i - 1] : NULL, set,
				      i > 1 ? del : NULL, msg, 1700000000 + i * 60);
	}
	ref_set(f, "refs/heads/main", &f->c[30]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	git_repository_free(f->repo);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

static const char *hex(const git_oid *oid)
{
	static char s[4][GIT_OID_HEXSZ + 1];
	static int next;
	char *out = s[next++ % 4];

	git_oid_tostr(out, GIT_OID_HEXSZ + 1, oid);
	return out;
}

/* Builds the payload, checks it parses, returns it (json_decref it). */
static json_t *build(struct fixture *f, const char *ref, const char *before, const char *after)
{
	struct webhook_push push = { ref, before, after, 1 };
	struct buf out = BUF_INIT, err = BUF_INIT;
	json_t *j;

	if (webhook_payload_push(&out, f->dir, &project, &user, &push, &err) != 0)
		fail_msg("payload: %s", err.ptr);
	j = json_loads(out.ptr, 0, NULL);
	assert_non_null(j);
	buf_release(&out);
	buf_release(&err);
	return j;
}

static const char *sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_thirty_commits_new_branch(void **state)
{
	struct fixture *f = *state;
	json_t *j = build(f, "refs/heads/main", WEBHOOK_ZERO_OID, hex(&f->c[30]));
	json_t *commits = json_object_get(j, "commits"), *c, *author;

	assert_string_equal(sget(j, "object_kind"), "push");
	assert_string_equal(sget(j, "event_name"), "push");
	assert_string_equal(sget(j, "before"), WEBHOOK_ZERO_OID);
	assert_string_equal(sget(j, "checkout_sha"), hex(&f->c[30]));
	assert_true(json_is_null(json_object_get(j, "message")));
	assert_int_equal(json_array_size(commits), 20);
	assert_int_equal(json_integer_value(json_object_get(j, "total_commits_count")), 30);
	/* Oldest first: the newest 20 are c11..c30. */
	for (int i = 0; i < 20; i++)
		assert_string_equal(sget(json_array_get(commits, i), "id"), hex(&f->c[11 + i]));
	c = json_array_get(commits, 19);
	assert_string_equal(sget(c, "title"), "Commit 30");
	assert_string_equal(sget(c, "message"), "Commit 30\n\nBody of commit 30.\n");
	/* 1700001800 is 22:43:20 UTC; the author's zone is +02:00. */
	assert_string_equal(sget(c, "timestamp"), "2023-11-15T00:43:20+02:00");
	assert_non_null(strstr(sget(c, "url"), "https://git.example.com/grp/sub/app/-/commit/"));
	assert_non_null(strstr(sget(c, "url"), hex(&f->c[30])));
	author = json_object_get(c, "author");
	assert_string_equal(sget(author, "name"), "Ann Author");
	assert_string_equal(sget(author, "email"), "ann@example.com");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "added"), 0)),
			    "f30.txt");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "modified"), 0)),
			    "README");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "removed"), 0)),
			    "f29.txt");
	json_decref(j);
}

static void test_envelope_fields(void **state)
{
	struct fixture *f = *state;
	json_t *j = build(f, "refs/heads/main", hex(&f->c[29]), hex(&f->c[30]));
	json_t *p = json_object_get(j, "project"), *r = json_object_get(j, "repository");

	assert_string_equal(sget(j, "ref"), "refs/heads/main");
	assert_true(json_is_true(json_object_get(j, "ref_protected")));
	assert_int_equal(json_integer_value(json_object_get(j, "user_id")), 7);
	assert_string_equal(sget(j, "user_name"), "Jane Doe");
	assert_string_equal(sget(j, "user_username"), "jane");
	assert_string_equal(sget(j, "user_email"), "jane@example.com");
	assert_true(json_is_null(json_object_get(j, "user_avatar")));
	assert_int_equal(json_integer_value(json_object_get(j, "project_id")), 42);
	assert_true(json_is_object(json_object_get(j, "push_options")));
	assert_int_equal(json_integer_value(json_object_get(p, "id")), 42);
	assert_string_equal(sget(p, "path_with_namespace"), "grp/sub/app");
	assert_string_equal(sget(p, "namespace"), "Sub");
	assert_string_equal(sget(p, "default_branch"), "main");
	assert_string_equal(sget(p, "git_http_url"), "https://git.example.com/grp/sub/app.git");
	assert_string_equal(sget(p, "git_ssh_url"), "git@git.example.com:grp/sub/app.git");
	assert_string_equal(sget(p, "homepage"), "https://git.example.com/grp/sub/app");
	assert_int_equal(json_integer_value(json_object_get(p, "visibility_level")), 10);
	assert_string_equal(sget(r, "name"), "App");
	assert_string_equal(sget(r, "homepage"), "https://git.example.com/grp/sub/app");
	assert_int_equal(json_array_size(json_object_get(j, "commits")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "total_commits_count")), 1);
	json_decref(j);
}

static void test_incremental_and_force_push(void **state)
{
	struct fixture *f = *state;
	const char *set[] = { "other=x\n", NULL };
	git_oid side1, side2;
	json_t *j = build(f, "refs/heads/main", hex(&f->c[25]), hex(&f->c[30]));

	assert_int_equal(json_integer_value(json_object_get(j, "total_commits_count")), 5);
	assert_string_equal(sget(json_array_get(json_object_get(j, "commits"), 0), "id"),
			    hex(&f->c[26]));
	json_decref(j);
	/* main rewritten from c20: only the two new commits count. */
	side1 = commit_make(f->repo, &f->c[20], set, NULL, "Side 1", 1800000000);
	side2 = commit_make(f->repo, &side1, set, NULL, "Side 2", 1800000060);
	ref_set(f, "refs/heads/main", &side2);
	j = build(f, "refs/heads/main", hex(&f->c[30]), hex(&side2));
	assert_int_equal(json_integer_value(json_object_get(j, "total_commits_count")), 2);
	assert_string_equal(sget(json_array_get(json_object_get(j, "commits"), 0), "title"),
			    "Side 1");
	json_decref(j);
}

static void test_new_branch_counts_only_its_commits(void **state)
{
	struct fixture *f = *state;
	const char *set[] = { "feature=1\n", NULL };
	git_oid a, b, c;
	json_t *j;

	a = commit_make(f->repo, &f->c[30], set, NULL, "Feature a", 1800000000);
	b = commit_make(f->repo, &a, set, NULL, "Feature b", 1800000060);
	c = commit_make(f->repo, &b, set, NULL, "Feature c", 1800000120);
	ref_set(f, "refs/heads/feature", &c);
	j = build(f, "refs/heads/feature", WEBHOOK_ZERO_OID, hex(&c));
	assert_int_equal(json_integer_value(json_object_get(j, "total_commits_count")), 3);
	assert_string_equal(sget(json_array_get(json_object_get(j, "commits"), 0), "title"),
			    "Feature a");
	json_decref(j);
	/* A branch created at an existing commit brings no commits. */
	ref_set(f, "refs/heads/copy", &f->c[30]);
	j = build(f, "refs/heads/copy", WEBHOOK_ZERO_OID, hex(&f->c[30]));
	assert_int_equal(json_array_size(json_object_get(j, "commits")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "total_commits_count")), 0);
	assert_string_equal(sget(j, "checkout_sha"), hex(&f->c[30]));
	json_decref(j);
}

static void test_tag_push(void **state)
{
	struct fixture *f = *state;
	git_object *target = NULL;
	git_signature *sig = NULL;
	git_oid tag;
	json_t *j;

	assert_int_equal(git_object_lookup(&target, f->repo, &f->c[30], GIT_OBJECT_COMMIT), 0);
	assert_int_equal(git_signature_new(&sig, "Ann", "ann@example.com", 1800000000, 0), 0);
	assert_int_equal(git_tag_create(&tag, f->repo, "v1.0", target, sig, "Release 1.0\n", 0), 0);
	j = build(f, "refs/tags/v1.0", WEBHOOK_ZERO_OID, hex(&tag));
	assert_string_equal(sget(j, "object_kind"), "tag_push");
	assert_string_equal(sget(j, "event_name"), "tag_push");
	assert_string_equal(sget(j, "after"), hex(&tag));		/* the tag object */
	assert_string_equal(sget(j, "checkout_sha"), hex(&f->c[30]));	/* the peeled commit */
	assert_string_equal(sget(j, "message"), "Release 1.0\n");
	assert_string_equal(sget(json_array_get(json_object_get(j, "commits"), 0), "id"),
			    hex(&f->c[30]));
	json_decref(j);
	/* Lightweight: after is the commit, no message. */
	j = build(f, "refs/tags/light", WEBHOOK_ZERO_OID, hex(&f->c[3]));
	assert_string_equal(sget(j, "checkout_sha"), hex(&f->c[3]));
	assert_true(json_is_null(json_object_get(j, "message")));
	json_decref(j);
	/* Deleted tag. */
	j = build(f, "refs/tags/v1.0", hex(&tag), WEBHOOK_ZERO_OID);
	assert_true(json_is_null(json_object_get(j, "checkout_sha")));
	assert_int_equal(json_array_size(json_object_get(j, "commits")), 0);
	json_decref(j);
	git_signature_free(sig);
	git_object_free(target);
}

static void test_branch_deletion(void **state)
{
	struct fixture *f = *state;
	json_t *j = build(f, "refs/heads/gone", hex(&f->c[30]), WEBHOOK_ZERO_OID);

	assert_string_equal(sget(j, "after"), WEBHOOK_ZERO_OID);
	assert_true(json_is_null(json_object_get(j, "checkout_sha")));
	assert_int_equal(json_array_size(json_object_get(j, "commits")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "total_commits_count")), 0);
	json_decref(j);
}

static void test_non_utf8_message(void **state)
{
	struct fixture *f = *state;
	const char *set[] = { "x=1\n", NULL };
	git_oid c = commit_make(f->repo, &f->c[30], set, NULL, "Caf\xe9 \xff\xfe\n", 1800000000);
	json_t *j = build(f, "refs/heads/main", hex(&f->c[30]), hex(&c));

	assert_string_equal(sget(json_array_get(json_object_get(j, "commits"), 0), "title"),
			    "Caf? ??");
	json_decref(j);
}

static void expect_error(struct fixture *f, const char *dir, const char *ref, const char *before,
			 const char *after, int code)
{
	struct webhook_push push = { ref, before, after, 0 };
	struct buf out = BUF_INIT, err = BUF_INIT;

	if (webhook_payload_push(&out, dir ? dir : f->dir, &project, &user, &push, &err) != code)
		fail_msg("%s %s %s: %s", ref, before, after, err.ptr);
	assert_int_equal(out.len, 0);
	assert_true(err.len > 0);
	buf_release(&out);
	buf_release(&err);
}

static void test_hostile_inputs(void **state)
{
	struct fixture *f = *state;
	const char *c30 = hex(&f->c[30]);
	char upper[GIT_OID_HEXSZ + 1];

	for (size_t i = 0; i <= GIT_OID_HEXSZ; i++)
		upper[i] = (char)(c30[i] >= 'a' && c30[i] <= 'f' ? c30[i] - 32 : c30[i]);
	expect_error(f, NULL, "refs/notes/commits", WEBHOOK_ZERO_OID, c30, ERR_INVALID);
	expect_error(f, NULL, "refs/heads/", WEBHOOK_ZERO_OID, c30, ERR_INVALID);
	expect_error(f, NULL, "main", WEBHOOK_ZERO_OID, c30, ERR_INVALID);
	expect_error(f, NULL, "refs/heads/main", "xyz", c30, ERR_INVALID);
	expect_error(f, NULL, "refs/heads/main", "", c30, ERR_INVALID);
	expect_error(f, NULL, "refs/heads/main", WEBHOOK_ZERO_OID, upper, ERR_INVALID);
	expect_error(f, NULL, "refs/heads/main", WEBHOOK_ZERO_OID, "-n", ERR_INVALID);
	expect_error(f, NULL, "refs/heads/main", WEBHOOK_ZERO_OID,
		     "1234567890123456789012345678901234567890", ERR_NOTFOUND);
	expect_error(f, "/nonexistent/repo.git", "refs/heads/main", WEBHOOK_ZERO_OID, c30,
		     ERR_NOTFOUND);
	assert_null(webhook_event_name("refs/remotes/x"));
	assert_string_equal(webhook_event_name("refs/heads/a"), "Push Hook");
	assert_string_equal(webhook_event_name("refs/tags/a"), "Tag Push Hook");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thirty_commits_new_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_envelope_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_and_force_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_branch_counts_only_its_commits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tag_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_branch_deletion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_utf8_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_inputs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
