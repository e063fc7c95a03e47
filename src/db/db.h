/* The database interface: a pool of connections to SQLite or PostgreSQL
 * behind one table of driver functions. Models write portable SQL with
 * PostgreSQL-style placeholders ($1, $2 …); drivers translate as needed.
 * Timestamps are int64 milliseconds, booleans are 0/1 integers, new ids come
 * back through RETURNING id.
 *
 * Errors: ERR_EXISTS for a unique violation, ERR_BUSY when the database stays
 * locked past the busy timeout, ERR_UNAVAILABLE when the connection is lost,
 * ERR_INTERNAL otherwise (logged at debug with the driver's message). */
#ifndef KURA_DB_H
#define KURA_DB_H
#include <stdint.h>
#include <stddef.h>

struct buf;
struct db;		/* one connection, used by one thread at a time */
struct db_stmt;
struct db_pool;

enum db_dialect { DB_SQLITE, DB_POSTGRES };

struct db_driver {
	enum db_dialect dialect;
	int (*open)(struct db **out, const char *url, struct buf *err);
	void (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*prepare)(struct db *db, struct db_stmt **out, const char *sql);
	int (*bind_int64)(struct db_stmt *st, int idx, int64_t v);
	int (*bind_text)(struct db_stmt *st, int idx, const char *s);
	int (*bind_null)(struct db_stmt *st, int idx);
	int (*step)(struct db_stmt *st);	/* 1 row, 0 done, <0 error */
	int64_t (*col_int64)(struct db_stmt *st, int col);
	const char *(*col_text)(struct db_stmt *st, int col);	/* NULL for NULL */
	int (*col_is_null)(struct db_stmt *st, int col);
	void (*finalize)(struct db_stmt *st);
	int (*migrate_lock)(struct db *db);	/* serialises migrations across processes */
	int (*migrate_unlock)(struct db *db);
	int (*ping)(struct db *db);
};

/* Opens a pool of up to size connections for url (sqlite:// or postgresql://). */
int db_pool_open(struct db_pool **out, const char *url, int size, struct buf *err);
void db_pool_free(struct db_pool *pool);
/* Borrows a connection; blocks while all are in use. Give it back with db_put. */
struct db *db_get(struct db_pool *pool);
void db_put(struct db_pool *pool, struct db *db);
enum db_dialect db_pool_dialect(const struct db_pool *pool);
/* Connections opened, idle and allowed, for metrics. */
void db_pool_stats(struct db_pool *pool, int *open_out, int *idle_out, int *size_out);

enum db_dialect db_dialect(const struct db *db);
int db_exec(struct db *db, const char *sql);
int db_ping(struct db *db);

/* Transactions nest by counting: only the outermost begin/end touch the
 * database. db_tx_end commits when ret is 0, else rolls back, and returns ret
 * (or the commit's error). */
int db_tx_begin(struct db *db);
int db_tx_end(struct db *db, int ret);

/* Statements: prepare, bind (1-based), step, read columns (0-based), finalize.
 * db_stmt_free takes NULL. */
int db_prepare(struct db *db, struct db_stmt **out, const char *sql);
int db_bind_int64(struct db_stmt *st, int idx, int64_t v);
int db_bind_text(struct db_stmt *st, int idx, const char *s);	/* NULL binds NULL */
int db_step(struct db_stmt *st);
int64_t db_col_int64(struct db_stmt *st, int col);
const char *db_col_text(struct db_stmt *st, int col);	/* borrowed until next step */
char *db_col_strdup(struct db_stmt *st, int col);	/* owned; NULL for NULL */
int db_col_is_null(struct db_stmt *st, int col);
void db_stmt_free(struct db_stmt *st);

/* Runs sql with the params described by fmt ('i' an int64_t — cast literals —,
 * 'I' an int64_t where 0 binds NULL (optional references), 's' a const char *
 * or NULL)
 * and no result rows. Returns the number of changed rows is not tracked: 0 or
 * an error. */
int db_execp(struct db *db, const char *sql, const char *fmt, ...);
/* Like db_execp but prepares and steps once: 1 when a row is ready in *out
 * (caller frees with db_stmt_free), 0 when none (nothing to free). */
int db_queryp(struct db *db, struct db_stmt **out, const char *sql, const char *fmt, ...);

/* Migrations to the latest schema version; safe when processes race. */
int db_migrate(struct db *db, struct buf *err);
/* The schema version in the database (0 for an empty one). */
int db_schema_version(struct db *db, int *out);
/* Latest version this binary knows. */
int db_schema_latest(void);
/* Applies migrations only up to version target (tests build old schemas). */
int db_migrate_to(struct db *db, int target, struct buf *err);

extern const struct db_driver db_sqlite_driver;
extern const struct db_driver db_pg_driver;

#endif
