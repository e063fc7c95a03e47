#include "deploy_key.h"
#include "ssh_key.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define LINK_COLUMNS "id, deploy_key_id, project_id, can_push, created_at"

static void link_from_row(struct db_stmt *st, int col, struct deploy_key_link *l)
{
	l->id = db_col_int64(st, col);
	l->deploy_key_id = db_col_int64(st, col + 1);
	l->project_id = db_col_int64(st, col + 2);
	l->can_push = (int)db_col_int64(st, col + 3);
	l->created_at = db_col_int64(st, col + 4);
}

int deploy_key_link(struct db *db, int64_t key_id, int64_t project_id, int can_push)
{
	return db_execp(db, "INSERT INTO deploy_keys_projects (deploy_key_id, project_id, can_push,"
			    " created_at) VALUES ($1, $2, $3, $4)", "iiii", key_id, project_id,
			(int64_t)(can_push != 0), time_now_ms());
}

int deploy_key_create(struct db *db, const struct ssh_key_req *r, int64_t project_id,
		      int can_push, int64_t *id_out, struct buf *err)
{
	int64_t id = 0;
	int ret = db_tx_begin(db);

	if (ret == 0)
		ret = ssh_key_create(db, r, &id, err);
	if (ret == 0)
		ret = deploy_key_link(db, id, project_id, can_push);
	ret = db_tx_end(db, ret);
	if (ret == 0)
		*id_out = id;
	return ret;
}

int deploy_key_link_find(struct db *db, int64_t project_id, int64_t key_id,
			 struct deploy_key_link *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " LINK_COLUMNS " FROM deploy_keys_projects"
			    " WHERE project_id = $1 AND deploy_key_id = $2", "ii", project_id, key_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	link_from_row(st, 0, out);
	db_stmt_free(st);
	return 0;
}

int deploy_key_link_update(struct db *db, int64_t project_id, int64_t key_id, int can_push)
{
	return db_execp(db, "UPDATE deploy_keys_projects SET can_push = $1 WHERE project_id = $2"
			    " AND deploy_key_id = $3", "iii", (int64_t)(can_push != 0), project_id,
			key_id);
}

int deploy_key_unlink(struct db *db, int64_t project_id, int64_t key_id)
{
	int ret = db_tx_begin(db);

	if (ret == 0)
		ret = db_execp(db, "DELETE FROM deploy_keys_projects WHERE project_id = $1"
				   " AND deploy_key_id = $2", "ii", project_id, key_id);
	if (ret == 0)
		ret = db_execp(db, "DELETE FROM ssh_keys WHERE id = $1 AND kind = 'deploy' AND"
				   " NOT EXISTS (SELECT 1 FROM deploy_keys_projects"
				   " WHERE deploy_key_id = $1)", "i", key_id);
	return db_tx_end(db, ret);
}

int deploy_key_links(struct db *db, int64_t key_id, int64_t limit,
		     int (*fn)(const struct deploy_key_link *l, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret = db_prepare(db, &st, "SELECT " LINK_COLUMNS " FROM deploy_keys_projects"
			     " WHERE deploy_key_id = $1 ORDER BY id LIMIT $2");

	if (ret == 0)
		ret = db_bind_int64(st, 1, key_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, limit);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct deploy_key_link l;

		link_from_row(st, 0, &l);
		ret = fn(&l, ctx) ? 1 : 0;
		if (ret)
			break;
	}
	db_stmt_free(st);
	return ret < 0 ? ret : 0;
}

int deploy_key_project_count(struct db *db, int64_t project_id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*) FROM deploy_keys_projects"
			    " WHERE project_id = $1", "i", project_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int deploy_key_project_list(struct db *db, int64_t project_id, int64_t offset, int64_t limit,
			    int (*fn)(const struct ssh_key *k, const struct deploy_key_link *l,
				      void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int64_t ids[100];
	struct deploy_key_link links[100];
	size_t n = 0;
	int ret;

	if (limit > 100)
		limit = 100;
	ret = db_prepare(db, &st, "SELECT " LINK_COLUMNS " FROM deploy_keys_projects"
			 " WHERE project_id = $1 ORDER BY id LIMIT $2 OFFSET $3");
	if (ret == 0)
		ret = db_bind_int64(st, 1, project_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 3, offset);
	while (ret == 0 && (ret = db_step(st)) > 0 && n < 100) {
		link_from_row(st, 0, &links[n]);
		ids[n] = links[n].deploy_key_id;
		n++;
		ret = 0;
	}
	db_stmt_free(st);
	/* The keys are read after the statement is done: one open at a time. */
	for (size_t i = 0; ret >= 0 && i < n; i++) {
		struct ssh_key *k = NULL;

		ret = ssh_key_find(db, ids[i], &k);
		if (ret == 0 && fn(k, &links[i], ctx))
			i = n;
		ssh_key_free(k);
	}
	return ret < 0 ? ret : 0;
}
