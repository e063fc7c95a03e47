/* Schema upgrades: a database left at any earlier version, holding the rows
 * that version could hold, upgrades to the latest with every row intact and
 * readable by today's models. Also: racing migrators apply each step once,
 * and a database from a newer kura is refused.
 *
 * Seeds write raw SQL against the schema of their version (never models,
 * which follow the latest schema). When a migration is added, add the seed
 * and check for the version before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/password.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"
#include "model/member.h"
#include "model/protected_branch.h"
#include "model/namespace.h"
#include "model/pat.h"
#include "model/project.h"
#include "model/user.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1600000000000LL
#define ALICE_PW "alice-password-1"
#define ALICE_TOKEN "kpat-0123456789abcdefghijABCDEFGHIJ0123456789"

struct fixture {
	char dir[64];
	struct buf url;
	struct db_pool *pool;
	struct db *db;
};

static char *alice_hash;

static int group_setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	return password_hash(&alice_hash, ALICE_PW);
}

static int group_teardown(void **state)
{
	(void)state;
	free(alice_hash);
	return 0;
}

static void fixture_open_pool(struct fixture *f, struct db_pool **pool, struct db **db)
{
	struct buf err = BUF_INIT;

	if (db_pool_open(pool, f->url.ptr, 2, &err) < 0)
		fail_msg("db_pool_open %s: %s", f->url.ptr, err.ptr);
	*db = db_get(*pool);
	assert_non_null(*db);
	buf_release(&err);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/kura-test-migrations-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	buf_init(&f->url, SIZE_MAX - 1);
	buf_addf(&f->url, "sqlite://%s/kura.db", f->dir);
	fixture_open_pool(f, &f->pool, &f->db);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const files[] = {
		"kura.db", "kura.db-wal", "kura.db-shm", "race.db", "race.db-wal", "race.db-shm",
	};

	db_put(f->pool, f->db);
	db_pool_free(f->pool);
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		struct buf p = BUF_INIT;

		buf_addf(&p, "%s/%s", f->dir, files[i]);
		unlink(p.ptr);
		buf_release(&p);
	}
	rmdir(f->dir);
	buf_release(&f->url);
	free(f);
	return 0;
}

static void exec_ok(struct db *db, const char *sql)
{
	int ret = db_exec(db, sql);

	if (ret < 0)
		fail_msg("%s: %s", sql, err_name(ret));
}

/* Version 1: users with their namespaces, a nested group, a project and
 * memberships (ids fixed so checks can name them). */
static void seed_v1(struct db *db)
{
	int ret = db_execp(db,
		"INSERT INTO users (id, username, email, name, password_hash, is_admin, state,"
		" created_at, updated_at, last_sign_in_at) VALUES"
		" (10, 'Alice', 'alice@example.com', 'Alice A', $1, 1, 'active', $2, $2, $2)",
		"si", alice_hash, (int64_t)T0);

	if (ret < 0)
		fail_msg("seed v1 users: %s", err_name(ret));
	exec_ok(db,
		"INSERT INTO users (id, username, email, name, password_hash, is_admin, state,"
		" created_at, updated_at) VALUES"
		" (11, 'bob', 'bob@example.com', 'Bob \xc3\x9f', NULL, 0, 'blocked',"
		" 1600000000000, 1600000000001);"
		"INSERT INTO namespaces (id, kind, name, path, full_path, owner_id, visibility,"
		" created_at, updated_at) VALUES"
		" (20, 'user', 'Alice A', 'Alice', 'Alice', 10, 'public', 1600000000000, 1600000000000),"
		" (21, 'user', 'Bob', 'bob', 'bob', 11, 'public', 1600000000000, 1600000000000);"
		"INSERT INTO namespaces (id, kind, name, path, full_path, parent_id, description,"
		" visibility, created_at, updated_at) VALUES"
		" (22, 'group', 'Group', 'grp', 'grp', NULL, 'top', 'internal', 1600000000000, 1600000000000),"
		" (23, 'group', 'Sub', 'sub', 'grp/sub', 22, '', 'private', 1600000000000, 1600000000000);"
		"INSERT INTO projects (id, namespace_id, path, name, description, visibility,"
		" default_branch, creator_id, created_at, updated_at, last_activity_at) VALUES"
		" (30, 23, 'proj', 'Project', 'd\xc3\xa9j\xc3\xa0', 'internal', 'trunk', 10,"
		" 1600000000000, 1600000000000, 1600000000005);"
		"INSERT INTO members (source_kind, source_id, user_id, access_level, created_at)"
		" VALUES ('namespace', 22, 10, 40, 1600000000000),"
		" ('project', 30, 11, 30, 1600000000000);");
}

static void check_v1(struct db *db)
{
	struct user *u = NULL;
	struct namespace *ns = NULL;
	struct project *p = NULL;
	int level = -1;

	/* Case-insensitive lookup of a mixed-case username. */
	assert_int_equal(user_find_by_username(db, "alice", &u), 0);
	assert_int_equal(u->id, 10);
	assert_string_equal(u->username, "Alice");
	assert_string_equal(u->email, "alice@example.com");
	assert_string_equal(u->name, "Alice A");
	assert_string_equal(u->state, "active");
	assert_int_equal(u->is_admin, 1);
	assert_int_equal(u->created_at, T0);
	assert_int_equal(u->last_sign_in_at, T0);
	assert_int_equal(u->last_activity_at, 0);
	assert_int_equal(u->namespace_id, 20);
	assert_int_equal(password_verify(u->password_hash, ALICE_PW), 0);
	assert_int_equal(password_verify(u->password_hash, "wrong-password"), ERR_AUTH);
	user_free(u);
	u = NULL;

	assert_int_equal(user_find_by_username(db, "bob", &u), 0);
	assert_string_equal(u->state, "blocked");
	assert_false(user_is_active(u));
	assert_null(u->password_hash);
	assert_string_equal(u->name, "Bob \xc3\x9f");
	assert_int_equal(u->updated_at, T0 + 1);
	user_free(u);

	assert_int_equal(namespace_find_by_full_path(db, "GRP/Sub", &ns), 0);
	assert_int_equal(ns->id, 23);
	assert_int_equal(ns->parent_id, 22);
	assert_string_equal(ns->kind, "group");
	namespace_free(ns);

	assert_int_equal(project_find_by_full_path(db, "grp/sub/proj", &p), 0);
	assert_int_equal(p->id, 30);
	assert_string_equal(p->name, "Project");
	assert_string_equal(p->description, "d\xc3\xa9j\xc3\xa0");
	assert_string_equal(p->visibility, "internal");
	assert_string_equal(p->default_branch, "trunk");
	assert_int_equal(p->creator_id, 10);
	assert_int_equal(p->last_activity_at, T0 + 5);
	assert_string_equal(p->namespace_full_path, "grp/sub");

	/* Memberships still resolve, including inheritance from the parent. */
	assert_int_equal(member_project_level(db, p->id, p->namespace_id, 11, &level), 0);
	assert_int_equal(level, ACCESS_DEVELOPER);
	assert_int_equal(member_project_level(db, p->id, p->namespace_id, 10, &level), 0);
	assert_int_equal(level, ACCESS_MAINTAINER);
	assert_int_equal(member_namespace_level(db, 23, 10, &level), 0);
	assert_int_equal(level, ACCESS_MAINTAINER);
	project_free(p);
}

/* Version 2: personal access tokens (hash only), one revoked. */
static void seed_v2(struct db *db)
{
	struct buf hash = BUF_INIT;
	int ret;

	token_hash(&hash, ALICE_TOKEN);
	ret = db_execp(db,
		"INSERT INTO personal_access_tokens (id, user_id, name, token_hash, scopes,"
		" created_at, expires_at, last_used_at, revoked) VALUES"
		" (40, 10, 'ci', $1, 'api,read_repository', $2, $3, NULL, 0),"
		" (41, 11, 'old', 'deadbeef', 'read_api', $2, NULL, $2, 1)",
		"sii", hash.ptr, (int64_t)T0, (int64_t)4102444800000LL);
	if (ret < 0)
		fail_msg("seed v2: %s", err_name(ret));
	buf_release(&hash);
}

static void check_v2(struct db *db)
{
	struct pat *t = NULL;

	assert_int_equal(pat_find_by_secret(db, ALICE_TOKEN, &t), 0);
	assert_int_equal(t->id, 40);
	assert_int_equal(t->user_id, 10);
	assert_string_equal(t->name, "ci");
	assert_int_equal(t->scopes, SCOPE_API | SCOPE_READ_REPOSITORY);
	assert_int_equal(t->expires_at, 4102444800000LL);
	assert_int_equal(t->revoked, 0);
	assert_true(pat_is_active(t, T0));
	pat_free(t);
	t = NULL;
	assert_int_equal(pat_find(db, 41, &t), 0);
	assert_int_equal(t->revoked, 1);
	assert_false(pat_is_active(t, T0));
	assert_int_equal(t->last_used_at, T0);
	pat_free(t);
	t = NULL;
	assert_int_equal(pat_find_by_secret(db, "kpat-not-a-token", &t), ERR_NOTFOUND);
}

/* Version 3: authentication failure windows. */
static void seed_v3(struct db *db)
{
	exec_ok(db, "INSERT INTO auth_failures (key, window_start, failures)"
		    " VALUES ('k1', 1600000000000, 7)");
}

static void check_v3(struct db *db)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(db, &st, "SELECT window_start, failures FROM auth_failures"
				   " WHERE key = $1", "s", "k1"), 1);
	assert_int_equal(db_col_int64(st, 0), T0);
	assert_int_equal(db_col_int64(st, 1), 7);
	db_stmt_free(st);
}

/* Version 4: a protected branch rule. */
static void seed_v4(struct db *db)
{
	exec_ok(db, "INSERT INTO protected_branches (id, project_id, name, push_access_level,"
		    " merge_access_level, allow_force_push, created_at)"
		    " VALUES (50, 30, 'release/*', 40, 30, 1, 1600000000000)");
}

static void check_v4(struct db *db)
{
	struct protected_branch *pb = NULL;

	assert_int_equal(protected_branch_find(db, 30, "release/*", &pb), 0);
	assert_int_equal(pb->id, 50);
	assert_int_equal(pb->push_access_level, 40);
	assert_int_equal(pb->merge_access_level, 30);
	assert_int_equal(pb->allow_force_push, 1);
	protected_branch_free(pb);
}

/* Version 5: a browser session of Alice. */
static void seed_v5(struct db *db)
{
	exec_ok(db, "INSERT INTO sessions (id, secret_hash, user_id, created_at, last_seen_at,"
		    " expires_at) VALUES (60, 'feedface', 10, 1600000000000, 1600000000000,"
		    " 1600000000000)");
}

static void check_v5(struct db *db)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(db, &st, "SELECT user_id, expires_at FROM sessions"
				   " WHERE secret_hash = $1", "s", "feedface"), 1);
	assert_int_equal(db_col_int64(st, 0), 10);
	assert_int_equal(db_col_int64(st, 1), T0);
	db_stmt_free(st);
}

/* Version 6: a deploy token of project 30. */
static void seed_v6(struct db *db)
{
	exec_ok(db, "INSERT INTO deploy_tokens (id, project_id, name, username, token_hash, scopes,"
		    " created_at) VALUES (70, 30, 'ci', 'gitlab+deploy-token-70', 'beef',"
		    " 'read_repository', 1600000000000)");
}

static void check_v6(struct db *db)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(db, &st, "SELECT project_id, username FROM deploy_tokens"
				   " WHERE token_hash = $1", "s", "beef"), 1);
	assert_int_equal(db_col_int64(st, 0), 30);
	assert_string_equal(db_col_text(st, 1), "gitlab+deploy-token-70");
	db_stmt_free(st);
}

/* Version 7: project 30 imported from a URL and pull-mirrored. */
static void seed_v7(struct db *db)
{
	exec_ok(db, "INSERT INTO project_mirrors (project_id, url, mirror, interval_ms,"
		    " import_status, created_at) VALUES (30, 'https://example.com/a.git', 1,"
		    " 3600000, 'finished', 1600000000000)");
}

static void check_v7(struct db *db)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(db, &st, "SELECT url, mirror FROM project_mirrors"
				   " WHERE project_id = $1", "i", (int64_t)30), 1);
	assert_string_equal(db_col_text(st, 0), "https://example.com/a.git");
	assert_int_equal(db_col_int64(st, 1), 1);
	db_stmt_free(st);
}

/* Version 8: an OAuth application owned by Alice. */
static void seed_v8(struct db *db)
{
	exec_ok(db, "INSERT INTO oauth_applications (id, uid, secret_hash, name, redirect_uri,"
		    " scopes, owner_id, created_at) VALUES (80, 'client-80', 'cafe', 'CI',"
		    " 'https://ci.example.com/cb', 'api read_user', 10, 1600000000000)");
}

static void check_v8(struct db *db)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(db, &st, "SELECT name, owner_id FROM oauth_applications"
				   " WHERE uid = $1", "s", "client-80"), 1);
	assert_string_equal(db_col_text(st, 0), "CI");
	assert_int_equal(db_col_int64(st, 1), 10);
	db_stmt_free(st);
}

/* Version 9: a password reset of Alice and an integration of project 30. */
static void seed_v9(struct db *db)
{
	exec_ok(db, "INSERT INTO password_resets (id, user_id, token_hash, password_stamp,"
		    " created_at, expires_at) VALUES (90, 10, 'f00d', 'stamp', 1600000000000,"
		    " 1600000000000)");
	exec_ok(db, "INSERT INTO project_integrations (id, project_id, kind, properties,"
		    " created_at, updated_at) VALUES (91, 30, 'emails_on_push',"
		    " '{\"recipients\":\"a@example.com\"}', 1600000000000, 1600000000000)");
}

static void check_v9(struct db *db)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(db, &st, "SELECT user_id FROM password_resets"
				   " WHERE token_hash = $1", "s", "f00d"), 1);
	assert_int_equal(db_col_int64(st, 0), 10);
	db_stmt_free(st);
	st = NULL;
	assert_int_equal(db_queryp(db, &st, "SELECT kind, active FROM project_integrations"
				   " WHERE project_id = $1", "i", (int64_t)30), 1);
	assert_string_equal(db_col_text(st, 0), "emails_on_push");
	assert_int_equal(db_col_int64(st, 1), 1);
	db_stmt_free(st);
}

/* Version 10: Alice stars project 30; a token of hers predates impersonation. */
static void seed_v10(struct db *db)
{
	exec_ok(db, "INSERT INTO project_stars (project_id, user_id, created_at)"
		    " VALUES (30, 10, 1600000000000)");
}

static void check_v10(struct db *db)
{
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(db, &st, "SELECT count(*) FROM project_stars"
				   " WHERE project_id = $1", "i", (int64_t)30), 1);
	assert_int_equal(db_col_int64(st, 0), 1);
	db_stmt_free(st);
	st = NULL;
	/* Tokens made before version 10 are ordinary ones. */
	assert_int_equal(db_queryp(db, &st, "SELECT count(*) FROM personal_access_tokens"
				   " WHERE impersonation <> 0", ""), 1);
	assert_int_equal(db_col_int64(st, 0), 0);
	db_stmt_free(st);
}

struct seed {
	int version;
	void (*seed)(struct db *db);
	void (*check)(struct db *db);
};

static const struct seed seeds[] = {
	{ 1, seed_v1, check_v1 },
	{ 2, seed_v2, check_v2 },
	{ 3, seed_v3, check_v3 },
	{ 4, seed_v4, check_v4 },
	{ 5, seed_v5, check_v5 },
	{ 6, seed_v6, check_v6 },
	{ 7, seed_v7, check_v7 },
	{ 8, seed_v8, check_v8 },
	{ 9, seed_v9, check_v9 },
	{ 10, seed_v10, check_v10 },
};
#define NSEEDS (sizeof(seeds) / sizeof(*seeds))

static void migrate_ok(struct db *db, int target)
{
	struct buf err = BUF_INIT;
	int ret = target ? db_migrate_to(db, target, &err) : db_migrate(db, &err);

	if (ret < 0)
		fail_msg("migrate to %d: %s (%s)", target, err.ptr, err_name(ret));
	buf_release(&err);
}

static int version_of(struct db *db)
{
	int v = -1;

	assert_int_equal(db_schema_version(db, &v), 0);
	return v;
}

/* After the upgrade the models still write: new rows get fresh ids. */
static void check_writes_after_upgrade(struct db *db, int from)
{
	struct user_req req = { "carol", "carol@example.com", NULL, "carol-password", 0 };
	struct buf err = BUF_INIT, secret = BUF_INIT;
	int64_t id = 0, tid = 0;

	if (user_create(db, &req, &id, &err) < 0)
		fail_msg("user_create after upgrade from %d: %s", from, err.ptr);
	assert_true(id > 11);
	if (pat_create(db, 10, "new", SCOPE_API, 0, &secret, &tid, &err) < 0)
		fail_msg("pat_create after upgrade from %d: %s", from, err.ptr);
	assert_true(tid > 0);
	/* A taken username, differently cased, is still refused. */
	req.username = "ALICE";
	req.email = "other@example.com";
	assert_int_equal(user_create(db, &req, &id, &err), ERR_EXISTS);
	buf_release(&err);
	buf_release(&secret);
}

static void test_migrations_seeds_cover_every_version(void **state)
{
	(void)state;
	/* Upgrades are tested from every version below the latest. */
	if ((int)NSEEDS < db_schema_latest() - 1 || seeds[NSEEDS - 1].version < db_schema_latest() - 1)
		fail_msg("schema is at version %d: add seed_v%d/check_v%d to test_migrations.c",
			 db_schema_latest(), db_schema_latest() - 1, db_schema_latest() - 1);
}

static void upgrade_from(int v)
{
	struct fixture *f = NULL;

	assert_int_equal(setup((void **)&f), 0);
	migrate_ok(f->db, v);
	assert_int_equal(version_of(f->db), v);
	for (size_t i = 0; i < NSEEDS && seeds[i].version <= v; i++)
		seeds[i].seed(f->db);
	migrate_ok(f->db, 0);
	assert_int_equal(version_of(f->db), db_schema_latest());
	for (size_t i = 0; i < NSEEDS && seeds[i].version <= v; i++)
		seeds[i].check(f->db);
	check_writes_after_upgrade(f->db, v);
	/* Running again changes nothing. */
	migrate_ok(f->db, 0);
	for (size_t i = 0; i < NSEEDS && seeds[i].version <= v; i++)
		seeds[i].check(f->db);
	teardown((void **)&f);
}

static void test_migrations_upgrade_from_every_version(void **state)
{
	(void)state;
	for (int v = 1; v < db_schema_latest(); v++)
		upgrade_from(v);
}

static void test_migrations_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	int latest = db_schema_latest();

	migrate_ok(f->db, 0);
	for (size_t i = 0; i < NSEEDS; i++)
		if (seeds[i].version <= latest)
			seeds[i].seed(f->db);
	/* Close every connection, open afresh: what a restart does. */
	db_put(f->pool, f->db);
	db_pool_free(f->pool);
	fixture_open_pool(f, &f->pool, &f->db);
	migrate_ok(f->db, 0);
	for (size_t i = 0; i < NSEEDS; i++)
		if (seeds[i].version <= latest)
			seeds[i].check(f->db);
}

static void test_migrations_empty_database_is_version_zero(void **state)
{
	struct fixture *f = *state;

	migrate_ok(f->db, 0);
	assert_int_equal(version_of(f->db), db_schema_latest());
	assert_true(db_schema_latest() >= 3);
}

struct racer {
	struct fixture *f;
	pthread_barrier_t *start;
	int ret;
	struct buf err;
};

static void *racer_run(void *arg)
{
	struct racer *r = arg;
	struct db_pool *pool = NULL;
	struct db *db;

	buf_init(&r->err, 1024);
	/* Open after the barrier too: processes starting at once also race
	 * on creating the file and switching it to WAL. */
	pthread_barrier_wait(r->start);
	r->ret = db_pool_open(&pool, r->f->url.ptr, 1, &r->err);
	if (r->ret < 0)
		return NULL;
	db = db_get(pool);
	r->ret = db ? db_migrate(db, &r->err) : ERR_UNAVAILABLE;
	db_put(pool, db);
	db_pool_free(pool);
	return NULL;
}

/* Each racer has its own connection, as two processes would: SQLite's
 * locking is the same whether the other writer is a thread or a process. */
static void test_migrations_concurrent_apply_once(void **state)
{
	struct fixture *f = *state;
	enum { NRACERS = 4 };
	struct racer r[NRACERS];
	pthread_t th[NRACERS];
	pthread_barrier_t start;
	struct db_stmt *st = NULL;

	/* A database file nobody has opened yet. */
	buf_reset(&f->url);
	buf_addf(&f->url, "sqlite://%s/race.db", f->dir);
	pthread_barrier_init(&start, NULL, NRACERS);
	for (int i = 0; i < NRACERS; i++) {
		r[i].f = f;
		r[i].start = &start;
		pthread_create(&th[i], NULL, racer_run, &r[i]);
	}
	for (int i = 0; i < NRACERS; i++) {
		pthread_join(th[i], NULL);
		if (r[i].ret < 0)
			fail_msg("racer %d: %s (%s)", i, r[i].err.ptr, err_name(r[i].ret));
		buf_release(&r[i].err);
	}
	pthread_barrier_destroy(&start);
	db_put(f->pool, f->db);
	db_pool_free(f->pool);
	fixture_open_pool(f, &f->pool, &f->db);
	/* Every version recorded exactly once, and nothing else. */
	assert_int_equal(db_queryp(f->db, &st, "SELECT count(*), count(DISTINCT version),"
				   " min(version), max(version) FROM schema_migrations", ""), 1);
	assert_int_equal(db_col_int64(st, 0), db_schema_latest());
	assert_int_equal(db_col_int64(st, 1), db_schema_latest());
	assert_int_equal(db_col_int64(st, 2), 1);
	assert_int_equal(db_col_int64(st, 3), db_schema_latest());
	db_stmt_free(st);
	seed_v1(f->db);
	check_v1(f->db);
}

static void test_migrations_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct buf err = BUF_INIT;
	int ret;

	migrate_ok(f->db, 0);
	ret = db_execp(f->db, "INSERT INTO schema_migrations (version, applied_at)"
		       " VALUES ($1, $2)", "ii", (int64_t)db_schema_latest() + 1, (int64_t)T0);
	assert_int_equal(ret, 0);
	ret = db_migrate(f->db, &err);
	assert_true(ret < 0);
	assert_non_null(strstr(err.ptr, "newer"));
	assert_null(strchr(err.ptr, '\n'));
	/* Refusing touched nothing: the version is still the newer one. */
	assert_int_equal(version_of(f->db), db_schema_latest() + 1);
	buf_release(&err);
}

static void test_migrations_migrate_to_zero_and_past_latest(void **state)
{
	struct fixture *f = *state;
	struct buf err = BUF_INIT;

	/* Past the latest is the latest; nothing invents versions. */
	assert_int_equal(db_migrate_to(f->db, db_schema_latest() + 5, &err), 0);
	assert_int_equal(version_of(f->db), db_schema_latest());
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_seeds_cover_every_version),
		cmocka_unit_test(test_migrations_upgrade_from_every_version),
		cmocka_unit_test_setup_teardown(test_migrations_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrations_empty_database_is_version_zero,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrations_concurrent_apply_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrations_newer_schema_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrations_migrate_to_zero_and_past_latest,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
