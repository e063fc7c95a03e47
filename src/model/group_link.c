#include "group_link.h"
#include "member.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

/* Table and source column per kind; fixed strings, never client data. */
static const char *const link_exists_sql[] = {
	"SELECT 1 FROM group_group_links WHERE shared_group_id = $1 AND shared_with_group_id = $2",
	"SELECT 1 FROM project_group_links WHERE project_id = $1 AND group_id = $2",
};
static const char *const link_insert_sql[] = {
	"INSERT INTO group_group_links (shared_group_id, shared_with_group_id, access_level,"
	" expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
	"INSERT INTO project_group_links (project_id, group_id, access_level, expires_at,"
	" created_at) VALUES ($1, $2, $3, $4, $5)",
};
static const char *const link_delete_sql[] = {
	"DELETE FROM group_group_links WHERE shared_group_id = $1 AND shared_with_group_id = $2",
	"DELETE FROM project_group_links WHERE project_id = $1 AND group_id = $2",
};
static const char *const link_list_sql[] = {
	"SELECT n.id, n.name, n.full_path, l.access_level, l.expires_at FROM group_group_links l"
	" JOIN namespaces n ON n.id = l.shared_with_group_id WHERE l.shared_group_id = $1"
	" ORDER BY l.created_at, n.id",
	"SELECT n.id, n.name, n.full_path, l.access_level, l.expires_at FROM project_group_links l"
	" JOIN namespaces n ON n.id = l.group_id WHERE l.project_id = $1"
	" ORDER BY l.created_at, n.id",
};

static int link_exists(struct db *db, enum group_link_kind kind, int64_t source_id,
		       int64_t group_id)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, link_exists_sql[kind], "ii", source_id, group_id);

	db_stmt_free(st);
	return ret;
}

int group_link_add(struct db *db, enum group_link_kind kind, int64_t source_id,
		   int64_t group_id, int level, int64_t expires_at)
{
	int ret;

	if (!access_level_valid(level))
		return ERR_INVALID;
	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	ret = link_exists(db, kind, source_id, group_id);
	if (ret > 0)
		ret = ERR_EXISTS;
	if (ret == 0)
		ret = db_execp(db, link_insert_sql[kind], "iiiIi", source_id, group_id,
			       (int64_t)level, expires_at, time_now_ms());
	return db_tx_end(db, ret);
}

int group_link_remove(struct db *db, enum group_link_kind kind, int64_t source_id,
		      int64_t group_id)
{
	int ret = db_tx_begin(db);

	if (ret < 0)
		return ret;
	ret = link_exists(db, kind, source_id, group_id);
	if (ret == 0)
		ret = ERR_NOTFOUND;
	else if (ret > 0)
		ret = db_execp(db, link_delete_sql[kind], "ii", source_id, group_id);
	return db_tx_end(db, ret);
}

int group_link_list(struct db *db, enum group_link_kind kind, int64_t source_id,
		    int (*fn)(const struct group_link *l, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret = db_prepare(db, &st, link_list_sql[kind]);

	if (ret == 0)
		ret = db_bind_int64(st, 1, source_id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct group_link l = {
			.group_id = db_col_int64(st, 0),
			.group_name = db_col_text(st, 1),
			.group_full_path = db_col_text(st, 2),
			.access_level = (int)db_col_int64(st, 3),
			.expires_at = db_col_is_null(st, 4) ? 0 : db_col_int64(st, 4),
		};

		ret = fn(&l, ctx);
	}
	db_stmt_free(st);
	return ret;
}
