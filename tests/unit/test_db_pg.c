/* The PostgreSQL driver against a real server: parameter binding, step
 * semantics, error mapping and the pool's handling of a lost connection.
 * Needs KURA_TEST_PG_ADMIN_URL (a superuser URL, as scripts/pg-cluster
 * prints); without it every test is skipped. Each run works in a database
 * of its own, dropped at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"
#include "db/db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct buf admin_url = BUF_INIT, db_url = BUF_INIT, db_name = BUF_INIT;
static struct db_pool *pool;

static int admin_exec(const char *sql)
{
	struct buf err = BUF_INIT;
	struct db_pool *admin = NULL;
	struct db *db;
	int ret = db_pool_open(&admin, admin_url.ptr, 1, &err);

	if (ret == 0) {
		db = db_get(admin);
		ret = db ? db_exec(db, sql) : ERR_UNAVAILABLE;
		db_put(admin, db);
	}
	if (ret < 0)
		fprintf(stderr, "admin: %s: %s %s\n", sql, err_name(ret), err.ptr);
	db_pool_free(admin);
	buf_release(&err);
	return ret;
}

/* The admin URL with its database name replaced, options kept. */
static void url_with_database(struct buf *out, const char *url, const char *name)
{
	const char *host = strstr(url, "://");
	const char *path = strchr(host + 3, '/');
	const char *query = strchr(host + 3, '?');

	if (!path || (query && query < path))
		path = query ? query : url + strlen(url);
	buf_add(out, url, (size_t)(path - url));
	buf_addf(out, "/%s", name);
	if (query)
		buf_addstr(out, query);
}

static int group_setup(void **state)
{
	const char *url = getenv("KURA_TEST_PG_ADMIN_URL");
	struct buf err = BUF_INIT;
	struct db *db;
	int ret;

	(void)state;
	if (!url || !*url)
		return 0;
	buf_addstr(&admin_url, url);
	buf_addf(&db_name, "kura_unit_%d", (int)getpid());
	url_with_database(&db_url, url, db_name.ptr);
	buf_addf(&err, "DROP DATABASE IF EXISTS %s", db_name.ptr);
	admin_exec(err.ptr);
	buf_reset(&err);
	buf_addf(&err, "CREATE DATABASE %s", db_name.ptr);
	ret = admin_exec(err.ptr);
	buf_reset(&err);
	if (ret == 0)
		ret = db_pool_open(&pool, db_url.ptr, 4, &err);
	if (ret == 0) {
		db = db_get(pool);
		ret = db_migrate(db, &err);
		db_put(pool, db);
	}
	if (ret < 0)
		fprintf(stderr, "setup: %s\n", err.ptr);
	buf_release(&err);
	return ret < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	struct buf sql = BUF_INIT;

	(void)state;
	db_pool_free(pool);
	if (db_name.len) {
		buf_addf(&sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name.ptr);
		admin_exec(sql.ptr);
	}
	buf_release(&sql);
	buf_release(&admin_url);
	buf_release(&db_url);
	buf_release(&db_name);
	return 0;
}

static struct db *borrow(void)
{
	struct db *db;

	if (!pool)
		skip();
	db = db_get(pool);
	assert_non_null(db);
	return db;
}

static void test_pg_is_selected_and_migrated(void **state)
{
	struct db *db = borrow();
	int version = 0;

	(void)state;
	assert_int_equal(db_dialect(db), DB_POSTGRES);
	assert_int_equal(db_schema_version(db, &version), 0);
	assert_int_equal(version, db_schema_latest());
	assert_int_equal(db_ping(db), 0);
	db_put(pool, db);
}

static void test_pg_binds_round_trip(void **state)
{
	struct db *db = borrow();
	struct db_stmt *st = NULL;

	(void)state;
	assert_int_equal(db_exec(db, "CREATE TABLE t_bind (a BIGINT, b TEXT, c BIGINT)"), 0);
	/* Extremes of int64, quotes, a '$1' that is text, NUL-free UTF-8. */
	assert_int_equal(db_execp(db, "INSERT INTO t_bind VALUES ($1, $2, $3)", "isI",
				  (int64_t)INT64_MIN, "it's $1 \"quoted\" \xc3\xa9", (int64_t)0), 0);
	assert_int_equal(db_execp(db, "INSERT INTO t_bind VALUES ($1, $2, $3)", "isi",
				  (int64_t)INT64_MAX, (const char *)NULL, (int64_t)-1), 0);
	assert_int_equal(db_queryp(db, &st, "SELECT a, b, c, a < 0, '$2' FROM t_bind"
					    " WHERE a = $1", "i", (int64_t)INT64_MIN), 1);
	assert_true(db_col_int64(st, 0) == INT64_MIN);
	assert_string_equal(db_col_text(st, 1), "it's $1 \"quoted\" \xc3\xa9");
	assert_true(db_col_is_null(st, 2));
	assert_null(db_col_text(st, 2));
	assert_int_equal(db_col_int64(st, 3), 1);	/* boolean t reads as 1 */
	assert_string_equal(db_col_text(st, 4), "$2");
	assert_int_equal(db_step(st), 0);
	db_stmt_free(st);
	st = NULL;
	assert_int_equal(db_queryp(db, &st, "SELECT b, c FROM t_bind WHERE a > $1", "i",
				   (int64_t)0), 1);
	assert_true(db_col_is_null(st, 0));
	assert_int_equal(db_col_int64(st, 1), -1);
	db_stmt_free(st);
	assert_int_equal(db_exec(db, "DROP TABLE t_bind"), 0);
	db_put(pool, db);
}

static void test_pg_steps_rows_and_returning(void **state)
{
	struct db *db = borrow();
	struct db_stmt *st = NULL;
	int64_t sum = 0, id1, id2;
	int n = 0, ret;

	(void)state;
	assert_int_equal(db_exec(db, "CREATE TABLE t_rows (id BIGSERIAL PRIMARY KEY, v BIGINT)"),
			 0);
	assert_int_equal(db_queryp(db, &st, "INSERT INTO t_rows (v) VALUES ($1) RETURNING id",
				   "i", (int64_t)10), 1);
	id1 = db_col_int64(st, 0);
	db_stmt_free(st);
	assert_int_equal(db_queryp(db, &st, "INSERT INTO t_rows (v) VALUES ($1) RETURNING id",
				   "i", (int64_t)20), 1);
	id2 = db_col_int64(st, 0);
	db_stmt_free(st);
	assert_true(id2 > id1);
	assert_int_equal(db_prepare(db, &st, "SELECT v FROM t_rows ORDER BY id"), 0);
	while ((ret = db_step(st)) > 0) {
		sum += db_col_int64(st, 0);
		n++;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(db_step(st), 0);	/* done stays done */
	db_stmt_free(st);
	assert_int_equal(n, 2);
	assert_int_equal(sum, 30);
	st = NULL;
	assert_int_equal(db_queryp(db, &st, "SELECT v FROM t_rows WHERE id = $1", "i",
				   (int64_t)-5), 0);
	assert_null(st);
	/* Ten parameters: $10 is one placeholder, not $1 and a zero. */
	assert_int_equal(db_queryp(db, &st, "SELECT $1::bigint + $2 + $3 + $4 + $5 + $6 + $7"
				   " + $8 + $9 + $10", "iiiiiiiiii",
				   (int64_t)1, (int64_t)2, (int64_t)3, (int64_t)4, (int64_t)5,
				   (int64_t)6, (int64_t)7, (int64_t)8, (int64_t)9, (int64_t)100),
			 1);
	assert_int_equal(db_col_int64(st, 0), 145);
	db_stmt_free(st);
	assert_int_equal(db_exec(db, "DROP TABLE t_rows"), 0);
	db_put(pool, db);
}

static void test_pg_maps_errors(void **state)
{
	struct db *db = borrow();
	struct db *other = borrow();
	struct db_stmt *st = NULL;
	struct buf sql = BUF_INIT;

	(void)state;
	assert_int_equal(db_exec(db, "CREATE TABLE t_err (k TEXT PRIMARY KEY)"), 0);
	assert_int_equal(db_execp(db, "INSERT INTO t_err VALUES ($1)", "s", "a"), 0);
	/* A unique violation inside a transaction rolls it back whole. */
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(db_execp(db, "INSERT INTO t_err VALUES ($1)", "s", "b"), 0);
	assert_int_equal(db_tx_end(db, db_execp(db, "INSERT INTO t_err VALUES ($1)", "s", "a")),
			 ERR_EXISTS);
	assert_int_equal(db_queryp(db, &st, "SELECT count(*) FROM t_err", ""), 1);
	assert_int_equal(db_col_int64(st, 0), 1);
	db_stmt_free(st);
	/* A row lock held elsewhere: NOWAIT answers busy, not internal. */
	assert_int_equal(db_tx_begin(other), 0);
	assert_int_equal(db_execp(other, "SELECT k FROM t_err WHERE k = $1 FOR UPDATE", "s", "a"),
			 0);
	assert_int_equal(db_execp(db, "SELECT k FROM t_err WHERE k = $1 FOR UPDATE NOWAIT", "s",
				  "a"), ERR_BUSY);
	assert_int_equal(db_tx_end(other, 0), 0);
	/* Bad SQL is internal and leaves the connection usable. */
	assert_int_equal(db_exec(db, "SELEC 1"), ERR_INTERNAL);
	assert_int_equal(db_execp(db, "SELECT $1::bigint", "s", "not a number"), ERR_INTERNAL);
	assert_int_equal(db_ping(db), 0);
	assert_false(db->broken);
	/* More placeholders than any model writes is refused before sending. */
	buf_addstr(&sql, "SELECT $65");
	assert_int_equal(db_prepare(db, &st, sql.ptr), ERR_INTERNAL);
	buf_release(&sql);
	assert_int_equal(db_exec(db, "DROP TABLE t_err"), 0);
	db_put(pool, other);
	db_put(pool, db);
}

/* A connection the server ends (as on restart or failover) answers
 * unavailable, is marked broken, and the pool hands out a new one. */
static void test_pg_lost_connection_is_replaced(void **state)
{
	struct db *victim = borrow();
	struct db *killer = borrow();
	struct db_stmt *st = NULL;
	int64_t pid, pid2;

	(void)state;
	assert_int_equal(db_queryp(victim, &st, "SELECT pg_backend_pid()", ""), 1);
	pid = db_col_int64(st, 0);
	db_stmt_free(st);
	st = NULL;
	assert_int_equal(db_execp(killer, "SELECT pg_terminate_backend($1::int)", "i", pid), 0);
	db_put(pool, killer);
	usleep(100 * 1000);
	assert_int_equal(db_ping(victim), ERR_UNAVAILABLE);
	assert_true(victim->broken);
	assert_int_equal(db_ping(victim), ERR_UNAVAILABLE);	/* stays down, no crash */
	db_put(pool, victim);
	victim = borrow();
	assert_int_equal(db_queryp(victim, &st, "SELECT pg_backend_pid()", ""), 1);
	pid2 = db_col_int64(st, 0);
	db_stmt_free(st);
	assert_true(pid2 != pid);
	assert_false(victim->broken);
	db_put(pool, victim);
}

static void test_pg_bad_url_fails_clearly(void **state)
{
	struct buf url = BUF_INIT, err = BUF_INIT;
	struct db_pool *p = NULL;

	(void)state;
	if (!pool)
		skip();
	url_with_database(&url, admin_url.ptr, "kura_no_such_database");
	assert_int_equal(db_pool_open(&p, url.ptr, 1, &err), ERR_UNAVAILABLE);
	assert_null(p);
	assert_non_null(strstr(err.ptr, "kura_no_such_database"));
	buf_release(&url);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pg_is_selected_and_migrated),
		cmocka_unit_test(test_pg_binds_round_trip),
		cmocka_unit_test(test_pg_steps_rows_and_returning),
		cmocka_unit_test(test_pg_maps_errors),
		cmocka_unit_test(test_pg_lost_connection_is_replaced),
		cmocka_unit_test(test_pg_bad_url_fails_clearly),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
