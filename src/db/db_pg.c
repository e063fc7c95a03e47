/* PostgreSQL driver (libpq): what several nodes share. Every statement is
 * sent with the extended protocol (PQexecParams): parameters travel apart
 * from the SQL as text and the server infers their types from the columns
 * they meet, so models bind int64 and strings the same way as on SQLite.
 * A statement runs on its first step; the whole result is fetched then and
 * later steps walk its rows.
 *
 * A lost connection (server restart, failover, admin shutdown) answers
 * ERR_UNAVAILABLE and marks the connection broken, so the pool closes it
 * instead of lending it again and the next borrower connects afresh. */
#include "db_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More placeholders than any model writes: a larger $N is a typo. */
#define PG_MAX_PARAMS 64
/* Any constant both processes agree on; spells "kura" in ASCII. */
#define PG_MIGRATE_LOCK_KEY "1802859105"

struct pg_db {
	struct db base;
	PGconn *conn;
};

struct pg_stmt {
	struct db_stmt base;
	struct pg_db *db;
	char *sql;
	int nparams;
	char **params;		/* owned text values, NULL binds NULL */
	PGresult *res;		/* set by the first step */
	int row, nrows;
};

static int pg_is_lost(const char *state)
{
	/* Class 08 is connection exceptions; 57P01-57P03 are the server shutting
	 * down, crashing or still starting: all mean "connect again later". */
	return !strncmp(state, "08", 2) || !strcmp(state, "57P01") || !strcmp(state, "57P02") ||
	       !strcmp(state, "57P03");
}

static int pg_err(struct pg_db *db, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn);

	if (state && !strcmp(state, "23505"))
		return ERR_EXISTS;
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		      !strcmp(state, "55P03")))
		return ERR_BUSY;
	if (PQstatus(db->conn) != CONNECTION_OK || (state && pg_is_lost(state))) {
		db->base.broken = 1;
		log_warn("db", "postgresql connection lost during %s: %.200s", what,
			 msg && *msg ? msg : "no message");
		return ERR_UNAVAILABLE;
	}
	log_debug("db", "postgresql %s failed sqlstate=%s: %.500s", what, state ? state : "none",
		  msg ? msg : "");
	return ERR_INTERNAL;
}

/* libpq prints notices ("table exists, skipping") to stderr by default. */
static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("db", "postgresql notice: %.200s", msg);
}

static void pg_close(struct db *base)
{
	struct pg_db *db = (struct pg_db *)base;

	if (!db)
		return;
	PQfinish(db->conn);
	free(db);
}

static int pg_open(struct db **out, const char *url, struct buf *err)
{
	/* Defaults first: anything the URL says wins, since libpq keeps the
	 * last value of a repeated keyword and expands dbname in place. The
	 * timeouts bound how long a request can hang on a vanished server. */
	static const char *const keys[] = {
		"connect_timeout", "keepalives_idle", "keepalives_interval", "keepalives_count",
		"fallback_application_name", "dbname", NULL,
	};
	const char *values[] = { "10", "15", "5", "3", "kura", url, NULL };
	struct pg_db *db = xcalloc(1, sizeof(*db));
	const char *msg;
	size_t n;

	db->base.drv = &db_pg_driver;
	db->conn = PQconnectdbParams(keys, values, 1);
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		msg = db->conn ? PQerrorMessage(db->conn) : "out of memory";
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			n--;
		buf_addf(err, "cannot connect to postgresql: %.*s", (int)n, msg);
		pg_close(&db->base);
		return ERR_UNAVAILABLE;
	}
	PQsetNoticeProcessor(db->conn, pg_notice, NULL);
	*out = &db->base;
	return 0;
}

static int pg_result_ok(struct pg_db *db, PGresult *res, const char *what)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY)
		return 0;
	return pg_err(db, res, what);
}

static int pg_exec(struct db *base, const char *sql)
{
	struct pg_db *db = (struct pg_db *)base;
	PGresult *res = PQexec(db->conn, sql);
	int ret = pg_result_ok(db, res, "exec");

	PQclear(res);
	return ret;
}

/* The highest $N outside quotes: how many parameters the server expects. */
static int pg_count_params(const char *sql)
{
	char quote = 0;
	int max = 0;

	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			int n = 0;

			while (p[1] >= '0' && p[1] <= '9' && n <= PG_MAX_PARAMS)
				n = n * 10 + (*++p - '0');
			if (n > max)
				max = n;
		}
	}
	return max;
}

static int pg_prepare(struct db *base, struct db_stmt **out, const char *sql)
{
	struct pg_db *db = (struct pg_db *)base;
	struct pg_stmt *st;
	int n = pg_count_params(sql);

	if (n > PG_MAX_PARAMS) {
		log_debug("db", "postgresql prepare: too many parameters n=%d", n);
		return ERR_INTERNAL;
	}
	st = xcalloc(1, sizeof(*st));
	st->base.drv = &db_pg_driver;
	st->db = db;
	st->sql = xstrdup(sql);
	st->nparams = n;
	st->params = xcalloc((size_t)(n > 0 ? n : 1), sizeof(*st->params));
	*out = &st->base;
	return 0;
}

static int pg_bind_value(struct pg_stmt *st, int idx, char *value)
{
	if (idx < 1 || idx > st->nparams || st->res)
		BUG("postgresql bind of $%d outside 1..%d or after step", idx, st->nparams);
	free(st->params[idx - 1]);
	st->params[idx - 1] = value;
	return 0;
}

static int pg_bind_int64(struct db_stmt *base, int idx, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	return pg_bind_value((struct pg_stmt *)base, idx, xstrdup(num));
}

static int pg_bind_text(struct db_stmt *base, int idx, const char *s)
{
	return pg_bind_value((struct pg_stmt *)base, idx, xstrdup(s));
}

static int pg_bind_null(struct db_stmt *base, int idx)
{
	return pg_bind_value((struct pg_stmt *)base, idx, NULL);
}

static int pg_step(struct db_stmt *base)
{
	struct pg_stmt *st = (struct pg_stmt *)base;
	int ret;

	if (st->res)
		return ++st->row < st->nrows ? 1 : 0;
	st->res = PQexecParams(st->db->conn, st->sql, st->nparams, NULL,
			       (const char *const *)st->params, NULL, NULL, 0);
	ret = pg_result_ok(st->db, st->res, "step");
	if (ret < 0) {
		/* Keep no failed result: a second step must not report rows. */
		PQclear(st->res);
		st->res = PQmakeEmptyPGresult(NULL, PGRES_COMMAND_OK);
		return ret;
	}
	st->row = 0;
	st->nrows = PQresultStatus(st->res) == PGRES_TUPLES_OK ? PQntuples(st->res) : 0;
	return st->nrows > 0 ? 1 : 0;
}

static int pg_col_valid(struct pg_stmt *st, int col)
{
	return st->res && st->row < st->nrows && col >= 0 && col < PQnfields(st->res);
}

static int pg_col_is_null(struct db_stmt *base, int col)
{
	struct pg_stmt *st = (struct pg_stmt *)base;

	return !pg_col_valid(st, col) || PQgetisnull(st->res, st->row, col);
}

static const char *pg_col_text(struct db_stmt *base, int col)
{
	struct pg_stmt *st = (struct pg_stmt *)base;

	if (pg_col_is_null(base, col))
		return NULL;
	return PQgetvalue(st->res, st->row, col);
}

/* All of int64, INT64_MIN included, which parse_i64 leaves out. */
static int pg_parse_int64(const char *s, int64_t *out)
{
	int neg = *s == '-';
	uint64_t u;

	if (parse_u64(s + neg, (uint64_t)INT64_MAX + neg, &u) < 0)
		return ERR_INVALID;
	*out = neg && u > 0 ? -(int64_t)(u - 1) - 1 : (int64_t)u;
	return 0;
}

static int64_t pg_col_int64(struct db_stmt *base, int col)
{
	const char *s = pg_col_text(base, col);
	int64_t v = 0;

	if (!s)
		return 0;
	/* Comparisons come back as booleans: read them as SQLite's 0/1. */
	if (!strcmp(s, "t"))
		return 1;
	if (!strcmp(s, "f"))
		return 0;
	if (pg_parse_int64(s, &v) < 0)
		log_debug("db", "postgresql column %d is not an integer", col);
	return v;
}

static void pg_finalize(struct db_stmt *base)
{
	struct pg_stmt *st = (struct pg_stmt *)base;

	for (int i = 0; i < st->nparams; i++)
		free(st->params[i]);
	free(st->params);
	free(st->sql);
	PQclear(st->res);
	free(st);
}

/* A session-level advisory lock: several nodes starting at once wait here
 * and all but the first find nothing left to migrate. The server drops the
 * lock with the session if this process dies. */
static int pg_migrate_lock(struct db *db)
{
	return pg_exec(db, "SELECT pg_advisory_lock(" PG_MIGRATE_LOCK_KEY ")");
}

static int pg_migrate_unlock(struct db *db)
{
	return pg_exec(db, "SELECT pg_advisory_unlock(" PG_MIGRATE_LOCK_KEY ")");
}

static int pg_ping(struct db *db)
{
	return pg_exec(db, "SELECT 1");
}

const struct db_driver db_pg_driver = {
	.dialect = DB_POSTGRES,
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.col_int64 = pg_col_int64,
	.col_text = pg_col_text,
	.col_is_null = pg_col_is_null,
	.finalize = pg_finalize,
	.migrate_lock = pg_migrate_lock,
	.migrate_unlock = pg_migrate_unlock,
	.ping = pg_ping,
};
