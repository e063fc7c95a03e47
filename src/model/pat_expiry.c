#include "pat_expiry.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

int pat_expiry_due(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n_out)
{
	struct db_stmt *st = NULL;
	size_t n = 0;
	int ret;

	ret = db_queryp(db, &st, "SELECT t.id FROM personal_access_tokens t"
			" JOIN users u ON u.id = t.user_id"
			" LEFT JOIN pat_expiry_notices n ON n.token_id = t.id"
			" WHERE t.revoked = 0 AND u.state = 'active' AND n.token_id IS NULL"
			" AND t.expires_at > $1 AND t.expires_at <= $2 ORDER BY t.id LIMIT $3",
			"iii", now, now + PAT_EXPIRY_NOTICE_MS, (int64_t)max);
	while (ret == 1) {
		ids[n++] = db_col_int64(st, 0);
		ret = db_step(st);
	}
	db_stmt_free(st);
	if (ret < 0)
		return ret;
	*n_out = n;
	return 0;
}

int pat_expiry_mark(struct db *db, int64_t token_id)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_queryp(db, &st, "INSERT INTO pat_expiry_notices (token_id, sent_at)"
			" VALUES ($1, $2) ON CONFLICT (token_id) DO NOTHING RETURNING token_id", "ii",
			token_id, time_now_ms());
	if (ret > 0)
		while (db_step(st) > 0)
			;
	db_stmt_free(st);
	return ret < 0 ? ret : ret > 0;
}
