#include "push_event.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

int push_event_record(struct db *db, int64_t project_id, int64_t user_id,
		      const struct ref_update *u, int64_t *id_out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st,
			    "INSERT INTO push_events (project_id, user_id, ref, before_sha, after_sha,"
			    " created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
			    "iIsssi", project_id, user_id, u->ref, u->old_oid, u->new_oid,
			    time_now_ms());

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}
