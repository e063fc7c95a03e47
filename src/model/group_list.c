#include "group_list.h"
#include "names.h"
#include "namespace.h"
#include "namespace_internal.h"
#include "project.h"
#include "project_list.h"
#include "sqlq.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

/* ug: the viewer's group memberships spread down the tree; gl: the best
 * level per group. Depth is bounded by LIMIT_NAMESPACE_DEPTH. */
static void group_levels(struct sqlq *q, const struct group_filter *f)
{
	sqlq_add(q, "WITH RECURSIVE ug(ns_id, lvl) AS ("
		    " SELECT m.source_id, m.access_level FROM members m"
		    " WHERE m.source_kind = 'namespace' AND m.user_id = ");
	sqlq_int(q, f->viewer_id);
	sqlq_add(q, " AND (m.expires_at IS NULL OR m.expires_at > ");
	sqlq_int(q, time_now_ms());
	sqlq_add(q, ") UNION ALL SELECT n.id, ug.lvl FROM namespaces n JOIN ug ON n.parent_id = ug.ns_id)");
	if (f->descendants_of) {
		sqlq_add(q, ", sub(id) AS (SELECT id FROM namespaces WHERE parent_id = ");
		sqlq_int(q, f->descendants_of);
		sqlq_add(q, " UNION ALL SELECT n.id FROM namespaces n JOIN sub ON n.parent_id = sub.id)");
	}
	sqlq_add(q, ", gl(gid, lvl) AS (SELECT ns_id, max(lvl) FROM ug GROUP BY ns_id) ");
}

static void group_where(struct sqlq *q, const struct group_filter *f, struct buf *like)
{
	sqlq_add(q, " FROM namespaces n LEFT JOIN gl ON gl.gid = n.id WHERE n.kind = 'group'");
	if (!f->viewer_admin && f->all_available) {
		sqlq_add(q, " AND (n.visibility = 'public' OR COALESCE(gl.lvl, 0) >= 10");
		if (f->viewer_id)
			sqlq_add(q, " OR n.visibility = 'internal'");
		sqlq_add(q, ")");
	} else if (!f->viewer_admin) {
		sqlq_add(q, " AND COALESCE(gl.lvl, 0) >= 10");
	}
	if (f->parent_id) {
		sqlq_add(q, " AND n.parent_id = ");
		sqlq_int(q, f->parent_id);
	}
	if (f->descendants_of)
		sqlq_add(q, " AND n.id IN (SELECT id FROM sub)");
	if (f->top_level_only)
		sqlq_add(q, " AND n.parent_id IS NULL");
	if (f->search) {
		sqlq_like_pattern(like, f->search);
		sqlq_add(q, " AND (lower(n.name) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\' OR lower(n.path) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\')");
	}
	if (f->owned)
		sqlq_add(q, " AND COALESCE(gl.lvl, 0) >= 50");
	if (f->min_access_level) {
		sqlq_add(q, " AND COALESCE(gl.lvl, 0) >= ");
		sqlq_int(q, f->min_access_level);
	}
}

int group_list_count(struct db *db, const struct group_filter *f, int64_t *out)
{
	struct sqlq q;
	struct buf like = BUF_INIT;
	int ret;

	sqlq_init(&q);
	group_levels(&q, f);
	sqlq_add(&q, "SELECT count(*)");
	group_where(&q, f, &like);
	ret = sqlq_count(&q, db, out);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}

static const char *group_order(const char *order_by)
{
	if (order_by && !strcmp(order_by, "path"))
		return "lower(n.path)";
	if (order_by && !strcmp(order_by, "id"))
		return "n.id";
	return "lower(n.name)";
}

int group_list(struct db *db, const struct group_filter *f, int64_t offset, int64_t limit,
	       int (*fn)(const struct namespace *ns, int level, void *ctx), void *ctx)
{
	struct sqlq q;
	struct buf like = BUF_INIT, order = BUF_INIT;
	struct db_stmt *st = NULL;
	const char *dir = f->sort_asc ? "ASC" : "DESC";
	int ret;

	sqlq_init(&q);
	group_levels(&q, f);
	sqlq_add(&q, "SELECT n.id, n.kind, n.name, n.path, n.full_path, n.description,"
		     " n.visibility, n.parent_id, n.owner_id, n.created_at, n.updated_at, gl.lvl");
	group_where(&q, f, &like);
	buf_addf(&order, " ORDER BY %s %s, n.id %s LIMIT ", group_order(f->order_by), dir, dir);
	sqlq_add(&q, order.ptr);
	sqlq_int(&q, limit);
	sqlq_add(&q, " OFFSET ");
	sqlq_int(&q, offset);
	ret = sqlq_prepare(&q, db, &st);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct namespace *ns = namespace_from_row(st);
		int level = db_col_is_null(st, 11) ? 0 : (int)db_col_int64(st, 11);

		ret = fn(ns, level, ctx);
		namespace_free(ns);
	}
	db_stmt_free(st);
	sqlq_release(&q);
	buf_release(&like);
	buf_release(&order);
	return ret;
}

static void namespace_where(struct sqlq *q, int64_t viewer_id, int admin, const char *search,
			    struct buf *like)
{
	sqlq_add(q, " FROM namespaces n WHERE 1 = 1");
	if (!admin) {
		sqlq_add(q, " AND ((n.kind = 'user' AND n.owner_id = ");
		sqlq_int(q, viewer_id);
		sqlq_add(q, ") OR (n.kind = 'group' AND n.id IN (WITH RECURSIVE ug(id) AS ("
			    " SELECT source_id FROM members WHERE source_kind = 'namespace'"
			    " AND user_id = ");
		sqlq_int(q, viewer_id);
		sqlq_add(q, " UNION ALL SELECT c.id FROM namespaces c JOIN ug ON c.parent_id = ug.id)"
			    " SELECT id FROM ug)))");
	}
	if (search) {
		sqlq_like_pattern(like, search);
		sqlq_add(q, " AND (lower(n.name) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\' OR lower(n.full_path) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\')");
	}
}

int namespace_list_count(struct db *db, int64_t viewer_id, int admin, const char *search,
			 int64_t *out)
{
	struct sqlq q;
	struct buf like = BUF_INIT;
	int ret;

	sqlq_init(&q);
	sqlq_add(&q, "SELECT count(*)");
	namespace_where(&q, viewer_id, admin, search, &like);
	ret = sqlq_count(&q, db, out);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}

int namespace_list(struct db *db, int64_t viewer_id, int admin, const char *search,
		   int64_t offset, int64_t limit,
		   int (*fn)(const struct namespace *ns, void *ctx), void *ctx)
{
	struct sqlq q;
	struct buf like = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	sqlq_init(&q);
	sqlq_add(&q, "SELECT n.id, n.kind, n.name, n.path, n.full_path, n.description,"
		     " n.visibility, n.parent_id, n.owner_id, n.created_at, n.updated_at");
	namespace_where(&q, viewer_id, admin, search, &like);
	sqlq_add(&q, " ORDER BY n.id ASC LIMIT ");
	sqlq_int(&q, limit);
	sqlq_add(&q, " OFFSET ");
	sqlq_int(&q, offset);
	ret = sqlq_prepare(&q, db, &st);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct namespace *ns = namespace_from_row(st);

		ret = fn(ns, ctx);
		namespace_free(ns);
	}
	db_stmt_free(st);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}

static int group_update_check(const struct namespace *ns, const struct group_update *u,
			      struct buf *err)
{
	if (u->path && (names_check_segment(u->path, strlen(u->path), "path", err) < 0 ||
			(!ns->parent_id && names_check_top_level(u->path, err) < 0)))
		return ERR_INVALID;
	if (u->name && names_check_display(u->name, "name", err) < 0)
		return ERR_INVALID;
	if (u->visibility && names_check_visibility(u->visibility) < 0) {
		buf_addstr(err, "visibility must be private, internal or public");
		return ERR_INVALID;
	}
	if (u->description && strlen(u->description) > 2000) {
		buf_addstr(err, "description is too long (maximum is 2000 characters)");
		return ERR_INVALID;
	}
	return 0;
}

/* Renames ns and every namespace below it: full paths are prefixes. */
static int group_rename(struct db *db, const struct namespace *ns, const char *path)
{
	struct buf full = BUF_INIT_MAX(LIMIT_FULL_PATH), prefix = BUF_INIT;
	struct db_stmt *st = NULL;
	const char *slash = strrchr(ns->full_path, '/');
	int ret;

	if (slash)
		buf_add(&full, ns->full_path, (size_t)(slash - ns->full_path + 1));
	buf_addstr(&full, path);
	buf_addf(&prefix, "%s/", ns->full_path);
	ret = buf_error(&full) ? ERR_INVALID : 0;
	/* A project of the parent with this path would share the URL. */
	if (ret == 0 && ns->parent_id) {
		ret = db_queryp(db, &st, "SELECT id FROM projects WHERE namespace_id = $1"
				" AND lower(path) = lower($2)", "is", ns->parent_id, path);
		db_stmt_free(st);
		ret = ret > 0 ? ERR_EXISTS : ret;
	}
	if (ret == 0)
		ret = db_execp(db, "UPDATE namespaces SET full_path = $1 || substr(full_path, $2)"
			       " WHERE lower(substr(full_path, 1, $3)) = lower($4)", "siis",
			       full.ptr, (int64_t)strlen(ns->full_path) + 1, (int64_t)prefix.len,
			       prefix.ptr);
	if (ret == 0)
		ret = db_execp(db, "UPDATE namespaces SET path = $1, full_path = $2 WHERE id = $3",
			       "ssi", path, full.ptr, ns->id);
	buf_release(&full);
	buf_release(&prefix);
	return ret;
}

int group_update(struct db *db, const struct namespace *ns, const struct group_update *u,
		 struct buf *err)
{
	int ret = group_update_check(ns, u, err);

	if (ret < 0)
		return ret;
	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	if (u->path && strcmp(u->path, ns->path))
		ret = group_rename(db, ns, u->path);
	if (ret == 0)
		ret = db_execp(db, "UPDATE namespaces SET name = COALESCE($1, name),"
			       " description = COALESCE($2, description),"
			       " visibility = COALESCE($3, visibility), updated_at = $4 WHERE id = $5",
			       "sssii", u->name, u->description, u->visibility, time_now_ms(), ns->id);
	if (ret == ERR_EXISTS)
		buf_addstr(err, "path has already been taken");
	return db_tx_end(db, ret);
}

int group_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	int ret = project_ids_under(db, id, &ids, &n);

	/* Projects first, each with its repository: a failure leaves the
	 * group to retry the rest. */
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = project_delete(db, ids[i]);
	free(ids);
	ids = NULL;
	n = 0;
	if (ret == 0)
		ret = db_prepare(db, &st, "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM"
				 " namespaces WHERE id = $1 UNION ALL SELECT c.id, sub.depth + 1"
				 " FROM namespaces c JOIN sub ON c.parent_id = sub.id)"
				 " SELECT id FROM sub ORDER BY depth DESC");
	if (ret == 0)
		ret = db_bind_int64(st, 1, id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = db_col_int64(st, 0);
		ret = 0;
	}
	db_stmt_free(st);
	if (ret == 0 && (ret = db_tx_begin(db)) == 0) {
		for (size_t i = 0; ret == 0 && i < n; i++) {
			ret = db_execp(db, "DELETE FROM members WHERE source_kind = 'namespace'"
				       " AND source_id = $1", "i", ids[i]);
			if (ret == 0)
				ret = db_execp(db, "DELETE FROM namespaces WHERE id = $1", "i", ids[i]);
		}
		ret = db_tx_end(db, ret);
	}
	free(ids);
	return ret;
}
