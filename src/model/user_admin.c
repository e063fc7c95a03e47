#include "user_admin.h"
#include "user.h"
#include "user_internal.h"
#include "names.h"
#include "project.h"
#include "sqlq.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

static void user_where(struct sqlq *q, const struct user_filter *f, struct buf *like)
{
	sqlq_add(q, " FROM users u WHERE 1 = 1");
	if (f->username) {
		sqlq_add(q, " AND lower(u.username) = lower(");
		sqlq_str(q, f->username);
		sqlq_add(q, ")");
	}
	if (f->search) {
		sqlq_like_pattern(like, f->search);
		sqlq_add(q, " AND (lower(u.username) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\' OR lower(u.name) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\'");
		if (f->search_email) {
			sqlq_add(q, " OR lower(u.email) = lower(");
			sqlq_str(q, f->search);
			sqlq_add(q, ")");
		}
		sqlq_add(q, ")");
	}
	if (f->state) {
		sqlq_add(q, " AND u.state = ");
		sqlq_str(q, f->state);
	}
}

int user_query_count(struct db *db, const struct user_filter *f, int64_t *out)
{
	struct sqlq q;
	struct buf like = BUF_INIT;
	int ret;

	sqlq_init(&q);
	sqlq_add(&q, "SELECT count(*)");
	user_where(&q, f, &like);
	ret = sqlq_count(&q, db, out);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}

static const char *user_order(const char *order_by)
{
	static const char *const cols[] = { "id", "name", "username", "created_at", "updated_at",
					    NULL };

	for (int i = 0; order_by && cols[i]; i++)
		if (!strcmp(order_by, cols[i]))
			return cols[i];
	return "id";
}

int user_query(struct db *db, const struct user_filter *f, int64_t offset, int64_t limit,
	       int (*fn)(const struct user *u, void *ctx), void *ctx)
{
	struct sqlq q;
	struct buf like = BUF_INIT, order = BUF_INIT;
	struct db_stmt *st = NULL;
	const char *dir = f->sort_asc ? "ASC" : "DESC";
	int ret;

	sqlq_init(&q);
	sqlq_add(&q, "SELECT " USER_COLUMNS);
	user_where(&q, f, &like);
	buf_addf(&order, " ORDER BY u.%s %s, u.id %s LIMIT ", user_order(f->order_by), dir, dir);
	sqlq_add(&q, order.ptr);
	sqlq_int(&q, limit);
	sqlq_add(&q, " OFFSET ");
	sqlq_int(&q, offset);
	ret = sqlq_prepare(&q, db, &st);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct user *u = user_from_row(st);

		ret = fn(u, ctx);
		user_free(u);
	}
	db_stmt_free(st);
	sqlq_release(&q);
	buf_release(&like);
	buf_release(&order);
	return ret;
}

int user_update(struct db *db, int64_t id, const struct user_update *u, struct buf *err)
{
	int ret;

	if ((u->name && names_check_display(u->name, "name", err) < 0) ||
	    (u->email && names_check_email(u->email, err) < 0))
		return ERR_INVALID;
	ret = db_execp(db, "UPDATE users SET name = COALESCE($1, name), email = COALESCE($2, email),"
		       " is_admin = CASE WHEN $3 < 0 THEN is_admin ELSE $3 END, updated_at = $4"
		       " WHERE id = $5", "ssiii", u->name, u->email, (int64_t)u->is_admin,
		       time_now_ms(), id);
	if (ret == ERR_EXISTS)
		buf_addstr(err, "email has already been taken");
	return ret;
}

int user_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	int ret;

	ret = db_prepare(db, &st, "SELECT p.id FROM projects p JOIN namespaces n"
			 " ON n.id = p.namespace_id WHERE n.kind = 'user' AND n.owner_id = $1");
	if (ret == 0)
		ret = db_bind_int64(st, 1, id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = db_col_int64(st, 0);
		ret = 0;
	}
	db_stmt_free(st);
	/* Each project goes with its repository; a failure leaves the user
	 * in place to retry. */
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = project_delete(db, ids[i]);
	free(ids);
	if (ret == 0)
		ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	ret = db_execp(db, "DELETE FROM namespaces WHERE kind = 'user' AND owner_id = $1", "i", id);
	if (ret == 0)
		ret = db_execp(db, "DELETE FROM users WHERE id = $1", "i", id);
	return db_tx_end(db, ret);
}
