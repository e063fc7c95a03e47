/* Groups (list, create with parent_id, get, edit, delete, subgroups,
 * descendants, projects) and namespaces. */
#include "api_ctx.h"
#include "auth/perms.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/group_list.h"
#include "model/member.h"
#include "model/names.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/project_list.h"

#include <string.h>

static const char *const visibilities[] = { "private", "internal", "public", NULL };

struct group_page {
	struct api_ctx *c;
	json_t *items;
};

static int group_page_add(const struct namespace *ns, int level, void *ctx)
{
	struct group_page *gp = ctx;

	(void)level;
	json_array_append_new(gp->items, api_group_json(gp->c, ns));
	return 0;
}

static int group_filter_params(struct api_ctx *c, struct group_filter *f)
{
	static const char *const orders[] = { "name", "path", "id", NULL };
	static const char *const sorts[] = { "asc", "desc", NULL };
	const char *sort = "asc";
	int64_t min = 0;

	f->viewer_id = api_user_id(c);
	f->viewer_admin = api_is_admin(c);
	if (api_param_str(c, "search", &f->search) < 0 ||
	    api_param_bool(c, "owned", &f->owned) < 0 ||
	    api_param_bool(c, "all_available", &f->all_available) < 0 ||
	    api_param_bool(c, "top_level_only", &f->top_level_only) < 0 ||
	    api_param_int(c, "min_access_level", 0, 50, &min) < 0 ||
	    api_param_enum(c, "order_by", orders, &f->order_by) < 0 ||
	    api_param_enum(c, "sort", sorts, &sort) < 0)
		return ERR_INVALID;
	if (min && !access_level_valid((int)min)) {
		api_invalid_value(c, "min_access_level");
		return ERR_INVALID;
	}
	f->min_access_level = (int)min;
	f->sort_asc = !strcmp(sort, "asc");
	/* Anonymous callers see public groups, as with all_available. */
	if (!f->viewer_id)
		f->all_available = 1;
	return 0;
}

static void group_list_respond(struct api_ctx *c, struct group_filter *f)
{
	struct group_page gp = { c, NULL };
	struct api_page pg;
	int64_t total = 0;
	int ret;

	if (api_page_parse(c, &pg) < 0 || group_filter_params(c, f) < 0)
		return;
	ret = group_list_count(c->db, f, &total);
	gp.items = json_array();
	if (ret == 0)
		ret = group_list(c->db, f, api_page_offset(&pg), pg.per_page, group_page_add, &gp);
	if (ret < 0) {
		json_decref(gp.items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, gp.items);
}

static void groups_list(struct api_ctx *c)
{
	struct group_filter f = { 0 };

	group_list_respond(c, &f);
}

static void groups_subgroups(struct api_ctx *c)
{
	struct group_filter f = { 0 };
	struct namespace *ns = NULL;

	if (api_group_find(c, api_arg(c, 0), &ns, NULL) < 0)
		return;
	f.parent_id = ns->id;
	f.all_available = 1;
	namespace_free(ns);
	group_list_respond(c, &f);
}

static void groups_descendants(struct api_ctx *c)
{
	struct group_filter f = { 0 };
	struct namespace *ns = NULL;

	if (api_group_find(c, api_arg(c, 0), &ns, NULL) < 0)
		return;
	f.descendants_of = ns->id;
	f.all_available = 1;
	namespace_free(ns);
	group_list_respond(c, &f);
}

static void groups_projects(struct api_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;
	struct namespace *ns = NULL;

	if (api_group_find(c, api_arg(c, 0), &ns, NULL) < 0)
		return;
	f.namespace_id = ns->id;
	namespace_free(ns);
	api_project_list(c, &f);
}

/* A subgroup needs Maintainer in the parent (GitLab's default
 * subgroup_creation_level); a top-level group any signed-in user. */
static int create_parent(struct api_ctx *c, int64_t *parent_out)
{
	struct namespace *parent = NULL;
	const char *id = NULL;
	int level = 0;
	int ret = api_param_str(c, "parent_id", &id);

	if (ret <= 0 || !*id) {
		*parent_out = 0;
		return ret;
	}
	if (api_group_find(c, id, &parent, &level) < 0)
		return ERR_NOTFOUND;
	ret = api_require_level(c, level, ACCESS_MAINTAINER);
	if (ret == 0)
		*parent_out = parent->id;
	namespace_free(parent);
	return ret;
}

static void group_answer(struct api_ctx *c, int64_t id, int status)
{
	struct namespace *ns = NULL;
	int ret = namespace_find(c->db, id, &ns);

	if (ret < 0)
		api_fail(c, ret, "Group", NULL);
	else
		api_json(c, status, api_group_json(c, ns));
	namespace_free(ns);
}

static void groups_create(struct api_ctx *c)
{
	struct group_req req = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	int64_t id = 0;
	int ret;

	if (api_param_required(c, "name", &req.name) < 0 ||
	    api_param_required(c, "path", &req.path) < 0 ||
	    api_param_str(c, "description", &req.description) < 0 ||
	    api_param_enum(c, "visibility", visibilities, &req.visibility) < 0 ||
	    create_parent(c, &req.parent_id) < 0)
		goto out;
	req.creator_id = api_user_id(c);
	ret = group_create(c->db, &req, &id, &err);
	if (ret < 0)
		api_fail(c, ret, "Group", &err);
	else
		group_answer(c, id, 201);
out:
	buf_release(&err);
}

static int group_projects_add(const struct project *p, int level, void *ctx)
{
	struct group_page *gp = ctx;

	json_array_append_new(gp->items, api_project_json(gp->c, p, level, 0));
	return 0;
}

static void groups_get(struct api_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;
	struct group_page gp = { c, NULL };
	struct namespace *ns = NULL;
	json_t *o;
	int with_projects = 1, ret;

	if (api_group_find(c, api_arg(c, 0), &ns, NULL) < 0)
		return;
	if (api_param_bool(c, "with_projects", &with_projects) < 0)
		goto out;
	o = api_group_json(c, ns);
	json_object_set_new(o, "shared_with_groups", api_shared_with_groups(c, 0, ns->id));
	gp.items = json_array();
	json_object_set_new(o, "projects", gp.items);
	json_object_set_new(o, "shared_projects", json_array());
	f.namespace_id = ns->id;
	f.viewer_id = api_user_id(c);
	f.viewer_admin = api_is_admin(c);
	/* GitLab embeds the group's projects; a page's worth keeps it bounded. */
	ret = with_projects ? project_list(c->db, &f, 0, 100, group_projects_add, &gp) : 0;
	if (ret < 0) {
		json_decref(o);
		api_fail(c, ret, NULL, NULL);
	} else {
		api_json(c, 200, o);
	}
out:
	namespace_free(ns);
}

static void groups_update(struct api_ctx *c)
{
	struct group_update up = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct namespace *ns = NULL;
	int level = 0, ret;

	if (api_group_find(c, api_arg(c, 0), &ns, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) < 0 ||
	    api_param_str(c, "name", &up.name) < 0 || api_param_str(c, "path", &up.path) < 0 ||
	    api_param_str(c, "description", &up.description) < 0 ||
	    api_param_enum(c, "visibility", visibilities, &up.visibility) < 0)
		goto out;
	ret = group_update(c->db, ns, &up, &err);
	if (ret < 0)
		api_fail(c, ret, "Group", &err);
	else
		group_answer(c, ns->id, 200);
out:
	namespace_free(ns);
	buf_release(&err);
}

static void groups_delete(struct api_ctx *c)
{
	struct namespace *ns = NULL;
	int level = 0, ret;

	if (api_group_find(c, api_arg(c, 0), &ns, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) == 0) {
		ret = group_delete(c->db, ns->id);
		if (ret < 0)
			api_fail(c, ret, "Group", NULL);
		else
			api_message(c, 202, "202 Accepted");
	}
	namespace_free(ns);
}

/* --- namespaces ----------------------------------------------------------- */

static json_t *namespace_full_json(struct api_ctx *c, const struct namespace *ns)
{
	json_t *o = api_namespace_json(c, ns);

	json_object_set_new(o, "billable_members_count", json_integer(1));
	json_object_set_new(o, "plan", json_string("default"));
	json_object_set_new(o, "trial_ends_on", json_null());
	json_object_set_new(o, "trial", json_false());
	return o;
}

static int namespace_page_add(const struct namespace *ns, void *ctx)
{
	struct group_page *gp = ctx;

	json_array_append_new(gp->items, namespace_full_json(gp->c, ns));
	return 0;
}

static void namespaces_list(struct api_ctx *c)
{
	struct group_page gp = { c, NULL };
	struct api_page pg;
	const char *search = NULL;
	int64_t total = 0;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "search", &search) < 0)
		return;
	ret = namespace_list_count(c->db, api_user_id(c), api_is_admin(c), search, &total);
	gp.items = json_array();
	if (ret == 0)
		ret = namespace_list(c->db, api_user_id(c), api_is_admin(c), search,
				     api_page_offset(&pg), pg.per_page, namespace_page_add, &gp);
	if (ret < 0) {
		json_decref(gp.items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, gp.items);
}

static void namespaces_get(struct api_ctx *c)
{
	struct namespace *ns = NULL;
	const char *id = api_arg(c, 0);
	uint64_t n = 0;
	int level = 0, ret;

	if (parse_u64(id, INT64_MAX, &n) == 0)
		ret = namespace_find(c->db, (int64_t)n, &ns);
	else
		ret = namespace_find_by_full_path(c->db, id, &ns);
	if (ret == 0 && !strcmp(ns->kind, "user"))
		ret = ns->owner_id == api_user_id(c) || api_is_admin(c) ? 0 : ERR_NOTFOUND;
	else if (ret == 0)
		ret = perms_group_read(c->db, &c->who, ns, &level);
	if (ret < 0)
		api_fail(c, ret, "Namespace", NULL);
	else
		api_json(c, 200, namespace_full_json(c, ns));
	namespace_free(ns);
}

/* {"exists": bool, "suggests": [...]}: whether the path is taken under
 * parent_id (top level by default), with a free alternative. */
static void namespaces_exists(struct api_ctx *c)
{
	struct namespace *parent = NULL, *ns = NULL;
	struct buf full = BUF_INIT, alt = BUF_INIT;
	const char *path = api_arg(c, 0);
	int64_t parent_id = 0;
	json_t *suggests = json_array();
	int ret, exists;

	ret = api_param_int(c, "parent_id", 1, INT64_MAX, &parent_id);
	if (ret < 0)
		goto out;
	if (ret > 0 && namespace_find(c->db, parent_id, &parent) == 0)
		buf_addf(&full, "%s/", parent->full_path);
	buf_addstr(&full, path);
	exists = namespace_find_by_full_path(c->db, full.ptr, &ns) == 0;
	for (int i = 1; exists && i < 100 && !json_array_size(suggests); i++) {
		struct namespace *taken = NULL;

		buf_reset(&alt);
		buf_addf(&alt, "%s%d", full.ptr, i);
		if (namespace_find_by_full_path(c->db, alt.ptr, &taken) == ERR_NOTFOUND)
			json_array_append_new(suggests, json_string(alt.ptr + full.len - strlen(path)));
		namespace_free(taken);
	}
	api_json(c, 200, json_pack("{s:b, s:O}", "exists", exists, "suggests", suggests));
out:
	json_decref(suggests);
	namespace_free(parent);
	namespace_free(ns);
	buf_release(&full);
	buf_release(&alt);
}

const struct api_endpoint api_group_endpoints[] = {
	{ "GET", "/groups", groups_list, 0 },
	{ "POST", "/groups", groups_create, API_AUTH },
	{ "GET", "/groups/:id", groups_get, 0 },
	{ "PUT", "/groups/:id", groups_update, API_AUTH },
	{ "DELETE", "/groups/:id", groups_delete, API_AUTH },
	{ "GET", "/groups/:id/subgroups", groups_subgroups, 0 },
	{ "GET", "/groups/:id/descendant_groups", groups_descendants, 0 },
	{ "GET", "/groups/:id/projects", groups_projects, 0 },
	{ NULL, NULL, NULL, 0 },
};

const struct api_endpoint api_namespace_endpoints[] = {
	{ "GET", "/namespaces", namespaces_list, API_AUTH },
	{ "GET", "/namespaces/:id/exists", namespaces_exists, API_AUTH },
	{ "GET", "/namespaces/:id", namespaces_get, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
