#include "push_event_list.h"
#include "member.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

/* Projects the user reads code of: direct project memberships, group
 * memberships inherited down the tree, and the personal namespace. Guests
 * are left out because a push names commits they may not read. */
static const char feed_sql[] =
	"WITH RECURSIVE ug(ns_id) AS ("
	" SELECT m.source_id FROM members m WHERE m.source_kind = 'namespace'"
	" AND m.user_id = $1 AND m.access_level >= $2 AND (m.expires_at IS NULL OR m.expires_at > $3)"
	" UNION ALL SELECT n.id FROM namespaces n JOIN ug ON n.parent_id = ug.ns_id)"
	" SELECT e.id, e.project_id, n.full_path, p.path, p.name, u.username, e.ref,"
	" e.before_sha, e.after_sha, e.created_at"
	" FROM push_events e JOIN projects p ON p.id = e.project_id"
	" JOIN namespaces n ON n.id = p.namespace_id LEFT JOIN users u ON u.id = e.user_id"
	" WHERE p.namespace_id IN (SELECT ns_id FROM ug) OR n.owner_id = $1"
	" OR p.id IN (SELECT m.source_id FROM members m WHERE m.source_kind = 'project'"
	" AND m.user_id = $1 AND m.access_level >= $2"
	" AND (m.expires_at IS NULL OR m.expires_at > $3))"
	" ORDER BY e.id DESC LIMIT $4 OFFSET $5";

int push_event_feed(struct db *db, int64_t user_id, int64_t offset, int64_t limit,
		    int (*fn)(const struct push_event_row *e, void *ctx), void *ctx,
		    int *more_out)
{
	struct db_stmt *st = NULL;
	struct buf full = BUF_INIT;
	int64_t seen = 0;
	int more = 0, ret;

	/* One row past the window tells whether another page exists. */
	ret = db_queryp(db, &st, feed_sql, "iiiii", user_id, (int64_t)ACCESS_REPORTER,
			time_now_ms(), limit + 1, offset);
	while (ret == 1) {
		struct push_event_row e = { 0 };

		if (seen++ == limit) {
			more = 1;
			break;
		}
		buf_reset(&full);
		buf_addf(&full, "%s/%s", db_col_text(st, 2), db_col_text(st, 3));
		e.id = db_col_int64(st, 0);
		e.project_id = db_col_int64(st, 1);
		e.project_full_path = full.ptr;
		e.project_name = db_col_text(st, 4);
		e.username = db_col_is_null(st, 5) ? NULL : db_col_text(st, 5);
		e.ref = db_col_text(st, 6);
		e.before_sha = db_col_text(st, 7);
		e.after_sha = db_col_text(st, 8);
		e.created_at = db_col_int64(st, 9);
		if (fn(&e, ctx))
			break;
		ret = db_step(st);
	}
	db_stmt_free(st);
	buf_release(&full);
	if (ret < 0)
		return ret;
	*more_out = more;
	return 0;
}
