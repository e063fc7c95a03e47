#include "oauth_authorized.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

int oauth_authorized_list(struct db *db, int64_t user_id,
			  int (*fn)(const struct oauth_authorized *a, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st,
			    "SELECT a.id, a.name, (SELECT t2.scopes FROM oauth_access_tokens t2"
			    " WHERE t2.application_id = a.id AND t2.user_id = $1"
			    " AND t2.revoked_at IS NULL ORDER BY t2.id DESC LIMIT 1), min(t.created_at)"
			    " FROM oauth_access_tokens t JOIN oauth_applications a"
			    " ON a.id = t.application_id WHERE t.user_id = $1 AND t.revoked_at IS NULL"
			    " GROUP BY a.id, a.name ORDER BY a.name, a.id LIMIT $2", "ii", user_id,
			    (int64_t)OAUTH_AUTHORIZED_MAX);

	while (ret == 1) {
		struct oauth_authorized a = { db_col_int64(st, 0), db_col_text(st, 1),
					      db_col_text(st, 2), db_col_int64(st, 3) };

		if (fn(&a, ctx))
			break;
		ret = db_step(st);
	}
	db_stmt_free(st);
	return ret < 0 ? ret : 0;
}

int oauth_authorized_revoke(struct db *db, int64_t user_id, int64_t app_id)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*) FROM oauth_access_tokens WHERE user_id = $1"
			    " AND application_id = $2 AND revoked_at IS NULL", "ii", user_id, app_id);
	int64_t n = ret == 1 ? db_col_int64(st, 0) : 0;

	db_stmt_free(st);
	if (ret < 0)
		return ret;
	if (!n)
		return ERR_NOTFOUND;
	return db_execp(db, "UPDATE oauth_access_tokens SET revoked_at = $1,"
			" revoke_reason = 'revoked' WHERE user_id = $2 AND application_id = $3"
			" AND revoked_at IS NULL", "iii", time_now_ms(), user_id, app_id);
}
