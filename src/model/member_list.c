#include "member_list.h"
#include "sqlq.h"
#include "user.h"
#include "user_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

static const char *const source_names[] = { "project", "namespace" };

static void member_query(struct sqlq *q, const struct member_scope *s, struct buf *like,
			 const char *select)
{
	int64_t now = time_now_ms();

	sqlq_add(q, "WITH RECURSIVE anc(id, parent_id) AS (SELECT id, parent_id FROM namespaces"
		    " WHERE id = ");
	sqlq_int(q, s->namespace_id);
	sqlq_add(q, " UNION ALL SELECT n.id, n.parent_id FROM namespaces n"
		    " JOIN anc ON n.id = anc.parent_id),"
		    " mm(user_id, lvl, created_at, expires_at) AS ("
		    " SELECT user_id, access_level, created_at, expires_at FROM members"
		    " WHERE source_kind = ");
	sqlq_str(q, source_names[s->kind]);
	sqlq_add(q, " AND source_id = ");
	sqlq_int(q, s->source_id);
	sqlq_add(q, " UNION ALL SELECT m.user_id, m.access_level, m.created_at, m.expires_at"
		    " FROM members m WHERE m.source_kind = 'namespace'"
		    " AND m.source_id IN (SELECT id FROM anc)),"
		    " agg(user_id, lvl, created_at, expires_at) AS (SELECT user_id, max(lvl),"
		    " min(created_at), max(expires_at) FROM mm"
		    " WHERE expires_at IS NULL OR expires_at > ");
	sqlq_int(q, now);
	sqlq_add(q, " GROUP BY user_id) ");
	sqlq_add(q, select);
	sqlq_add(q, " FROM agg JOIN users u ON u.id = agg.user_id WHERE 1 = 1");
	if (s->query) {
		sqlq_like_pattern(like, s->query);
		sqlq_add(q, " AND (lower(u.username) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\' OR lower(u.name) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\')");
	}
	if (s->user_id) {
		sqlq_add(q, " AND u.id = ");
		sqlq_int(q, s->user_id);
	}
}

int member_list_count(struct db *db, const struct member_scope *s, int64_t *out)
{
	struct sqlq q;
	struct buf like = BUF_INIT;
	int ret;

	sqlq_init(&q);
	member_query(&q, s, &like, "SELECT count(*)");
	ret = sqlq_count(&q, db, out);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}

int member_list(struct db *db, const struct member_scope *s, int64_t offset, int64_t limit,
		int (*fn)(const struct member_row *m, void *ctx), void *ctx)
{
	struct sqlq q;
	struct buf like = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	sqlq_init(&q);
	member_query(&q, s, &like, "SELECT " USER_COLUMNS ", agg.lvl, agg.created_at, agg.expires_at");
	sqlq_add(&q, " ORDER BY u.id ASC LIMIT ");
	sqlq_int(&q, limit);
	sqlq_add(&q, " OFFSET ");
	sqlq_int(&q, offset);
	ret = sqlq_prepare(&q, db, &st);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct user *u = user_from_row(st);
		struct member_row m = { u, (int)db_col_int64(st, 12), db_col_int64(st, 13),
					db_col_int64(st, 14) };

		ret = fn(&m, ctx);
		user_free(u);
	}
	db_stmt_free(st);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}

int member_owner_count(struct db *db, int64_t namespace_id, int64_t *out)
{
	struct member_scope s = { MEMBER_NAMESPACE, namespace_id, namespace_id, NULL, 0 };
	struct sqlq q;
	struct buf like = BUF_INIT;
	int ret;

	sqlq_init(&q);
	member_query(&q, &s, &like, "SELECT count(*)");
	sqlq_add(&q, " AND agg.lvl >= 50");
	ret = sqlq_count(&q, db, out);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}
