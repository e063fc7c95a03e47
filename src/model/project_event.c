#include "project_event.h"
#include "core/err.h"
#include "db/db.h"

int project_event_count(struct db *db, int64_t project_id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*) FROM push_events WHERE project_id = $1",
			    "i", project_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int project_event_list(struct db *db, int64_t project_id, int64_t offset, int64_t limit,
		       int (*fn)(const struct project_event *e, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, &st, "SELECT id, project_id, user_id, ref, before_sha, after_sha,"
			 " created_at FROM push_events WHERE project_id = $1"
			 " ORDER BY id DESC LIMIT $2 OFFSET $3");
	if (ret == 0)
		ret = db_bind_int64(st, 1, project_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 3, offset);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct project_event e = {
			db_col_int64(st, 0), db_col_int64(st, 1), db_col_int64(st, 2),
			db_col_text(st, 3), db_col_text(st, 4), db_col_text(st, 5),
			db_col_int64(st, 6),
		};

		ret = fn(&e, ctx);
	}
	db_stmt_free(st);
	return ret;
}
