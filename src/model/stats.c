#include "stats.h"
#include "core/err.h"
#include "db/db.h"

int stats_count(struct db *db, struct stats_counts *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st,
			    "SELECT (SELECT count(*) FROM users),"
			    " (SELECT count(*) FROM users WHERE state = 'active'),"
			    " (SELECT count(*) FROM namespaces WHERE kind = 'group'),"
			    " (SELECT count(*) FROM projects)", "");

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	out->users = db_col_int64(st, 0);
	out->active_users = db_col_int64(st, 1);
	out->groups = db_col_int64(st, 2);
	out->projects = db_col_int64(st, 3);
	db_stmt_free(st);
	return 0;
}
