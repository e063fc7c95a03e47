/* Projects: list with GitLab's filters, create in a user or group
 * namespace, get, edit, archive and delete. */
#include "api_ctx.h"
#include "api_repo.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "auth/perms.h"
#include "http/http.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/project_list.h"
#include "model/user.h"

#include <string.h>

static const char *const visibilities[] = { "private", "internal", "public", NULL };

struct project_page {
	struct api_ctx *c;
	json_t *items;
	int simple;
};

static int project_page_add(const struct project *p, int level, void *ctx)
{
	struct project_page *pp = ctx;

	json_array_append_new(pp->items, api_project_json(pp->c, p, level, pp->simple));
	return 0;
}

static int min_access_param(struct api_ctx *c, int *out)
{
	int64_t v = 0;
	int ret = api_param_int(c, "min_access_level", 0, 50, &v);

	if (ret <= 0)
		return ret;
	if (!access_level_valid((int)v)) {
		api_invalid_value(c, "min_access_level");
		return ERR_INVALID;
	}
	*out = (int)v;
	return 1;
}

static int project_filter_params(struct api_ctx *c, struct project_filter *f, int *simple)
{
	static const char *const orders[] = { "id", "name", "path", "created_at", "updated_at",
					      "last_activity_at", NULL };
	static const char *const sorts[] = { "asc", "desc", NULL };
	const char *sort = "desc";
	int archived = 0, ret;

	f->viewer_id = api_user_id(c);
	f->viewer_admin = api_is_admin(c);
	if (api_param_str(c, "search", &f->search) < 0 ||
	    api_param_enum(c, "visibility", visibilities, &f->visibility) < 0 ||
	    api_param_bool(c, "owned", &f->owned) < 0 ||
	    api_param_bool(c, "membership", &f->membership) < 0 ||
	    min_access_param(c, &f->min_access_level) < 0 ||
	    api_param_bool(c, "simple", simple) < 0 ||
	    api_param_enum(c, "order_by", orders, &f->order_by) < 0 ||
	    api_param_enum(c, "sort", sorts, &sort) < 0 ||
	    api_param_bool(c, "include_subgroups", &f->include_subgroups) < 0 ||
	    api_param_bool(c, "starred", &f->starred) < 0)
		return ERR_INVALID;
	ret = api_param_bool(c, "archived", &archived);
	if (ret < 0)
		return ret;
	if (ret > 0)
		f->archived = archived;
	f->sort_asc = !strcmp(sort, "asc");
	/* Anonymous callers are members of nothing. */
	if (!f->viewer_id && (f->owned || f->membership || f->min_access_level || f->starred))
		f->viewer_id = -1;
	return 0;
}

void api_project_list(struct api_ctx *c, struct project_filter *f)
{
	struct project_page pp = { c, NULL, 0 };
	struct api_page pg;
	int64_t total = 0;
	int ret;

	if (api_page_parse(c, &pg) < 0 || project_filter_params(c, f, &pp.simple) < 0)
		return;
	ret = project_list_count(c->db, f, &total);
	pp.items = json_array();
	if (ret == 0)
		ret = project_list(c->db, f, api_page_offset(&pg), pg.per_page, project_page_add, &pp);
	if (ret < 0) {
		json_decref(pp.items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, pp.items);
}

static void projects_list(struct api_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;

	api_project_list(c, &f);
}

/* The namespace a new project goes into: the caller's own by default, else
 * one they may create projects in (their own, or a group as Developer+). */
static int create_namespace(struct api_ctx *c, struct namespace **out)
{
	const char *id = NULL;
	int ret = api_param_str(c, "namespace_id", &id);

	if (ret < 0)
		return ret;
	return api_namespace_for_project(c, id ? id : api_param_peek(c, "namespace"), out);
}

static void projects_create(struct api_ctx *c)
{
	struct project_req req = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct namespace *ns = NULL;
	struct project *p = NULL;
	struct api_import *imp = NULL;
	int64_t id = 0;
	int readme = 0, ret;

	if (api_param_str(c, "name", &req.name) < 0 || api_param_str(c, "path", &req.path) < 0 ||
	    api_param_str(c, "description", &req.description) < 0 ||
	    api_param_enum(c, "visibility", visibilities, &req.visibility) < 0 ||
	    api_param_str(c, "default_branch", &req.default_branch) < 0 ||
	    api_param_bool(c, "initialize_with_readme", &readme) < 0)
		goto out;
	if (!req.name && !req.path) {
		api_error(c, 400, "name, path are missing, at least one parameter must be provided");
		goto out;
	}
	/* import_url is vetted before anything is created. */
	if (api_import_parse(c, &imp) < 0 || create_namespace(c, &ns) < 0)
		goto out;
	req.namespace_id = ns->id;
	req.creator_id = api_user_id(c);
	ret = project_create_owned(c->db, &req, ns, &id, &err);
	if (ret == 0 && imp) {
		ret = api_import_start(c, imp, id, &err);
		if (ret < 0)
			(void)project_delete(c->db, id);
	}
	/* The README commit goes through the same write path as any other. */
	if (ret == 0 && readme)
		ret = api_repo_init_readme(c, id);
	if (ret == 0)
		ret = project_find(c->db, id, &p);
	if (ret < 0)
		api_fail(c, ret, "Namespace", &err);
	else
		api_json(c, 201, api_project_json(c, p, ACCESS_OWNER, 0));
out:
	api_import_free(imp);
	namespace_free(ns);
	project_free(p);
	buf_release(&err);
}

static void projects_get(struct api_ctx *c)
{
	struct project *p = NULL;
	int level = 0;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	api_json(c, 200, api_project_json(c, p, level, 0));
	project_free(p);
}

/* Answers the project as it is now, after a change. */
static void project_answer_fresh(struct api_ctx *c, int64_t id, int status, int level)
{
	struct project *p = NULL;
	int ret = project_find(c->db, id, &p);

	if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		api_json(c, status, api_project_json(c, p, level, 0));
	project_free(p);
}

static void projects_update(struct api_ctx *c)
{
	struct project_update up = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct project *p = NULL;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_MAINTAINER) < 0 ||
	    api_param_str(c, "name", &up.name) < 0 || api_param_str(c, "path", &up.path) < 0 ||
	    api_param_str(c, "description", &up.description) < 0 ||
	    api_param_enum(c, "visibility", visibilities, &up.visibility) < 0 ||
	    api_param_str(c, "default_branch", &up.default_branch) < 0)
		goto out;
	ret = project_update(c->db, p, &up, &err);
	if (ret < 0)
		api_fail(c, ret, "Project", &err);
	else
		project_answer_fresh(c, p->id, 200, level);
out:
	project_free(p);
	buf_release(&err);
}

static void projects_delete(struct api_ctx *c)
{
	struct project *p = NULL;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) == 0) {
		ret = project_delete(c->db, p->id);
		if (ret < 0)
			api_fail(c, ret, "Project", NULL);
		else
			api_message(c, 202, "202 Accepted");
	}
	project_free(p);
}

static void projects_set_archived(struct api_ctx *c, int archived)
{
	struct project *p = NULL;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_MAINTAINER) == 0) {
		ret = project_set_archived(c->db, p->id, archived);
		if (ret < 0)
			api_fail(c, ret, "Project", NULL);
		else
			project_answer_fresh(c, p->id, 201, level);
	}
	project_free(p);
}

static void projects_archive(struct api_ctx *c)
{
	projects_set_archived(c, 1);
}

static void projects_unarchive(struct api_ctx *c)
{
	projects_set_archived(c, 0);
}

const struct api_endpoint api_project_endpoints[] = {
	{ "GET", "/projects", projects_list, 0 },
	{ "POST", "/projects", projects_create, API_AUTH },
	{ "GET", "/projects/:id", projects_get, 0 },
	{ "PUT", "/projects/:id", projects_update, API_AUTH },
	{ "DELETE", "/projects/:id", projects_delete, API_AUTH },
	{ "POST", "/projects/:id/archive", projects_archive, API_AUTH },
	{ "POST", "/projects/:id/unarchive", projects_unarchive, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
