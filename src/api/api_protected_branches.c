/* Protected branches of a project: list, get, protect, update, unprotect.
 * Maintainers and up manage the rules (GitLab's admin_project); the push
 * path (hooks/pre_receive.c) enforces them. A name may be a wildcard
 * pattern (a "*" matches any run of characters), URL-encoded in the path. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/member.h"
#include "model/project.h"
#include "model/protected_branch.h"

#include <string.h>

static const char *level_description(int level)
{
	switch (level) {
	case 0:
		return "No one";
	case 30:
		return "Developers + Maintainers";
	case 40:
		return "Maintainers";
	default:
		return "Admins";
	}
}

static json_t *levels_json(int level)
{
	return json_pack("[{s:i, s:s, s:n, s:n}]", "access_level", level,
			 "access_level_description", level_description(level),
			 "user_id", "group_id");
}

static json_t *pb_json(const struct protected_branch *pb)
{
	return json_pack("{s:I, s:s, s:o, s:o, s:b, s:o, s:b}", "id", (json_int_t)pb->id,
			 "name", pb->name, "push_access_levels", levels_json(pb->push_access_level),
			 "merge_access_levels", levels_json(pb->merge_access_level),
			 "allow_force_push", pb->allow_force_push,
			 "unprotect_access_levels", json_array(),
			 "code_owner_approval_required", 0);
}

/* The project, visible to the caller, who must be a Maintainer. */
static int pb_project(struct api_ctx *c, struct project **out)
{
	struct project *p = NULL;
	int level = 0;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return ERR_NOTFOUND;
	if (api_require_level(c, level, ACCESS_MAINTAINER) < 0) {
		project_free(p);
		return ERR_DENIED;
	}
	*out = p;
	return 0;
}

static void pb_not_found(struct api_ctx *c)
{
	api_message(c, 404, "404 Not found");
}

static void pb_list(struct api_ctx *c)
{
	struct protected_branch_list l = { NULL, 0 };
	struct project *p = NULL;
	struct api_page pg;
	const char *search = NULL;
	json_t *items;
	int64_t total = 0, skip;
	int ret;

	if (pb_project(c, &p) < 0)
		return;
	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "search", &search) < 0)
		goto out;
	ret = protected_branch_list(c->db, p->id, &l);
	if (ret < 0) {
		api_fail(c, ret, NULL, NULL);
		goto out;
	}
	/* A project has a handful of rules; the window is cut from them. */
	items = json_array();
	skip = api_page_offset(&pg);
	for (size_t i = 0; i < l.nr; i++) {
		if (search && !strstr(l.items[i].name, search))
			continue;
		if (total >= skip && total < skip + pg.per_page)
			json_array_append_new(items, pb_json(&l.items[i]));
		total++;
	}
	api_page_respond(c, &pg, total, items);
out:
	protected_branch_list_release(&l);
	project_free(p);
}

static void pb_get(struct api_ctx *c)
{
	struct protected_branch *pb = NULL;
	struct project *p = NULL;
	int ret;

	if (pb_project(c, &p) < 0)
		return;
	ret = protected_branch_find(c->db, p->id, api_arg(c, 1), &pb);
	if (ret == ERR_NOTFOUND)
		pb_not_found(c);
	else if (ret < 0)
		api_fail(c, ret, NULL, NULL);
	else
		api_json(c, 200, pb_json(pb));
	protected_branch_free(pb);
	project_free(p);
}

/* An access level parameter: 0, 30, 40 or 60. 1 when given, 0 absent. */
static int level_param(struct api_ctx *c, const char *name, int *out)
{
	int64_t v = 0;
	int ret = api_param_int(c, name, INT64_MIN, INT64_MAX, &v);

	if (ret <= 0)
		return ret;
	if (v < 0 || v > 60 || !protected_level_valid((int)v)) {
		api_invalid_value(c, name);
		return ERR_INVALID;
	}
	*out = (int)v;
	return 1;
}

/* allowed_to_push: [{"access_level": 30}] as GitLab's newer clients send;
 * the lowest level given wins. 1 when given, 0 absent. */
static int allowed_param(struct api_ctx *c, const char *name, int *out)
{
	json_t *v = json_object_get(c->params, name), *e;
	int found = 0, best = 0;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		goto bad;
	json_array_foreach(v, i, e) {
		json_t *lv = json_object_get(e, "access_level");
		uint64_t n = 0;

		if (!lv)
			continue;	/* user_id / group_id entries: Premium features */
		if (json_is_integer(lv) && json_integer_value(lv) >= 0)
			n = (uint64_t)json_integer_value(lv);
		else if (!json_is_string(lv) || parse_u64(json_string_value(lv), 60, &n) < 0)
			goto bad;
		if (n > 60 || !protected_level_valid((int)n))
			goto bad;
		if (!found || (int)n < best)
			best = (int)n;
		found = 1;
	}
	if (found)
		*out = best;
	return found;
bad:
	api_invalid_value(c, name);
	return ERR_INVALID;
}

static void pb_create(struct api_ctx *c)
{
	struct buf err = BUF_INIT_MAX(512), msg = BUF_INIT_MAX(2048);
	struct protected_branch *pb = NULL;
	struct project *p = NULL;
	const char *name = NULL;
	int push = ACCESS_MAINTAINER, merge = ACCESS_MAINTAINER, force = 0;
	int64_t id = 0;
	int ret;

	if (pb_project(c, &p) < 0)
		return;
	if (api_param_required(c, "name", &name) < 0 || level_param(c, "push_access_level", &push) < 0 ||
	    level_param(c, "merge_access_level", &merge) < 0 ||
	    allowed_param(c, "allowed_to_push", &push) < 0 ||
	    allowed_param(c, "allowed_to_merge", &merge) < 0 ||
	    api_param_bool(c, "allow_force_push", &force) < 0)
		goto out;
	ret = protected_branch_create(c->db, p->id, name, push, merge, force, &id, &err);
	if (ret == ERR_EXISTS) {
		buf_addstr(&msg, "Protected branch '");
		buf_addstr(&msg, name);
		buf_addstr(&msg, "' already exists");
		api_message(c, 409, buf_error(&msg) ? "Protected branch already exists" : msg.ptr);
		goto out;
	}
	if (ret == 0)
		ret = protected_branch_find(c->db, p->id, name, &pb);
	if (ret < 0)
		api_fail(c, ret, "Protected branch", &err);
	else
		api_json(c, 201, pb_json(pb));
out:
	buf_release(&err);
	buf_release(&msg);
	protected_branch_free(pb);
	project_free(p);
}

static void pb_update(struct api_ctx *c)
{
	struct protected_branch *pb = NULL, *after = NULL;
	struct project *p = NULL;
	int push, merge, force, ret;

	if (pb_project(c, &p) < 0)
		return;
	ret = protected_branch_find(c->db, p->id, api_arg(c, 1), &pb);
	if (ret == ERR_NOTFOUND) {
		pb_not_found(c);
		goto out;
	}
	if (ret < 0) {
		api_fail(c, ret, NULL, NULL);
		goto out;
	}
	push = pb->push_access_level;
	merge = pb->merge_access_level;
	force = pb->allow_force_push;
	if (level_param(c, "push_access_level", &push) < 0 ||
	    level_param(c, "merge_access_level", &merge) < 0 ||
	    allowed_param(c, "allowed_to_push", &push) < 0 ||
	    allowed_param(c, "allowed_to_merge", &merge) < 0 ||
	    api_param_bool(c, "allow_force_push", &force) < 0)
		goto out;
	ret = protected_branch_update(c->db, pb->id, push, merge, force);
	if (ret == 0)
		ret = protected_branch_find(c->db, p->id, pb->name, &after);
	if (ret < 0)
		api_fail(c, ret, NULL, NULL);
	else
		api_json(c, 200, pb_json(after));
out:
	protected_branch_free(pb);
	protected_branch_free(after);
	project_free(p);
}

static void pb_delete(struct api_ctx *c)
{
	struct project *p = NULL;
	int ret;

	if (pb_project(c, &p) < 0)
		return;
	ret = protected_branch_delete(c->db, p->id, api_arg(c, 1));
	if (ret == ERR_NOTFOUND)
		pb_not_found(c);
	else if (ret < 0)
		api_fail(c, ret, NULL, NULL);
	else
		api_no_content(c);
	project_free(p);
}

const struct api_endpoint api_protected_branch_endpoints[] = {
	{ "GET", "/projects/:id/protected_branches", pb_list, 0 },
	{ "POST", "/projects/:id/protected_branches", pb_create, API_AUTH },
	{ "GET", "/projects/:id/protected_branches/:name", pb_get, 0 },
	{ "PATCH", "/projects/:id/protected_branches/:name", pb_update, API_AUTH },
	{ "DELETE", "/projects/:id/protected_branches/:name", pb_delete, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
