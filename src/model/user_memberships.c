#include "user_memberships.h"
#include "core/err.h"
#include "db/db.h"

/* $1 user, $2 type ('' both). */
#define MEMBERSHIPS_FROM \
	" FROM (SELECT m.source_id AS sid, p.name AS sname, 'Project' AS stype," \
	"  m.access_level AS lvl, 0 AS ord FROM members m JOIN projects p ON p.id = m.source_id" \
	"  WHERE m.source_kind = 'project' AND m.user_id = $1" \
	" UNION ALL SELECT m.source_id, n.name, 'Namespace', m.access_level, 1 FROM members m" \
	"  JOIN namespaces n ON n.id = m.source_id" \
	"  WHERE m.source_kind = 'namespace' AND m.user_id = $1) ms" \
	" WHERE ($2 = '' OR ms.stype = $2)"

int user_memberships_count(struct db *db, int64_t user_id, const char *type, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*)" MEMBERSHIPS_FROM, "is", user_id,
			    type ? type : "");

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int user_memberships_list(struct db *db, int64_t user_id, const char *type, int64_t offset,
			  int64_t limit, int (*fn)(const struct user_membership *m, void *ctx),
			  void *ctx)
{
	struct db_stmt *st = NULL;
	int ret = db_prepare(db, &st, "SELECT ms.sid, ms.sname, ms.stype, ms.lvl" MEMBERSHIPS_FROM
			     " ORDER BY ms.ord, ms.sid LIMIT $3 OFFSET $4");

	if (ret == 0)
		ret = db_bind_int64(st, 1, user_id);
	if (ret == 0)
		ret = db_bind_text(st, 2, type ? type : "");
	if (ret == 0)
		ret = db_bind_int64(st, 3, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 4, offset);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct user_membership m = {
			.source_id = db_col_int64(st, 0),
			.source_name = db_col_text(st, 1),
			.source_type = db_col_text(st, 2),
			.access_level = (int)db_col_int64(st, 3),
		};

		ret = fn(&m, ctx);
	}
	db_stmt_free(st);
	return ret;
}
