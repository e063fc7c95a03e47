/* Building a query whose WHERE clause depends on filters: literal SQL from
 * the model plus bound parameters numbered in order. Client text is only
 * ever bound, never appended. */
#ifndef KURA_SQLQ_H
#define KURA_SQLQ_H
#include <stdint.h>

#include "core/buf.h"

struct db;
struct db_stmt;

#define SQLQ_MAX_PARAMS 16

struct sqlq {
	struct buf sql;
	int n;
	char kind[SQLQ_MAX_PARAMS];	/* 'i' or 's' */
	int64_t num[SQLQ_MAX_PARAMS];
	const char *str[SQLQ_MAX_PARAMS];	/* borrowed until prepared */
};

void sqlq_init(struct sqlq *q);
void sqlq_release(struct sqlq *q);
void sqlq_add(struct sqlq *q, const char *sql);
/* Append "$N" bound to the value; BUG() past SQLQ_MAX_PARAMS. */
void sqlq_int(struct sqlq *q, int64_t v);
void sqlq_str(struct sqlq *q, const char *s);
/* Prepares and binds; the caller steps and frees the statement. */
int sqlq_prepare(struct sqlq *q, struct db *db, struct db_stmt **out);
/* Runs a "SELECT count(*) …" query into *out. */
int sqlq_count(struct sqlq *q, struct db *db, int64_t *out);
/* A LIKE pattern matching s anywhere, with %, _ and \ escaped (use with
 * ESCAPE '\'). */
void sqlq_like_pattern(struct buf *out, const char *s);

#endif
