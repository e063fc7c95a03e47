/* SQLite driver: the embedded default. WAL journal so readers never block
 * the writer, synchronous=FULL so a commit survives power loss, a busy
 * timeout so concurrent writers from several threads or processes wait
 * rather than fail. */
#include "db_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define SQLITE_BUSY_TIMEOUT_MS 10000
/* Statements kept per connection. Parsing and planning a query costs more
 * than running it (a primary-key lookup steps in microseconds, its prepare
 * takes tens), and the models use a few hundred distinct queries. */
#define SQLITE_STMT_CACHE 256

struct sqlite_stmt {
	struct db_stmt base;
	struct sqlite_db *db;
	sqlite3_stmt *st;
	char *sql;		/* the model's text: the cache key; NULL when not cached */
	uint64_t hash;
	int in_use;
};

struct sqlite_db {
	struct db base;
	sqlite3 *conn;
	/* Open-addressed by hash; an entry lent out is marked in_use, so a
	 * query nested inside another run of itself prepares a private copy.
	 * Nothing invalidates entries: sqlite3_prepare_v2 statements re-plan
	 * themselves when the schema changes (a migration, another process),
	 * and a statement is reset before it goes back, so it holds no read
	 * snapshot or lock between borrowers. */
	struct sqlite_stmt cache[SQLITE_STMT_CACHE];
	unsigned evict;		/* round-robin victim when the probe finds no slot */
};

static int sqlite_err(struct sqlite_db *db, int rc, const char *what)
{
	int ext = sqlite3_extended_errcode(db->conn);

	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return ERR_EXISTS;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return ERR_BUSY;
	log_debug("db", "sqlite %s failed rc=%d: %s", what, rc, sqlite3_errmsg(db->conn));
	if (rc == SQLITE_FULL || rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN)
		return ERR_UNAVAILABLE;
	return ERR_INTERNAL;
}

static int sqlite_exec(struct db *base, const char *sql)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sqlite_err(db, rc, "exec");
}

static void sqlite_cache_drop(struct sqlite_stmt *e)
{
	sqlite3_finalize(e->st);
	free(e->sql);
	e->st = NULL;
	e->sql = NULL;
}

static void sqlite_close(struct db *base)
{
	struct sqlite_db *db = (struct sqlite_db *)base;

	if (!db)
		return;
	for (int i = 0; i < SQLITE_STMT_CACHE; i++)
		if (db->cache[i].sql)
			sqlite_cache_drop(&db->cache[i]);
	sqlite3_close_v2(db->conn);
	free(db);
}

/* SQLite's memory statistics (on by default) take one process-wide mutex
 * on every allocation, which every request thread then queues on. Nothing
 * reads them. Fails harmlessly if SQLite was already initialised. */
static void sqlite_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sqlite_open(struct db **out, const char *url, struct buf *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const char *path = url + strlen("sqlite://");
	struct sqlite_db *db;
	int rc;

	if (path[0] != '/') {
		buf_addf(err, "database_url: sqlite path must be absolute (sqlite:///path/kura.db)");
		return ERR_INVALID;
	}
	pthread_once(&once, sqlite_global_config);
	db = xcalloc(1, sizeof(*db));
	db->base.drv = &db_sqlite_driver;
	rc = sqlite3_open_v2(path, &db->conn,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		buf_addf(err, "cannot open database %s: %s", path,
			 db->conn ? sqlite3_errmsg(db->conn) : "out of memory");
		sqlite_close(&db->base);
		return ERR_UNAVAILABLE;
	}
	sqlite3_busy_timeout(db->conn, SQLITE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->conn, 1);
	if (sqlite_exec(&db->base, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
				   " PRAGMA foreign_keys=ON;") < 0) {
		buf_addf(err, "cannot use database %s: %s", path, sqlite3_errmsg(db->conn));
		sqlite_close(&db->base);
		return ERR_UNAVAILABLE;
	}
	*out = &db->base;
	return 0;
}

/* Models write $1, $2 … (PostgreSQL); SQLite reads ?1, ?2 … the same way. */
static void sqlite_translate(struct buf *out, const char *sql)
{
	char quote = 0;

	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '0' && p[1] <= '9') {
			buf_addch(out, '?');
			continue;
		}
		buf_addch(out, *p);
	}
}

static uint64_t sqlite_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

#define SQLITE_PROBE 8

/* The cached statement for sql when one is idle, else NULL and *slot_out a
 * place to keep a new one (-1: all probed slots are lent out). */
static struct sqlite_stmt *sqlite_cache_find(struct sqlite_db *db, const char *sql,
					     uint64_t h, int *slot_out)
{
	int free_slot = -1, idle_slot = -1;

	for (unsigned i = 0; i < SQLITE_PROBE; i++) {
		int slot = (int)((h + i) % SQLITE_STMT_CACHE);
		struct sqlite_stmt *e = &db->cache[slot];

		if (!e->sql) {
			if (free_slot < 0)
				free_slot = slot;
			continue;
		}
		if (e->in_use)
			continue;
		if (e->hash == h && !strcmp(e->sql, sql))
			return e;
		if (idle_slot < 0 || (unsigned)slot == db->evict % SQLITE_STMT_CACHE)
			idle_slot = slot;
	}
	*slot_out = free_slot >= 0 ? free_slot : idle_slot;
	return NULL;
}

static int sqlite_prepare(struct db *base, struct db_stmt **out, const char *sql)
{
	struct sqlite_db *db = (struct sqlite_db *)base;
	uint64_t h = sqlite_hash(sql);
	struct buf q = BUF_INIT;
	struct sqlite_stmt *st;
	sqlite3_stmt *raw = NULL;
	int slot = -1;
	int rc;

	st = sqlite_cache_find(db, sql, h, &slot);
	if (st) {
		st->in_use = 1;
		*out = &st->base;
		return 0;
	}
	sqlite_translate(&q, sql);
	rc = sqlite3_prepare_v3(db->conn, q.ptr, (int)q.len + 1,
				slot >= 0 ? SQLITE_PREPARE_PERSISTENT : 0, &raw, NULL);
	buf_release(&q);
	if (rc != SQLITE_OK)
		return sqlite_err(db, rc, "prepare");
	if (slot >= 0) {
		st = &db->cache[slot];
		if (st->sql) {
			sqlite_cache_drop(st);
			db->evict++;
		}
		st->sql = xstrdup(sql);
		st->hash = h;
		st->in_use = 1;
	} else {
		st = xcalloc(1, sizeof(*st));
	}
	st->base.drv = &db_sqlite_driver;
	st->db = db;
	st->st = raw;
	*out = &st->base;
	return 0;
}

static int sqlite_bind_int64(struct db_stmt *base, int idx, int64_t v)
{
	struct sqlite_stmt *st = (struct sqlite_stmt *)base;
	int rc = sqlite3_bind_int64(st->st, idx, v);

	return rc == SQLITE_OK ? 0 : sqlite_err(st->db, rc, "bind");
}

static int sqlite_bind_text(struct db_stmt *base, int idx, const char *s)
{
	struct sqlite_stmt *st = (struct sqlite_stmt *)base;
	int rc = sqlite3_bind_text(st->st, idx, s, -1, SQLITE_TRANSIENT);

	return rc == SQLITE_OK ? 0 : sqlite_err(st->db, rc, "bind");
}

static int sqlite_bind_null(struct db_stmt *base, int idx)
{
	struct sqlite_stmt *st = (struct sqlite_stmt *)base;
	int rc = sqlite3_bind_null(st->st, idx);

	return rc == SQLITE_OK ? 0 : sqlite_err(st->db, rc, "bind");
}

static int sqlite_step(struct db_stmt *base)
{
	struct sqlite_stmt *st = (struct sqlite_stmt *)base;
	int rc = sqlite3_step(st->st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sqlite_err(st->db, rc, "step");
}

static int64_t sqlite_col_int64(struct db_stmt *base, int col)
{
	return sqlite3_column_int64(((struct sqlite_stmt *)base)->st, col);
}

static const char *sqlite_col_text(struct db_stmt *base, int col)
{
	return (const char *)sqlite3_column_text(((struct sqlite_stmt *)base)->st, col);
}

static int sqlite_col_is_null(struct db_stmt *base, int col)
{
	return sqlite3_column_type(((struct sqlite_stmt *)base)->st, col) == SQLITE_NULL;
}

static void sqlite_finalize(struct db_stmt *base)
{
	struct sqlite_stmt *st = (struct sqlite_stmt *)base;

	if (st->sql) {
		/* Back to the cache: reset ends the statement's read (its WAL
		 * snapshot) now, and the next borrower binds afresh. */
		sqlite3_reset(st->st);
		sqlite3_clear_bindings(st->st);
		st->in_use = 0;
		return;
	}
	sqlite3_finalize(st->st);
	free(st);
}

/* Each migration step runs in BEGIN IMMEDIATE, which already serialises
 * writers across processes; nothing more to lock. */
static int sqlite_migrate_noop(struct db *db)
{
	(void)db;
	return 0;
}

static int sqlite_ping(struct db *base)
{
	return sqlite_exec(base, "SELECT 1 FROM schema_migrations LIMIT 1");
}

const struct db_driver db_sqlite_driver = {
	.dialect = DB_SQLITE,
	.open = sqlite_open,
	.close = sqlite_close,
	.exec = sqlite_exec,
	.prepare = sqlite_prepare,
	.bind_int64 = sqlite_bind_int64,
	.bind_text = sqlite_bind_text,
	.bind_null = sqlite_bind_null,
	.step = sqlite_step,
	.col_int64 = sqlite_col_int64,
	.col_text = sqlite_col_text,
	.col_is_null = sqlite_col_is_null,
	.finalize = sqlite_finalize,
	.migrate_lock = sqlite_migrate_noop,
	.migrate_unlock = sqlite_migrate_noop,
	.ping = sqlite_ping,
};
