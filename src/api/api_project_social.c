/* Stars and forks of a project: star and unstar (304 when nothing
 * changes), the starrers, forking into a namespace the caller may create
 * projects in, the forks, and removing the fork relation. */
#include "api_ctx.h"
#include "auth/perms.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "http/http.h"
#include "model/fork.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/project_list.h"
#include "model/star.h"
#include "model/user.h"

#include <string.h>

static const char *const visibilities[] = { "private", "internal", "public", NULL };

static int visibility_rank(const char *v)
{
	return !strcmp(v, "public") ? 2 : !strcmp(v, "internal") ? 1 : 0;
}

/* Answers the project as it is now. */
static void project_answer(struct api_ctx *c, int64_t id, int status, int level)
{
	struct project *p = NULL;
	int ret = project_find(c->db, id, &p);

	if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		api_json(c, status, api_project_json(c, p, level, 0));
	project_free(p);
}

static void project_star_change(struct api_ctx *c, int star)
{
	struct project *p = NULL;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	ret = star ? star_add(c->db, p->id, api_user_id(c))
		   : star_remove(c->db, p->id, api_user_id(c));
	/* GitLab answers 304 Not Modified when there is nothing to change. */
	if (ret == ERR_EXISTS || ret == ERR_NOTFOUND)
		http_respond(c->req, 304, NULL, "", 0);
	else if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		project_answer(c, p->id, 201, level);
	project_free(p);
}

static void project_star(struct api_ctx *c)
{
	project_star_change(c, 1);
}

static void project_unstar(struct api_ctx *c)
{
	project_star_change(c, 0);
}

struct starrer_page {
	struct api_ctx *c;
	json_t *items;
};

static int starrer_add(int64_t user_id, int64_t starred_at, void *ctx)
{
	struct starrer_page *sp = ctx;
	struct user *u = NULL;
	int ret = user_find(sp->c->db, user_id, &u);

	if (ret < 0)
		return ret == ERR_NOTFOUND ? 0 : ret;
	json_array_append_new(sp->items, json_pack("{s:o, s:o}", "starred_since",
						   api_time(starred_at), "user",
						   api_user_basic(sp->c, u)));
	user_free(u);
	return 0;
}

static void project_starrers(struct api_ctx *c)
{
	struct starrer_page sp = { c, NULL };
	struct project *p = NULL;
	struct api_page pg;
	const char *search = NULL;
	int64_t total = 0;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "search", &search) < 0 ||
	    api_project_find(c, api_arg(c, 0), &p, NULL) < 0)
		return;
	sp.items = json_array();
	ret = star_list_count(c->db, p->id, search, &total);
	if (ret == 0)
		ret = star_list(c->db, p->id, search, api_page_offset(&pg), pg.per_page,
				starrer_add, &sp);
	if (ret < 0) {
		json_decref(sp.items);
		api_fail(c, ret, NULL, NULL);
	} else {
		api_page_respond(c, &pg, total, sp.items);
	}
	project_free(p);
}

/* The namespace the fork goes into: namespace_id, namespace_path or the
 * deprecated namespace, else the caller's own. The caller must be able to
 * create projects there: their own namespace, or a group as Developer+. */
static int fork_namespace(struct api_ctx *c, struct namespace **out)
{
	const char *id = NULL, *path = NULL;

	if (api_param_str(c, "namespace_id", &id) < 0 ||
	    api_param_str(c, "namespace_path", &path) < 0)
		return ERR_INVALID;
	if (!id && !path)
		id = api_param_peek(c, "namespace");
	return api_namespace_for_project(c, id ? id : path, out);
}

static void project_fork(struct api_ctx *c)
{
	struct project_req req = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct project *src = NULL;
	struct namespace *ns = NULL;
	int64_t id = 0;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &src, &level) < 0)
		return;
	/* Forking copies the code: the caller must be able to read it. */
	if (!strcmp(src->visibility, "private") &&
	    api_require_level(c, level, ACCESS_REPORTER) < 0)
		goto out;
	if (api_param_str(c, "name", &req.name) < 0 || api_param_str(c, "path", &req.path) < 0 ||
	    api_param_str(c, "description", &req.description) < 0 ||
	    api_param_enum(c, "visibility", visibilities, &req.visibility) < 0)
		goto out;
	if (!req.visibility)
		req.visibility = src->visibility;
	if (visibility_rank(req.visibility) > visibility_rank(src->visibility)) {
		api_field_error(c, "visibility_level",
				"can not be more open than the project it was forked from");
		goto out;
	}
	if (!req.path && !req.name) {
		req.path = src->path;
		req.name = src->name;
	}
	if (!req.description)
		req.description = src->description;
	if (fork_namespace(c, &ns) < 0)
		goto out;
	req.namespace_id = ns->id;
	req.creator_id = api_user_id(c);
	ret = fork_create(c->db, src, &req, ns, &id, &err);
	if (ret < 0)
		api_fail(c, ret, "Project", &err);
	else
		project_answer(c, id, 201, ACCESS_OWNER);
out:
	namespace_free(ns);
	project_free(src);
	buf_release(&err);
}

static void project_forks(struct api_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;
	struct project *p = NULL;

	if (api_project_find(c, api_arg(c, 0), &p, NULL) < 0)
		return;
	f.forked_from = p->id;
	project_free(p);
	api_project_list(c, &f);
}

static void project_fork_delete(struct api_ctx *c)
{
	struct project *p = NULL;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_OWNER) == 0) {
		ret = fork_unlink(c->db, p->id);
		/* GitLab answers 304 when the project is no fork. */
		if (ret == ERR_NOTFOUND)
			http_respond(c->req, 304, NULL, "", 0);
		else if (ret < 0)
			api_fail(c, ret, "Project", NULL);
		else
			api_no_content(c);
	}
	project_free(p);
}

/* POST /projects/:id/fork/:forked_from_id: an administrator records an
 * existing project as a fork. */
static void project_fork_link(struct api_ctx *c)
{
	struct project *p = NULL, *src = NULL;
	int ret;

	if (api_project_find(c, api_arg(c, 0), &p, NULL) < 0)
		goto out;
	if (api_project_find(c, api_arg(c, 1), &src, NULL) < 0)
		goto out;
	ret = p->id == src->id ? ERR_INVALID : fork_link(c->db, p->id, src->id);
	if (ret == ERR_EXISTS)
		api_message(c, 409, "Project already forked");
	else if (ret < 0)
		api_fail(c, ret, "Project", NULL);
	else
		project_answer(c, p->id, 201, ACCESS_OWNER);
out:
	project_free(p);
	project_free(src);
}

const struct api_endpoint api_project_social_endpoints[] = {
	{ "POST", "/projects/:id/star", project_star, API_AUTH },
	{ "POST", "/projects/:id/unstar", project_unstar, API_AUTH },
	{ "GET", "/projects/:id/starrers", project_starrers, 0 },
	{ "POST", "/projects/:id/fork", project_fork, API_AUTH },
	{ "GET", "/projects/:id/forks", project_forks, 0 },
	{ "DELETE", "/projects/:id/fork", project_fork_delete, API_AUTH },
	{ "POST", "/projects/:id/fork/:from", project_fork_link, API_ADMIN },
	{ NULL, NULL, NULL, 0 },
};
