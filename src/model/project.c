#include "project.h"
#include "project_internal.h"
#include "names.h"
#include "namespace.h"
#include "member.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/repo_store.h"

#include <stdlib.h>
#include <string.h>

struct project *project_from_row(struct db_stmt *st)
{
	struct project *p = xcalloc(1, sizeof(*p));

	p->id = db_col_int64(st, 0);
	p->namespace_id = db_col_int64(st, 1);
	p->path = db_col_strdup(st, 2);
	p->name = db_col_strdup(st, 3);
	p->description = db_col_strdup(st, 4);
	p->visibility = db_col_strdup(st, 5);
	p->default_branch = db_col_strdup(st, 6);
	p->creator_id = db_col_int64(st, 7);
	p->archived = (int)db_col_int64(st, 8);
	p->created_at = db_col_int64(st, 9);
	p->updated_at = db_col_int64(st, 10);
	p->last_activity_at = db_col_int64(st, 11);
	p->namespace_full_path = db_col_strdup(st, 12);
	p->namespace_name = db_col_strdup(st, 13);
	p->namespace_kind = db_col_strdup(st, 14);
	p->namespace_owner_id = db_col_int64(st, 15);
	p->namespace_parent_id = db_col_int64(st, 16);
	return p;
}

void project_free(struct project *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->name);
	free(p->description);
	free(p->visibility);
	free(p->default_branch);
	free(p->namespace_full_path);
	free(p->namespace_name);
	free(p->namespace_kind);
	free(p);
}

void project_full_path(struct buf *out, const struct project *p)
{
	buf_addf(out, "%s/%s", p->namespace_full_path, p->path);
}

static int project_req_check(const struct project_req *req, const char *path, const char *name,
			     struct buf *err)
{
	if (names_check_segment(path, strlen(path), "path", err) < 0 ||
	    names_check_display(name, "name", err) < 0)
		return ERR_INVALID;
	if (req->visibility && names_check_visibility(req->visibility) < 0) {
		buf_addstr(err, "visibility must be private, internal or public");
		return ERR_INVALID;
	}
	if (req->description && strlen(req->description) > 2000) {
		buf_addstr(err, "description is too long (maximum is 2000 characters)");
		return ERR_INVALID;
	}
	if (req->default_branch && (strlen(req->default_branch) > LIMIT_REF_NAME ||
				    !req->default_branch[0] || req->default_branch[0] == '-' ||
				    strstr(req->default_branch, ".."))) {
		buf_addstr(err, "default_branch is invalid");
		return ERR_INVALID;
	}
	return 0;
}

static int project_insert(struct db *db, const struct project_req *req, const char *path,
			  const char *name, const struct namespace *ns, int64_t *id_out)
{
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms();
	int ret;

	/* A subgroup "g/x" and a project "g/x" would share a URL. */
	ret = db_queryp(db, &st, "SELECT id FROM namespaces WHERE parent_id = $1"
			" AND lower(path) = lower($2)", "is", ns->id, path);
	db_stmt_free(st);
	st = NULL;
	if (ret != 0)
		return ret < 0 ? ret : ERR_EXISTS;
	ret = db_queryp(db, &st,
			"INSERT INTO projects (namespace_id, path, name, description, visibility,"
			" creator_id, created_at, updated_at, last_activity_at, default_branch)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, $8) RETURNING id",
			"issssIis", ns->id, path, name,
			req->description ? req->description : "",
			req->visibility ? req->visibility : "private", req->creator_id, now,
			req->default_branch);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int project_create(struct db *db, const struct project_req *req, int64_t *id_out,
		   struct buf *err)
{
	struct namespace *ns = NULL;
	const char *path = req->path ? req->path : req->name;
	const char *name = req->name ? req->name : req->path;
	int64_t id = 0;
	int ret;

	if (!path || !name) {
		buf_addstr(err, "name or path is required");
		return ERR_INVALID;
	}
	ret = project_req_check(req, path, name, err);
	if (ret < 0)
		return ret;
	ret = namespace_find(db, req->namespace_id, &ns);
	if (ret < 0)
		return ret;
	ret = db_tx_begin(db);
	if (ret < 0)
		goto out;
	ret = project_insert(db, req, path, name, ns, &id);
	if (ret == ERR_EXISTS)
		buf_addstr(err, "path has already been taken");
	/* The repository is created inside the transaction: if it fails
	 * the row is rolled back and nobody ever saw the project. */
	if (ret == 0)
		ret = repo_store_create(id, req->default_branch ? req->default_branch : "main");
	ret = db_tx_end(db, ret);
	if (ret == 0)
		*id_out = id;
out:
	namespace_free(ns);
	return ret;
}

int project_find(struct db *db, int64_t id, struct project **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " PROJECT_COLUMNS PROJECT_FROM "WHERE p.id = $1",
			    "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = project_from_row(st);
	db_stmt_free(st);
	return 0;
}

int project_find_by_full_path(struct db *db, const char *full_path, struct project **out)
{
	const char *slash = strrchr(full_path, '/');
	struct db_stmt *st = NULL;
	struct buf ns = BUF_INIT;
	int ret;

	if (!slash || slash == full_path || !slash[1])
		return ERR_NOTFOUND;
	buf_add(&ns, full_path, (size_t)(slash - full_path));
	ret = db_queryp(db, &st, "SELECT " PROJECT_COLUMNS PROJECT_FROM
			"WHERE lower(n.full_path) = lower($1) AND lower(p.path) = lower($2)",
			"ss", ns.ptr, slash + 1);
	buf_release(&ns);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = project_from_row(st);
	db_stmt_free(st);
	return 0;
}

int project_delete(struct db *db, int64_t id)
{
	int ret = db_tx_begin(db);

	if (ret < 0)
		return ret;
	ret = db_execp(db, "DELETE FROM members WHERE source_kind = 'project' AND source_id = $1",
		       "i", id);
	if (ret == 0)
		ret = db_execp(db, "DELETE FROM projects WHERE id = $1", "i", id);
	ret = db_tx_end(db, ret);
	/* The row is gone first: a crash here leaves an orphan directory in
	 * storage, never a project without its repository. */
	if (ret == 0)
		ret = repo_store_remove(id);
	return ret;
}

int project_set_default_branch(struct db *db, int64_t id, const char *branch)
{
	return db_execp(db, "UPDATE projects SET default_branch = $1, updated_at = $2 WHERE id = $3",
			"sii", branch, time_now_ms(), id);
}

int project_touch_activity(struct db *db, int64_t id)
{
	return db_execp(db, "UPDATE projects SET last_activity_at = $1 WHERE id = $2", "ii",
			time_now_ms(), id);
}
