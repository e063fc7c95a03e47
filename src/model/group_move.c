#include "group_move.h"
#include "names.h"
#include "namespace.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <string.h>

/* Levels of namespaces from ns down to its deepest descendant (1: none). */
static int subtree_height(struct db *db, int64_t id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "WITH RECURSIVE sub(id, depth) AS (SELECT id, 1 FROM"
			    " namespaces WHERE id = $1 UNION ALL SELECT c.id, sub.depth + 1"
			    " FROM namespaces c JOIN sub ON c.parent_id = sub.id)"
			    " SELECT max(depth) FROM sub", "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

/* 1 when candidate is ns or one of its descendants. */
static int is_within(struct db *db, int64_t ns_id, int64_t candidate)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "WITH RECURSIVE sub(id) AS (SELECT id FROM namespaces"
			    " WHERE id = $1 UNION ALL SELECT c.id FROM namespaces c JOIN sub"
			    " ON c.parent_id = sub.id) SELECT 1 FROM sub WHERE id = $2", "ii",
			    ns_id, candidate);

	db_stmt_free(st);
	return ret;
}

static int path_taken(struct db *db, int64_t parent, const char *path, const char *full)
{
	struct db_stmt *st = NULL;
	int ret;

	/* Projects and subgroups share URLs; at the top level user namespaces
	 * take paths too. */
	ret = db_queryp(db, &st, "SELECT id FROM namespaces WHERE lower(full_path) = lower($1)"
			" UNION ALL SELECT id FROM projects WHERE $2 <> 0 AND namespace_id = $2"
			" AND lower(path) = lower($3)", "sis", full, parent, path);
	db_stmt_free(st);
	return ret;
}

static int move_check(struct db *db, const struct namespace *ns, const struct namespace *parent,
		      struct buf *err)
{
	int64_t height = 0, depth = 1;
	int ret;

	if (ns->parent_id == (parent ? parent->id : 0)) {
		buf_addstr(err, "The group is already in that place.");
		return ERR_INVALID;
	}
	if (!parent)
		return names_check_top_level(ns->path, err) < 0 ? ERR_INVALID : 0;
	if (strcmp(parent->kind, "group")) {
		buf_addstr(err, "Groups can only be moved into other groups.");
		return ERR_INVALID;
	}
	ret = is_within(db, ns->id, parent->id);
	if (ret > 0) {
		buf_addstr(err, "Cannot transfer a group into itself or one of its subgroups.");
		return ERR_INVALID;
	}
	if (ret == 0)
		ret = subtree_height(db, ns->id, &height);
	for (const char *p = parent->full_path; ret == 0 && *p; p++)
		depth += *p == '/';
	if (ret == 0 && depth + height > LIMIT_NAMESPACE_DEPTH) {
		buf_addf(err, "Groups nest at most %d levels deep.", LIMIT_NAMESPACE_DEPTH);
		ret = ERR_INVALID;
	}
	return ret;
}

int group_transfer(struct db *db, const struct namespace *ns, int64_t new_parent,
		   struct buf *err)
{
	struct buf full = BUF_INIT_MAX(LIMIT_FULL_PATH), prefix = BUF_INIT;
	struct namespace *parent = NULL;
	int ret = 0;

	if (new_parent)
		ret = namespace_find(db, new_parent, &parent);
	if (ret == 0)
		ret = db_tx_begin(db);
	if (ret < 0)
		goto out;
	ret = move_check(db, ns, parent, err);
	if (parent)
		buf_addf(&full, "%s/", parent->full_path);
	buf_addstr(&full, ns->path);
	buf_addf(&prefix, "%s/", ns->full_path);
	if (ret == 0 && buf_error(&full)) {
		buf_addstr(err, "The full path would be too long.");
		ret = ERR_INVALID;
	}
	if (ret == 0 && (ret = path_taken(db, new_parent, ns->path, full.ptr)) > 0) {
		buf_addstr(err, "The namespace already holds a project or group with this path.");
		ret = ERR_EXISTS;
	}
	/* Descendants first (their paths start with the old full path), then
	 * the group itself. */
	if (ret == 0)
		ret = db_execp(db, "UPDATE namespaces SET full_path = $1 || substr(full_path, $2)"
			       " WHERE lower(substr(full_path, 1, $3)) = lower($4)", "siis",
			       full.ptr, (int64_t)strlen(ns->full_path) + 1, (int64_t)prefix.len,
			       prefix.ptr);
	if (ret == 0)
		ret = db_execp(db, "UPDATE namespaces SET parent_id = $1, full_path = $2,"
			       " updated_at = $3 WHERE id = $4", "Isii", new_parent, full.ptr,
			       time_now_ms(), ns->id);
	ret = db_tx_end(db, ret);
out:
	namespace_free(parent);
	buf_release(&full);
	buf_release(&prefix);
	return ret;
}
