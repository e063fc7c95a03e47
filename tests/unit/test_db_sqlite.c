/* The SQLite driver's statement cache: a statement comes back from the cache
 * with fresh bindings and no read snapshot held over from its last use, a
 * query nested inside a run of itself gets its own copy, far more distinct
 * queries than the cache holds all still answer, and a schema changed by
 * another connection is seen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	struct buf url;
	struct db_pool *pool, *other_pool;
	struct db *db, *other;	/* two connections to one file */
};

static void exec_ok(struct db *db, const char *sql)
{
	int ret = db_exec(db, sql);

	if (ret < 0)
		fail_msg("%s: %s", sql, err_name(ret));
}

static void open_one(struct fixture *f, struct db_pool **pool, struct db **db)
{
	struct buf err = BUF_INIT;

	if (db_pool_open(pool, f->url.ptr, 1, &err) < 0)
		fail_msg("db_pool_open %s: %s", f->url.ptr, err.ptr);
	*db = db_get(*pool);
	assert_non_null(*db);
	buf_release(&err);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/kura-test-dbsqlite-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	buf_init(&f->url, SIZE_MAX - 1);
	buf_addf(&f->url, "sqlite://%s/kura.db", f->dir);
	open_one(f, &f->pool, &f->db);
	open_one(f, &f->other_pool, &f->other);
	exec_ok(f->db, "CREATE TABLE t (x INTEGER, s TEXT)");
	exec_ok(f->db, "INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, NULL)");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const files[] = { "kura.db", "kura.db-wal", "kura.db-shm" };

	db_put(f->pool, f->db);
	db_pool_free(f->pool);
	db_put(f->other_pool, f->other);
	db_pool_free(f->other_pool);
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

static int64_t count_where(struct db *db, const char *sql, int64_t v)
{
	struct db_stmt *st = NULL;
	int64_t n = -1;
	int ret = db_queryp(db, &st, sql, "i", v);

	if (ret < 0)
		fail_msg("%s: %s", sql, err_name(ret));
	if (ret > 0)
		n = db_col_int64(st, 0);
	db_stmt_free(st);
	return n;
}

static void test_reuse_binds_afresh(void **state)
{
	struct fixture *f = *state;
	const char *sql = "SELECT count(*) FROM t WHERE x >= $1";

	for (int round = 0; round < 3; round++) {
		assert_int_equal(count_where(f->db, sql, 1), 3);
		assert_int_equal(count_where(f->db, sql, 3), 1);
		assert_int_equal(count_where(f->db, sql, 9), 0);
	}
	/* Text and NULL bindings on a reused statement. */
	for (int round = 0; round < 2; round++) {
		struct db_stmt *st = NULL;

		assert_int_equal(db_queryp(f->db, &st, "SELECT count(*) FROM t WHERE s IS $1", "s",
					   "two"), 1);
		assert_int_equal(db_col_int64(st, 0), 1);
		db_stmt_free(st);
		assert_int_equal(db_queryp(f->db, &st, "SELECT count(*) FROM t WHERE s IS $1", "s",
					   NULL), 1);
		assert_int_equal(db_col_int64(st, 0), 1);
		db_stmt_free(st);
	}
}

/* The outer run is still stepping when the same query runs again. */
static void test_nested_same_query(void **state)
{
	struct fixture *f = *state;
	const char *sql = "SELECT x FROM t WHERE x >= $1 ORDER BY x";
	struct db_stmt *outer = NULL;
	int64_t seen = 0;
	int ret;

	for (ret = db_queryp(f->db, &outer, sql, "i", (int64_t)1); ret > 0; ret = db_step(outer)) {
		struct db_stmt *inner = NULL;
		int64_t x = db_col_int64(outer, 0), n = 0;
		int iret;

		for (iret = db_queryp(f->db, &inner, sql, "i", x); iret > 0; iret = db_step(inner))
			n++;
		assert_int_equal(iret, 0);
		db_stmt_free(inner);
		assert_int_equal(n, 4 - x);
		assert_int_equal(db_col_int64(outer, 0), x);	/* outer row untouched */
		seen += x;
	}
	assert_int_equal(ret, 0);
	db_stmt_free(outer);
	assert_int_equal(seen, 6);
}

/* A statement given back mid-result must not keep its read snapshot: the
 * next query on that connection sees another connection's later write. */
static void test_no_snapshot_kept(void **state)
{
	struct fixture *f = *state;
	const char *sql = "SELECT count(*) FROM t WHERE x >= $1";
	struct db_stmt *st = NULL;

	assert_int_equal(db_queryp(f->db, &st, "SELECT x FROM t WHERE x >= $1", "i",
				   (int64_t)0), 1);
	db_stmt_free(st);	/* rows left unread */
	assert_int_equal(count_where(f->db, sql, 0), 3);
	exec_ok(f->other, "INSERT INTO t VALUES (4, 'four')");
	assert_int_equal(count_where(f->db, sql, 0), 4);
	assert_int_equal(db_queryp(f->db, &st, "SELECT x FROM t WHERE x >= $1", "i",
				   (int64_t)0), 1);
	db_stmt_free(st);
	/* Nor a lock: the other connection can still write and checkpoint. */
	exec_ok(f->other, "DELETE FROM t WHERE x = 4");
	exec_ok(f->other, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_int_equal(count_where(f->db, sql, 0), 3);
}

/* Many more distinct statements than the cache keeps, twice over. */
static void test_many_distinct_queries(void **state)
{
	struct fixture *f = *state;

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 1000; i++) {
			struct buf sql = BUF_INIT;

			buf_addf(&sql, "SELECT count(*) + %d FROM t WHERE x >= $1", i);
			assert_int_equal(count_where(f->db, sql.ptr, 2), 2 + i);
			buf_release(&sql);
		}
	}
}

static void test_schema_change_elsewhere(void **state)
{
	struct fixture *f = *state;
	const char *sql = "SELECT count(*) FROM t WHERE x >= $1";
	struct db_stmt *st = NULL;

	assert_int_equal(count_where(f->db, sql, 0), 3);
	assert_int_equal(db_queryp(f->db, &st, "SELECT * FROM t WHERE x = $1", "i",
				   (int64_t)1), 1);
	db_stmt_free(st);
	exec_ok(f->other, "DROP TABLE t");
	exec_ok(f->other, "CREATE TABLE t (x INTEGER, s TEXT, extra TEXT DEFAULT 'e')");
	exec_ok(f->other, "INSERT INTO t (x) VALUES (7)");
	assert_int_equal(count_where(f->db, sql, 0), 1);
	/* SELECT * now has three columns. */
	assert_int_equal(db_queryp(f->db, &st, "SELECT * FROM t WHERE x = $1", "i",
				   (int64_t)7), 1);
	assert_string_equal(db_col_text(st, 2), "e");
	db_stmt_free(st);
	exec_ok(f->other, "DROP TABLE t");
	assert_true(db_queryp(f->db, &st, "SELECT * FROM t WHERE x = $1", "i",
			      (int64_t)7) < 0);
}

/* A failed step leaves the cached statement usable. */
static void test_error_then_reuse(void **state)
{
	struct fixture *f = *state;
	const char *ins = "INSERT INTO u (k) VALUES ($1)";

	exec_ok(f->db, "CREATE TABLE u (k INTEGER PRIMARY KEY)");
	assert_int_equal(db_execp(f->db, ins, "i", (int64_t)1), 0);
	assert_int_equal(db_execp(f->db, ins, "i", (int64_t)1), ERR_EXISTS);
	assert_int_equal(db_execp(f->db, ins, "i", (int64_t)2), 0);
	assert_int_equal(count_where(f->db, "SELECT count(*) FROM u WHERE k >= $1", 0), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reuse_binds_afresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_same_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_snapshot_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_distinct_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_change_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_then_reuse, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
