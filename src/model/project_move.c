#include "project_move.h"
#include "project.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

int project_transfer(struct db *db, const struct project *p, int64_t namespace_id,
		     struct buf *err)
{
	struct db_stmt *st = NULL;
	int ret;

	if (namespace_id == p->namespace_id) {
		buf_addstr(err, "The project is already in that namespace.");
		return ERR_INVALID;
	}
	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	ret = db_queryp(db, &st, "SELECT id FROM namespaces WHERE id = $1", "i", namespace_id);
	db_stmt_free(st);
	st = NULL;	/* db_queryp leaves it alone when no row comes */
	if (ret == 0)
		ret = ERR_NOTFOUND;
	else if (ret > 0)
		ret = 0;
	/* Projects and subgroups share URLs: either of the same path blocks it. */
	if (ret == 0) {
		ret = db_queryp(db, &st, "SELECT id FROM namespaces WHERE parent_id = $1"
				" AND lower(path) = lower($2) UNION ALL SELECT id FROM projects"
				" WHERE namespace_id = $1 AND lower(path) = lower($2)", "is",
				namespace_id, p->path);
		db_stmt_free(st);
		if (ret > 0)
			ret = ERR_EXISTS;
	}
	if (ret == 0)
		ret = db_execp(db, "UPDATE projects SET namespace_id = $1, updated_at = $2"
			       " WHERE id = $3", "iii", namespace_id, time_now_ms(), p->id);
	if (ret == ERR_EXISTS)
		buf_addstr(err, "The namespace already holds a project or group with this path.");
	return db_tx_end(db, ret);
}
