#include "namespace.h"
#include "namespace_internal.h"
#include "member.h"
#include "names.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

struct namespace *namespace_from_row(struct db_stmt *st)
{
	struct namespace *ns = xcalloc(1, sizeof(*ns));

	ns->id = db_col_int64(st, 0);
	ns->kind = db_col_strdup(st, 1);
	ns->name = db_col_strdup(st, 2);
	ns->path = db_col_strdup(st, 3);
	ns->full_path = db_col_strdup(st, 4);
	ns->description = db_col_strdup(st, 5);
	ns->visibility = db_col_strdup(st, 6);
	ns->parent_id = db_col_int64(st, 7);
	ns->owner_id = db_col_int64(st, 8);
	ns->created_at = db_col_int64(st, 9);
	ns->updated_at = db_col_int64(st, 10);
	return ns;
}

void namespace_free(struct namespace *ns)
{
	if (!ns)
		return;
	free(ns->kind);
	free(ns->name);
	free(ns->path);
	free(ns->full_path);
	free(ns->description);
	free(ns->visibility);
	free(ns);
}

static int namespace_insert(struct db *db, const char *kind, const char *name, const char *path,
			    const char *full_path, const char *description, const char *visibility,
			    int64_t parent_id, int64_t owner_id, int64_t *id_out)
{
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms();
	int ret;

	/* A project "g/x" and a subgroup "g/x" would share a URL. */
	ret = db_queryp(db, &st,
			"SELECT p.id FROM projects p JOIN namespaces n ON n.id = p.namespace_id"
			" WHERE lower(n.full_path || '/' || p.path) = lower($1)", "s", full_path);
	db_stmt_free(st);
	st = NULL;
	if (ret != 0)
		return ret < 0 ? ret : ERR_EXISTS;
	ret = db_queryp(db, &st,
			"INSERT INTO namespaces (kind, name, path, full_path, description, visibility,"
			" parent_id, owner_id, created_at, updated_at)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
			"ssssssIIi", kind, name, path, full_path, description, visibility,
			parent_id, owner_id, now);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int namespace_create_for_user(struct db *db, int64_t user_id, const char *username,
			      const char *name, int64_t *id_out)
{
	struct db_stmt *st = NULL;
	int ret;

	/* NULLs bind for the parent: user namespaces are top level. */
	ret = db_queryp(db, &st,
			"INSERT INTO namespaces (kind, name, path, full_path, description, visibility,"
			" owner_id, created_at, updated_at)"
			" VALUES ('user', $1, $2, $2, '', 'public', $3, $4, $4) RETURNING id",
			"ssii", name, username, user_id, time_now_ms());
	if (ret < 0)
		return ret;
	if (ret == 0)
		return ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int group_create(struct db *db, const struct group_req *req, int64_t *id_out, struct buf *err)
{
	struct namespace *parent = NULL;
	struct buf full = BUF_INIT_MAX(LIMIT_FULL_PATH);
	const char *visibility = req->visibility ? req->visibility : "private";
	const char *name = req->name ? req->name : req->path;
	int64_t id = 0;
	int ret;

	if (names_check_segment(req->path, strlen(req->path), "path", err) < 0 ||
	    names_check_display(name, "name", err) < 0)
		return ERR_INVALID;
	if (names_check_visibility(visibility) < 0) {
		buf_addstr(err, "visibility must be private, internal or public");
		return ERR_INVALID;
	}
	if (req->parent_id) {
		ret = namespace_find(db, req->parent_id, &parent);
		if (ret < 0)
			return ret;
		if (strcmp(parent->kind, "group")) {
			buf_addstr(err, "parent must be a group");
			ret = ERR_INVALID;
			goto out;
		}
		buf_addf(&full, "%s/", parent->full_path);
	} else if (names_check_top_level(req->path, err) < 0) {
		return ERR_INVALID;
	}
	buf_addstr(&full, req->path);
	if (buf_error(&full) || names_check_full_path(full.ptr, err) < 0) {
		if (buf_error(&full))
			buf_addstr(err, "path is too long");
		ret = ERR_INVALID;
		goto out;
	}
	ret = db_tx_begin(db);
	if (ret < 0)
		goto out;
	ret = namespace_insert(db, "group", name, req->path, full.ptr,
			       req->description ? req->description : "", visibility,
			       req->parent_id, 0, &id);
	if (ret == 0 && req->creator_id)
		ret = member_set(db, MEMBER_NAMESPACE, id, req->creator_id, ACCESS_OWNER, 0);
	ret = db_tx_end(db, ret);
	if (ret == ERR_EXISTS)
		buf_addstr(err, "path has already been taken");
	if (ret == 0)
		*id_out = id;
out:
	namespace_free(parent);
	buf_release(&full);
	return ret;
}

int group_create_path(struct db *db, const char *full_path, const char *name,
		      int64_t *id_out, struct buf *err)
{
	struct buf prefix = BUF_INIT;
	int64_t parent_id = 0;
	int ret;

	if (names_check_full_path(full_path, err) < 0)
		return ERR_INVALID;
	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	for (const char *p = full_path; ret == 0;) {
		size_t n = strcspn(p, "/");
		struct namespace *ns = NULL;
		int last = p[n] == '\0';

		buf_add(&prefix, p, n);
		ret = namespace_find_by_full_path(db, prefix.ptr, &ns);
		if (ret == 0 && (last || strcmp(ns->kind, "group"))) {
			buf_addf(err, "'%s' already exists", prefix.ptr);
			ret = ERR_EXISTS;
		} else if (ret == 0) {
			parent_id = ns->id;
		} else if (ret == ERR_NOTFOUND) {
			struct buf seg = BUF_INIT;
			struct group_req req = { 0 };

			buf_add(&seg, p, n);
			req.path = seg.ptr;
			req.name = last ? name : NULL;
			req.parent_id = parent_id;
			ret = group_create(db, &req, &parent_id, err);
			buf_release(&seg);
		}
		namespace_free(ns);
		if (last)
			break;
		buf_addch(&prefix, '/');
		p += n + 1;
	}
	ret = db_tx_end(db, ret);
	if (ret == 0)
		*id_out = parent_id;
	buf_release(&prefix);
	return ret;
}

int namespace_find(struct db *db, int64_t id, struct namespace **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " NAMESPACE_COLUMNS " FROM namespaces WHERE id = $1",
			    "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = namespace_from_row(st);
	db_stmt_free(st);
	return 0;
}

int namespace_find_by_full_path(struct db *db, const char *full_path, struct namespace **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " NAMESPACE_COLUMNS
			    " FROM namespaces WHERE lower(full_path) = lower($1)", "s", full_path);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = namespace_from_row(st);
	db_stmt_free(st);
	return 0;
}
