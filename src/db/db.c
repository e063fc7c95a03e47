#include "db_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A borrower waiting for a connection. Waiters are served in arrival order
 * and a returned connection is handed straight to the oldest: with a
 * broadcast, a thread arriving just as a connection came back could take
 * it ahead of one that had waited, over and over, and under load those
 * few unlucky requests are the p99. */
struct pool_waiter {
	pthread_cond_t wake;
	struct db *db;		/* handed over by db_put */
	int may_open;		/* or: a slot is free, open a connection */
	struct pool_waiter *next;
};

struct db_pool {
	const struct db_driver *drv;
	char *url;
	pthread_mutex_t lock;
	struct pool_waiter *head, *tail;
	struct db **idle;	/* open connections not in use */
	int nidle, nopen, size;
};

static const struct db_driver *db_driver_for(const char *url)
{
	if (!strncmp(url, "sqlite://", 9))
		return &db_sqlite_driver;
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
		return &db_pg_driver;
	return NULL;
}

int db_pool_open(struct db_pool **out, const char *url, int size, struct buf *err)
{
	const struct db_driver *drv = db_driver_for(url);
	struct db_pool *pool;
	struct db *first;
	int ret;

	if (!drv) {
		buf_addstr(err, "database_url names no supported database");
		return ERR_INVALID;
	}
	/* Open one connection now so that a bad URL fails at start-up. */
	ret = drv->open(&first, url, err);
	if (ret < 0)
		return ret;
	pool = xcalloc(1, sizeof(*pool));
	pool->drv = drv;
	pool->url = xstrdup(url);
	pthread_mutex_init(&pool->lock, NULL);
	pool->size = size > 0 ? size : 1;
	pool->idle = xcalloc((size_t)pool->size, sizeof(*pool->idle));
	pool->idle[pool->nidle++] = first;
	pool->nopen = 1;
	*out = pool;
	return 0;
}

void db_pool_free(struct db_pool *pool)
{
	if (!pool)
		return;
	for (int i = 0; i < pool->nidle; i++)
		pool->drv->close(pool->idle[i]);
	pthread_mutex_destroy(&pool->lock);
	free(pool->idle);
	free(pool->url);
	free(pool);
}

static struct pool_waiter *pool_dequeue(struct db_pool *pool)
{
	struct pool_waiter *w = pool->head;

	if (w) {
		pool->head = w->next;
		if (!pool->head)
			pool->tail = NULL;
	}
	return w;
}

/* Under the lock: lets waiters open connections while slots are free (after
 * a lost connection or a failed open gave slots back). */
static void pool_grant_opens(struct db_pool *pool)
{
	struct pool_waiter *w;

	while (pool->nopen < pool->size && (w = pool_dequeue(pool))) {
		pool->nopen++;
		w->may_open = 1;
		pthread_cond_signal(&w->wake);
	}
}

/* Called with a slot already counted in nopen. */
static struct db *pool_open_one(struct db_pool *pool)
{
	struct buf err = BUF_INIT_MAX(512);
	struct db *db = NULL;

	if (pool->drv->open(&db, pool->url, &err) == 0) {
		buf_release(&err);
		return db;
	}
	/* The database went away: hand out nothing and let the caller answer
	 * 503; the next db_get tries again. */
	log_warn("db", "connect failed: %s", err.ptr);
	buf_release(&err);
	pthread_mutex_lock(&pool->lock);
	pool->nopen--;
	pool_grant_opens(pool);
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct db *db_get(struct db_pool *pool)
{
	struct pool_waiter w = { .db = NULL, .may_open = 0, .next = NULL };
	struct db *db = NULL;

	pthread_mutex_lock(&pool->lock);
	if (!pool->head && pool->nidle > 0) {
		db = pool->idle[--pool->nidle];
		pthread_mutex_unlock(&pool->lock);
		return db;
	}
	if (!pool->head && pool->nopen < pool->size) {
		pool->nopen++;
		pthread_mutex_unlock(&pool->lock);
		return pool_open_one(pool);
	}
	pthread_cond_init(&w.wake, NULL);
	if (pool->tail)
		pool->tail->next = &w;
	else
		pool->head = &w;
	pool->tail = &w;
	while (!w.db && !w.may_open)
		pthread_cond_wait(&w.wake, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	pthread_cond_destroy(&w.wake);
	return w.db ? w.db : pool_open_one(pool);
}

/* A lost connection is closed, never lent again. The idle ones were most
 * likely cut by the same server restart or failover: close them too, so
 * that after an outage the next borrowers connect afresh instead of each
 * failing once on a dead socket. */
static void db_put_broken(struct db_pool *pool, struct db *db)
{
	struct db **idle;
	int nidle;

	pthread_mutex_lock(&pool->lock);
	idle = pool->idle;
	nidle = pool->nidle;
	pool->idle = xcalloc((size_t)pool->size, sizeof(*pool->idle));
	pool->nidle = 0;
	pool->nopen -= nidle + 1;
	pool_grant_opens(pool);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < nidle; i++)
		pool->drv->close(idle[i]);
	free(idle);
	pool->drv->close(db);
}

void db_put(struct db_pool *pool, struct db *db)
{
	struct pool_waiter *w;

	if (!db)
		return;
	if (db->broken) {
		db_put_broken(pool, db);
		return;
	}
	if (db->tx_depth) {
		/* A handler forgot to end a transaction: roll it back rather
		 * than let the next borrower commit someone else's writes. */
		log_error("db", "connection returned inside a transaction depth=%d", db->tx_depth);
		db->drv->exec(db, "ROLLBACK");
		db->tx_depth = 0;
	}
	pthread_mutex_lock(&pool->lock);
	w = pool_dequeue(pool);
	if (w) {
		w->db = db;
		pthread_cond_signal(&w->wake);
	} else {
		pool->idle[pool->nidle++] = db;
	}
	pthread_mutex_unlock(&pool->lock);
}

void db_pool_stats(struct db_pool *pool, int *open_out, int *idle_out, int *size_out)
{
	pthread_mutex_lock(&pool->lock);
	*open_out = pool->nopen;
	*idle_out = pool->nidle;
	*size_out = pool->size;
	pthread_mutex_unlock(&pool->lock);
}

enum db_dialect db_pool_dialect(const struct db_pool *pool)
{
	return pool->drv->dialect;
}

enum db_dialect db_dialect(const struct db *db)
{
	return db->drv->dialect;
}

int db_exec(struct db *db, const char *sql)
{
	return db->drv->exec(db, sql);
}

int db_ping(struct db *db)
{
	return db->drv->ping(db);
}

int db_tx_begin(struct db *db)
{
	int ret = 0;

	if (db->tx_depth == 0)
		ret = db->drv->exec(db, db->drv->dialect == DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
	if (ret == 0)
		db->tx_depth++;
	return ret;
}

int db_tx_end(struct db *db, int ret)
{
	if (db->tx_depth == 0)
		BUG("db_tx_end without db_tx_begin");
	if (--db->tx_depth > 0)
		return ret;
	if (ret == 0) {
		int cret = db->drv->exec(db, "COMMIT");

		if (cret == 0)
			return 0;
		ret = cret;
	}
	db->drv->exec(db, "ROLLBACK");
	return ret;
}

int db_prepare(struct db *db, struct db_stmt **out, const char *sql)
{
	return db->drv->prepare(db, out, sql);
}

int db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	return st->drv->bind_int64(st, idx, v);
}

int db_bind_text(struct db_stmt *st, int idx, const char *s)
{
	return s ? st->drv->bind_text(st, idx, s) : st->drv->bind_null(st, idx);
}

int db_step(struct db_stmt *st)
{
	return st->drv->step(st);
}

int64_t db_col_int64(struct db_stmt *st, int col)
{
	return st->drv->col_int64(st, col);
}

const char *db_col_text(struct db_stmt *st, int col)
{
	return st->drv->col_text(st, col);
}

char *db_col_strdup(struct db_stmt *st, int col)
{
	const char *s = st->drv->col_text(st, col);

	return s ? xstrdup(s) : NULL;
}

int db_col_is_null(struct db_stmt *st, int col)
{
	return st->drv->col_is_null(st, col);
}

void db_stmt_free(struct db_stmt *st)
{
	if (st)
		st->drv->finalize(st);
}

static int db_bind_va(struct db_stmt *st, const char *fmt, va_list ap)
{
	int ret = 0;

	for (int i = 0; fmt[i] && ret == 0; i++) {
		if (fmt[i] == 'i') {
			ret = db_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else if (fmt[i] == 'I') {
			int64_t v = va_arg(ap, int64_t);

			ret = v ? db_bind_int64(st, i + 1, v) : st->drv->bind_null(st, i + 1);
		}
		else if (fmt[i] == 's')
			ret = db_bind_text(st, i + 1, va_arg(ap, const char *));
		else
			BUG("bad db bind format '%c'", fmt[i]);
	}
	return ret;
}

int db_execp(struct db *db, const char *sql, const char *fmt, ...)
{
	struct db_stmt *st = NULL;
	va_list ap;
	int ret;

	ret = db_prepare(db, &st, sql);
	if (ret < 0)
		return ret;
	va_start(ap, fmt);
	ret = db_bind_va(st, fmt, ap);
	va_end(ap);
	if (ret == 0) {
		while ((ret = db_step(st)) > 0)
			;
	}
	db_stmt_free(st);
	return ret;
}

int db_queryp(struct db *db, struct db_stmt **out, const char *sql, const char *fmt, ...)
{
	struct db_stmt *st = NULL;
	va_list ap;
	int ret;

	ret = db_prepare(db, &st, sql);
	if (ret < 0)
		return ret;
	va_start(ap, fmt);
	ret = db_bind_va(st, fmt, ap);
	va_end(ap);
	if (ret == 0)
		ret = db_step(st);
	if (ret > 0) {
		*out = st;
		return 1;
	}
	db_stmt_free(st);
	return ret;
}
