#include "project_list.h"
#include "project.h"
#include "project_internal.h"
#include "member.h"
#include "names.h"
#include "namespace.h"
#include "git/repo_store.h"
#include "sqlq.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

/* The viewer's membership level per project: direct project membership,
 * group memberships inherited down the tree, and the personal namespace.
 * The group walk is bounded by LIMIT_NAMESPACE_DEPTH at creation. */
static void query_levels(struct sqlq *q, const struct project_filter *f, int64_t now)
{
	sqlq_add(q, "WITH RECURSIVE ug(ns_id, lvl) AS ("
		    " SELECT m.source_id, m.access_level FROM members m"
		    " WHERE m.source_kind = 'namespace' AND m.user_id = ");
	sqlq_int(q, f->viewer_id);
	sqlq_add(q, " AND (m.expires_at IS NULL OR m.expires_at > ");
	sqlq_int(q, now);
	sqlq_add(q, ") UNION ALL SELECT n.id, ug.lvl FROM namespaces n JOIN ug ON n.parent_id = ug.ns_id)");
	if (f->namespace_id && f->include_subgroups) {
		sqlq_add(q, ", sub(id) AS (SELECT id FROM namespaces WHERE id = ");
		sqlq_int(q, f->namespace_id);
		sqlq_add(q, " UNION ALL SELECT n.id FROM namespaces n JOIN sub ON n.parent_id = sub.id)");
	}
	sqlq_add(q, ", pl(pid, lvl) AS (SELECT p.id, (SELECT max(x.l) FROM ("
		    " SELECT m.access_level AS l FROM members m WHERE m.source_kind = 'project'"
		    " AND m.source_id = p.id AND m.user_id = ");
	sqlq_int(q, f->viewer_id);
	sqlq_add(q, " AND (m.expires_at IS NULL OR m.expires_at > ");
	sqlq_int(q, now);
	sqlq_add(q, ") UNION ALL SELECT ug.lvl FROM ug WHERE ug.ns_id = p.namespace_id"
		    " UNION ALL SELECT 50 FROM namespaces o WHERE o.id = p.namespace_id AND o.owner_id = ");
	sqlq_int(q, f->viewer_id);
	sqlq_add(q, ") x) FROM projects p) ");
}

static void query_where(struct sqlq *q, const struct project_filter *f, struct buf *like)
{
	sqlq_add(q, " WHERE 1 = 1");
	if (!f->viewer_admin) {
		sqlq_add(q, " AND (p.visibility = 'public' OR COALESCE(pl.lvl, 0) >= 10");
		if (f->viewer_id)
			sqlq_add(q, " OR p.visibility = 'internal'");
		sqlq_add(q, ")");
	}
	if (f->namespace_id && f->include_subgroups) {
		sqlq_add(q, " AND p.namespace_id IN (SELECT id FROM sub)");
	} else if (f->namespace_id) {
		sqlq_add(q, " AND p.namespace_id = ");
		sqlq_int(q, f->namespace_id);
	}
	if (f->personal_of) {
		sqlq_add(q, " AND n.kind = 'user' AND n.owner_id = ");
		sqlq_int(q, f->personal_of);
	}
	if (f->search) {
		sqlq_like_pattern(like, f->search);
		sqlq_add(q, " AND (lower(p.name) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\' OR lower(p.path) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\' OR lower(p.description) LIKE lower(");
		sqlq_str(q, like->ptr);
		sqlq_add(q, ") ESCAPE '\\')");
	}
	if (f->visibility) {
		sqlq_add(q, " AND p.visibility = ");
		sqlq_str(q, f->visibility);
	}
	if (f->owned)
		sqlq_add(q, " AND COALESCE(pl.lvl, 0) >= 50");
	if (f->membership)
		sqlq_add(q, " AND COALESCE(pl.lvl, 0) >= 10");
	if (f->min_access_level) {
		sqlq_add(q, " AND COALESCE(pl.lvl, 0) >= ");
		sqlq_int(q, f->min_access_level);
	}
	if (f->archived >= 0) {
		sqlq_add(q, " AND p.archived = ");
		sqlq_int(q, f->archived ? 1 : 0);
	}
	if (f->forked_from) {
		sqlq_add(q, " AND p.id IN (SELECT project_id FROM project_forks WHERE forked_from_id = ");
		sqlq_int(q, f->forked_from);
		sqlq_add(q, ")");
	}
	if (f->starred) {
		sqlq_add(q, " AND p.id IN (SELECT project_id FROM project_stars WHERE user_id = ");
		sqlq_int(q, f->viewer_id);
		sqlq_add(q, ")");
	}
}

static const char *order_column(const char *order_by)
{
	static const char *const cols[] = { "id", "name", "path", "created_at", "updated_at",
					    "last_activity_at", NULL };

	for (int i = 0; order_by && cols[i]; i++)
		if (!strcmp(order_by, cols[i]))
			return cols[i];
	return "created_at";
}

int project_list_count(struct db *db, const struct project_filter *f, int64_t *out)
{
	struct sqlq q;
	struct buf like = BUF_INIT;
	int ret;

	sqlq_init(&q);
	query_levels(&q, f, time_now_ms());
	sqlq_add(&q, "SELECT count(*)" PROJECT_FROM "JOIN pl ON pl.pid = p.id");
	query_where(&q, f, &like);
	ret = sqlq_count(&q, db, out);
	sqlq_release(&q);
	buf_release(&like);
	return ret;
}

int project_list(struct db *db, const struct project_filter *f, int64_t offset, int64_t limit,
		 int (*fn)(const struct project *p, int level, void *ctx), void *ctx)
{
	struct sqlq q;
	struct buf like = BUF_INIT, order = BUF_INIT;
	struct db_stmt *st = NULL;
	const char *dir = f->sort_asc ? "ASC" : "DESC";
	int ret;

	sqlq_init(&q);
	query_levels(&q, f, time_now_ms());
	sqlq_add(&q, "SELECT " PROJECT_COLUMNS ", pl.lvl" PROJECT_FROM "JOIN pl ON pl.pid = p.id");
	query_where(&q, f, &like);
	/* The id breaks ties so that pages never overlap or skip. */
	buf_addf(&order, " ORDER BY p.%s %s, p.id %s LIMIT ", order_column(f->order_by), dir, dir);
	sqlq_add(&q, order.ptr);
	sqlq_int(&q, limit);
	sqlq_add(&q, " OFFSET ");
	sqlq_int(&q, offset);
	ret = sqlq_prepare(&q, db, &st);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct project *p = project_from_row(st);
		int level = db_col_is_null(st, PROJECT_NCOLUMNS) ? 0 :
			    (int)db_col_int64(st, PROJECT_NCOLUMNS);

		ret = fn(p, level, ctx);
		project_free(p);
	}
	db_stmt_free(st);
	sqlq_release(&q);
	buf_release(&like);
	buf_release(&order);
	return ret;
}

static int project_update_check(const struct project_update *u, struct buf *err)
{
	if (u->path && names_check_segment(u->path, strlen(u->path), "path", err) < 0)
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
	if (u->default_branch && (strlen(u->default_branch) > LIMIT_REF_NAME ||
				  !u->default_branch[0] || u->default_branch[0] == '-' ||
				  strstr(u->default_branch, ".."))) {
		buf_addstr(err, "default_branch is invalid");
		return ERR_INVALID;
	}
	return 0;
}

int project_update(struct db *db, const struct project *p, const struct project_update *u,
		   struct buf *err)
{
	struct db_stmt *st = NULL;
	int ret = project_update_check(u, err);

	if (ret < 0)
		return ret;
	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	if (u->path) {
		/* A subgroup of the same path would share the URL. */
		ret = db_queryp(db, &st, "SELECT id FROM namespaces WHERE parent_id = $1"
				" AND lower(path) = lower($2)", "is", p->namespace_id, u->path);
		db_stmt_free(st);
		if (ret > 0)
			ret = ERR_EXISTS;
	}
	if (ret == 0)
		ret = db_execp(db, "UPDATE projects SET name = COALESCE($1, name),"
			       " path = COALESCE($2, path), description = COALESCE($3, description),"
			       " visibility = COALESCE($4, visibility),"
			       " default_branch = COALESCE($5, default_branch), updated_at = $6"
			       " WHERE id = $7", "sssssii", u->name, u->path, u->description,
			       u->visibility, u->default_branch, time_now_ms(), p->id);
	/* The repository's HEAD is what clones check out: it follows the row,
	 * and a branch that does not exist is refused before either changes. */
	if (ret == 0 && u->default_branch) {
		ret = repo_store_set_head(p->id, u->default_branch);
		if (ret == ERR_NOTFOUND || ret == ERR_INVALID) {
			buf_addstr(err, "default_branch does not exist in the repository");
			ret = ERR_INVALID;
		}
	}
	if (ret == ERR_EXISTS)
		buf_addstr(err, "path has already been taken");
	return db_tx_end(db, ret);
}

int project_set_archived(struct db *db, int64_t id, int archived)
{
	return db_execp(db, "UPDATE projects SET archived = $1, updated_at = $2 WHERE id = $3",
			"iii", (int64_t)(archived != 0), time_now_ms(), id);
}

int project_ids_under(struct db *db, int64_t namespace_id, int64_t **ids_out, size_t *n_out)
{
	struct db_stmt *st = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	int ret;

	ret = db_prepare(db, &st, "WITH RECURSIVE sub(id) AS (SELECT id FROM namespaces"
			 " WHERE id = $1 UNION ALL SELECT n.id FROM namespaces n"
			 " JOIN sub ON n.parent_id = sub.id)"
			 " SELECT id FROM projects WHERE namespace_id IN (SELECT id FROM sub)");
	if (ret == 0)
		ret = db_bind_int64(st, 1, namespace_id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		ids = xrealloc(ids, (n + 1) * sizeof(*ids));
		ids[n++] = db_col_int64(st, 0);
		ret = 0;
	}
	db_stmt_free(st);
	if (ret < 0) {
		free(ids);
		return ret;
	}
	*ids_out = ids;
	*n_out = n;
	return 0;
}

int project_create_owned(struct db *db, const struct project_req *req,
			 const struct namespace *ns, int64_t *id_out, struct buf *err)
{
	int64_t id = 0;
	int ret = db_tx_begin(db);

	if (ret < 0)
		return ret;
	ret = project_create(db, req, &id, err);
	if (ret == 0 && !strcmp(ns->kind, "user") && ns->owner_id)
		ret = member_set(db, MEMBER_PROJECT, id, ns->owner_id, ACCESS_OWNER, 0);
	ret = db_tx_end(db, ret);
	/* project_create made the repository inside our transaction: undo it
	 * when the whole did not commit. */
	if (ret < 0 && id)
		(void)repo_store_remove(id);
	if (ret == 0)
		*id_out = id;
	return ret;
}
