#include "protected_branch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define PB_COLUMNS "id, project_id, name, push_access_level, merge_access_level," \
		   " allow_force_push, created_at"

int protected_level_valid(int level)
{
	return level == 0 || level == 30 || level == 40 || level == 60;
}

static void pb_from_row(struct db_stmt *st, struct protected_branch *pb)
{
	pb->id = db_col_int64(st, 0);
	pb->project_id = db_col_int64(st, 1);
	pb->name = db_col_strdup(st, 2);
	pb->push_access_level = (int)db_col_int64(st, 3);
	pb->merge_access_level = (int)db_col_int64(st, 4);
	pb->allow_force_push = (int)db_col_int64(st, 5);
	pb->created_at = db_col_int64(st, 6);
}

void protected_branch_free(struct protected_branch *pb)
{
	if (!pb)
		return;
	free(pb->name);
	free(pb);
}

static int name_check(const char *name, struct buf *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > LIMIT_REF_NAME || name[0] == '-' || strstr(name, "..") ||
	    strpbrk(name, " ~^:?[\\\x7f") || name[n - 1] == '/' || name[0] == '/') {
		buf_addstr(err, "name is invalid");
		return ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x20) {
			buf_addstr(err, "name is invalid");
			return ERR_INVALID;
		}
	}
	return 0;
}

int protected_branch_create(struct db *db, int64_t project_id, const char *name,
			    int push_level, int merge_level, int allow_force_push,
			    int64_t *id_out, struct buf *err)
{
	struct db_stmt *st = NULL;
	int ret;

	if (name_check(name, err) < 0)
		return ERR_INVALID;
	if (!protected_level_valid(push_level) || !protected_level_valid(merge_level)) {
		buf_addstr(err, "access level must be 0, 30, 40 or 60");
		return ERR_INVALID;
	}
	ret = db_queryp(db, &st,
			"INSERT INTO protected_branches (project_id, name, push_access_level,"
			" merge_access_level, allow_force_push, created_at)"
			" VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", "isiiii", project_id, name,
			(int64_t)push_level, (int64_t)merge_level, (int64_t)(allow_force_push != 0),
			time_now_ms());
	if (ret == ERR_EXISTS)
		buf_addstr(err, "Protected branch already exists");
	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int protected_branch_update(struct db *db, int64_t id, int push_level, int merge_level,
			    int allow_force_push)
{
	if (!protected_level_valid(push_level) || !protected_level_valid(merge_level))
		return ERR_INVALID;
	return db_execp(db, "UPDATE protected_branches SET push_access_level = $1,"
			    " merge_access_level = $2, allow_force_push = $3 WHERE id = $4", "iiii",
			(int64_t)push_level, (int64_t)merge_level, (int64_t)(allow_force_push != 0),
			id);
}

int protected_branch_delete(struct db *db, int64_t project_id, const char *name)
{
	struct protected_branch *pb = NULL;
	int ret = protected_branch_find(db, project_id, name, &pb);

	if (ret == 0)
		ret = db_execp(db, "DELETE FROM protected_branches WHERE id = $1", "i", pb->id);
	protected_branch_free(pb);
	return ret;
}

int protected_branch_find(struct db *db, int64_t project_id, const char *name,
			  struct protected_branch **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " PB_COLUMNS " FROM protected_branches"
			    " WHERE project_id = $1 AND name = $2", "is", project_id, name);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = xcalloc(1, sizeof(**out));
	pb_from_row(st, *out);
	db_stmt_free(st);
	return 0;
}

int protected_branch_list(struct db *db, int64_t project_id, struct protected_branch_list *out)
{
	struct protected_branch_list l = { NULL, 0 };
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, &st, "SELECT " PB_COLUMNS " FROM protected_branches"
			 " WHERE project_id = $1 ORDER BY name");
	if (ret == 0)
		ret = db_bind_int64(st, 1, project_id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		l.items = xrealloc(l.items, (l.nr + 1) * sizeof(*l.items));
		pb_from_row(st, &l.items[l.nr++]);
		ret = 0;
	}
	db_stmt_free(st);
	if (ret < 0) {
		protected_branch_list_release(&l);
		return ret;
	}
	*out = l;
	return 0;
}

void protected_branch_list_release(struct protected_branch_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->items[i].name);
	free(l->items);
	l->items = NULL;
	l->nr = 0;
}

int protected_branch_matches(const char *pattern, const char *branch)
{
	/* Iterative glob with '*' only; backtracks to the last star. */
	const char *star = NULL, *resume = NULL;

	while (*branch) {
		if (*pattern == '*') {
			star = pattern++;
			resume = branch;
		} else if (*pattern == *branch) {
			pattern++;
			branch++;
		} else if (star) {
			pattern = star + 1;
			branch = ++resume;
		} else {
			return 0;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

int protected_branch_effective(const struct protected_branch_list *l, const char *branch,
			       int *found_out, int *push_level_out, int *allow_force_out)
{
	int found = 0, level = 0, force = 1;

	for (size_t i = 0; i < l->nr; i++) {
		const struct protected_branch *pb = &l->items[i];
		int lv;

		if (!protected_branch_matches(pb->name, branch))
			continue;
		/* 0 means no one: the strictest of all. */
		lv = pb->push_access_level == 0 ? 1000 : pb->push_access_level;
		if (!found || lv > level)
			level = lv;
		force = force && pb->allow_force_push;
		found = 1;
	}
	*found_out = found;
	*push_level_out = found ? (level == 1000 ? 0 : level) : 0;
	*allow_force_out = found ? force : 1;
	return 0;
}
