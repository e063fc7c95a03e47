#include "star.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

int star_add(struct db *db, int64_t project_id, int64_t user_id)
{
	struct db_stmt *st = NULL;
	int ret = db_tx_begin(db);

	if (ret < 0)
		return ret;
	ret = db_queryp(db, &st, "SELECT 1 FROM project_stars WHERE project_id = $1"
			" AND user_id = $2", "ii", project_id, user_id);
	db_stmt_free(st);
	if (ret > 0)
		ret = ERR_EXISTS;
	if (ret == 0)
		ret = db_execp(db, "INSERT INTO project_stars (project_id, user_id, created_at)"
			       " VALUES ($1, $2, $3)", "iii", project_id, user_id, time_now_ms());
	return db_tx_end(db, ret);
}

int star_remove(struct db *db, int64_t project_id, int64_t user_id)
{
	struct db_stmt *st = NULL;
	int ret = db_tx_begin(db);

	if (ret < 0)
		return ret;
	ret = db_queryp(db, &st, "SELECT 1 FROM project_stars WHERE project_id = $1"
			" AND user_id = $2", "ii", project_id, user_id);
	db_stmt_free(st);
	if (ret == 0)
		ret = ERR_NOTFOUND;
	else if (ret > 0)
		ret = db_execp(db, "DELETE FROM project_stars WHERE project_id = $1"
			       " AND user_id = $2", "ii", project_id, user_id);
	return db_tx_end(db, ret);
}

int star_count(struct db *db, int64_t project_id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*) FROM project_stars WHERE project_id = $1",
			    "i", project_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

/* $1 project, $2 search ('' none). */
#define STAR_WHERE \
	" FROM project_stars s JOIN users u ON u.id = s.user_id WHERE s.project_id = $1" \
	" AND ($2 = '' OR lower(u.username) LIKE '%' || lower($2) || '%'" \
	" OR lower(u.name) LIKE '%' || lower($2) || '%')"

int star_list_count(struct db *db, int64_t project_id, const char *search, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*)" STAR_WHERE, "is", project_id,
			    search ? search : "");

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int star_list(struct db *db, int64_t project_id, const char *search, int64_t offset,
	      int64_t limit, int (*fn)(int64_t user_id, int64_t starred_at, void *ctx),
	      void *ctx)
{
	struct db_stmt *st = NULL;
	int ret = db_prepare(db, &st, "SELECT s.user_id, s.created_at" STAR_WHERE
			     " ORDER BY s.created_at DESC, s.user_id DESC LIMIT $3 OFFSET $4");

	if (ret == 0)
		ret = db_bind_int64(st, 1, project_id);
	if (ret == 0)
		ret = db_bind_text(st, 2, search ? search : "");
	if (ret == 0)
		ret = db_bind_int64(st, 3, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 4, offset);
	while (ret == 0 && (ret = db_step(st)) > 0)
		ret = fn(db_col_int64(st, 0), db_col_int64(st, 1), ctx);
	db_stmt_free(st);
	return ret;
}
