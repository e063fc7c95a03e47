#include "sqlq.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "db/db.h"

void sqlq_init(struct sqlq *q)
{
	buf_init(&q->sql, 64 * 1024);
	q->n = 0;
}

void sqlq_release(struct sqlq *q)
{
	buf_release(&q->sql);
	q->n = 0;
}

void sqlq_add(struct sqlq *q, const char *sql)
{
	buf_addstr(&q->sql, sql);
}

static void sqlq_param(struct sqlq *q, char kind, int64_t num, const char *str)
{
	if (q->n == SQLQ_MAX_PARAMS)
		BUG("too many query parameters");
	q->kind[q->n] = kind;
	q->num[q->n] = num;
	q->str[q->n] = str;
	q->n++;
	buf_addf(&q->sql, "$%d", q->n);
}

void sqlq_int(struct sqlq *q, int64_t v)
{
	sqlq_param(q, 'i', v, NULL);
}

void sqlq_str(struct sqlq *q, const char *s)
{
	sqlq_param(q, 's', 0, s);
}

int sqlq_prepare(struct sqlq *q, struct db *db, struct db_stmt **out)
{
	struct db_stmt *st = NULL;
	int ret;

	if (buf_error(&q->sql))
		BUG("query text over its limit");
	ret = db_prepare(db, &st, q->sql.ptr);
	for (int i = 0; ret == 0 && i < q->n; i++)
		ret = q->kind[i] == 'i' ? db_bind_int64(st, i + 1, q->num[i])
					: db_bind_text(st, i + 1, q->str[i]);
	if (ret < 0) {
		db_stmt_free(st);
		return ret;
	}
	*out = st;
	return 0;
}

int sqlq_count(struct sqlq *q, struct db *db, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = sqlq_prepare(q, db, &st);

	if (ret == 0)
		ret = db_step(st);
	if (ret > 0) {
		*out = db_col_int64(st, 0);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_INTERNAL;
	}
	db_stmt_free(st);
	return ret;
}

void sqlq_like_pattern(struct buf *out, const char *s)
{
	buf_addch(out, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_addch(out, '\\');
		buf_addch(out, *s);
	}
	buf_addch(out, '%');
}
