/* Deploy tokens of projects and groups: Maintainers list, create, show and
 * delete them; administrators list all of them. The secret is shown once,
 * in the creation answer. Git over HTTP takes them (authn_deploy_token). */
#include "api_ctx.h"
#include "api_keys.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "model/deploy_token.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"

#include <sodium.h>
#include <string.h>

/* The token's owner for one request: a project or a group. */
struct dt_owner {
	struct project *p;
	struct namespace *ns;
};

static void dt_owner_release(struct dt_owner *o)
{
	project_free(o->p);
	namespace_free(o->ns);
}

static json_t *dt_json(const struct deploy_token *t)
{
	json_t *scopes = json_array();

	for (int i = 0; deploy_token_scope_name(i); i++)
		if (t->scopes & (1u << i))
			json_array_append_new(scopes, json_string(deploy_token_scope_name(i)));
	return json_pack("{s:I, s:s, s:s, s:o, s:o, s:b, s:b}", "id", (json_int_t)t->id,
			 "name", t->name, "username", t->username,
			 "expires_at", api_time(t->expires_at), "scopes", scopes,
			 "revoked", t->revoked,
			 "expired", t->expires_at && t->expires_at <= time_now_ms());
}

/* :id as a project (group 0) or a group (group 1) the caller maintains. */
static int dt_owner_find(struct api_ctx *c, int group, struct dt_owner *out)
{
	int level = 0, ret;

	if (group)
		ret = api_group_find(c, api_arg(c, 0), &out->ns, &level);
	else
		ret = api_project_find(c, api_arg(c, 0), &out->p, &level);
	if (ret == 0)
		ret = api_require_level(c, level, ACCESS_MAINTAINER);
	if (ret < 0)
		dt_owner_release(out);
	return ret;
}

static void dt_filter(const struct dt_owner *o, struct deploy_token_filter *f)
{
	f->project_id = o->p ? o->p->id : 0;
	f->namespace_id = o->ns ? o->ns->id : 0;
}

static int page_add(const struct deploy_token *t, void *ctx)
{
	json_array_append_new(ctx, dt_json(t));
	return 0;
}

static void dt_list_answer(struct api_ctx *c, struct deploy_token_filter *f)
{
	struct api_page pg;
	int64_t total = 0;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_bool(c, "active", &f->active_only) < 0)
		return;
	ret = deploy_token_count(c->db, f, &total);
	items = json_array();
	if (ret == 0)
		ret = deploy_token_list(c->db, f, api_page_offset(&pg), pg.per_page, page_add, items);
	if (ret < 0) {
		json_decref(items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, items);
}

static void dt_list(struct api_ctx *c, int group)
{
	struct dt_owner o = { NULL, NULL };
	struct deploy_token_filter f = { 0, 0, 0 };

	if (dt_owner_find(c, group, &o) < 0)
		return;
	dt_filter(&o, &f);
	dt_list_answer(c, &f);
	dt_owner_release(&o);
}

/* The owner's token named by argument 1; answers 404 itself. */
static int dt_find(struct api_ctx *c, const struct dt_owner *o, struct deploy_token **out)
{
	struct deploy_token *t = NULL;
	uint64_t id = 0;
	int ret = parse_u64(api_arg(c, 1), INT64_MAX, &id) == 0 && id ?
		deploy_token_find(c->db, (int64_t)id, &t) : ERR_NOTFOUND;

	if (ret == 0 && (o->p ? t->project_id != o->p->id : t->namespace_id != o->ns->id))
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		deploy_token_free(t);
		api_fail(c, ret, "Deploy Token", NULL);
		return ret;
	}
	*out = t;
	return 0;
}

static void dt_get(struct api_ctx *c, int group)
{
	struct dt_owner o = { NULL, NULL };
	struct deploy_token *t = NULL;

	if (dt_owner_find(c, group, &o) < 0)
		return;
	if (dt_find(c, &o, &t) == 0)
		api_json(c, 200, dt_json(t));
	deploy_token_free(t);
	dt_owner_release(&o);
}

static void dt_delete(struct api_ctx *c, int group)
{
	struct dt_owner o = { NULL, NULL };
	struct deploy_token *t = NULL;
	int ret;

	if (dt_owner_find(c, group, &o) < 0)
		return;
	if (dt_find(c, &o, &t) == 0) {
		ret = deploy_token_delete(c->db, t->id);
		if (ret < 0)
			api_fail(c, ret, "Deploy Token", NULL);
		else
			api_no_content(c);
	}
	deploy_token_free(t);
	dt_owner_release(&o);
}

/* scopes[]=…, a JSON array, or "a,b". */
static int scopes_param(struct api_ctx *c, unsigned *out)
{
	json_t *v = json_object_get(c->params, "scopes"), *e;
	struct buf list = BUF_INIT_MAX(1024);
	size_t i;
	int ret = 0;

	if (!v || json_is_null(v)) {
		api_error(c, 400, "scopes is missing");
		return ERR_INVALID;
	}
	if (json_is_string(v))
		buf_addstr(&list, json_string_value(v));
	else if (!json_is_array(v))
		ret = ERR_INVALID;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			ret = ERR_INVALID;
		else
			buf_addf(&list, "%s%s", i ? "," : "", json_string_value(e));
	}
	if (ret == 0 && (buf_error(&list) || deploy_token_scopes_parse(list.ptr, out) < 0))
		ret = ERR_INVALID;
	if (ret < 0)
		api_error(c, 400, "scopes does not have a valid value");
	buf_release(&list);
	return ret;
}

static void dt_create(struct api_ctx *c, int group)
{
	struct dt_owner o = { NULL, NULL };
	struct deploy_token_req r = { 0 };
	struct buf secret = BUF_INIT, err = BUF_INIT_MAX(512);
	struct deploy_token *t = NULL;
	int64_t id = 0;
	int ret;
	json_t *v;

	if (dt_owner_find(c, group, &o) < 0)
		return;
	if (api_param_required(c, "name", &r.name) < 0 || scopes_param(c, &r.scopes) < 0 ||
	    api_param_str(c, "username", &r.username) < 0 ||
	    api_param_datetime(c, "expires_at", &r.expires_at) < 0)
		goto out;
	r.project_id = o.p ? o.p->id : 0;
	r.namespace_id = o.ns ? o.ns->id : 0;
	ret = deploy_token_create(c->db, &r, &secret, &id, &err);
	if (ret == 0)
		ret = deploy_token_find(c->db, id, &t);
	if (ret < 0) {
		api_fail(c, ret, "Deploy Token", &err);
		goto out;
	}
	v = dt_json(t);
	json_object_set_new(v, "token", json_string(secret.ptr));
	api_json(c, 201, v);
out:
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&err);
	deploy_token_free(t);
	dt_owner_release(&o);
}

static void project_list_dt(struct api_ctx *c)
{
	dt_list(c, 0);
}

static void project_create_dt(struct api_ctx *c)
{
	dt_create(c, 0);
}

static void project_get_dt(struct api_ctx *c)
{
	dt_get(c, 0);
}

static void project_delete_dt(struct api_ctx *c)
{
	dt_delete(c, 0);
}

static void group_list_dt(struct api_ctx *c)
{
	dt_list(c, 1);
}

static void group_create_dt(struct api_ctx *c)
{
	dt_create(c, 1);
}

static void group_get_dt(struct api_ctx *c)
{
	dt_get(c, 1);
}

static void group_delete_dt(struct api_ctx *c)
{
	dt_delete(c, 1);
}

static void admin_list(struct api_ctx *c)
{
	struct deploy_token_filter f = { 0, 0, 0 };

	dt_list_answer(c, &f);
}

const struct api_endpoint api_deploy_token_endpoints[] = {
	{ "GET", "/deploy_tokens", admin_list, API_ADMIN },
	{ "GET", "/projects/:id/deploy_tokens", project_list_dt, API_AUTH },
	{ "POST", "/projects/:id/deploy_tokens", project_create_dt, API_AUTH },
	{ "GET", "/projects/:id/deploy_tokens/:token_id", project_get_dt, API_AUTH },
	{ "DELETE", "/projects/:id/deploy_tokens/:token_id", project_delete_dt, API_AUTH },
	{ "GET", "/groups/:id/deploy_tokens", group_list_dt, API_AUTH },
	{ "POST", "/groups/:id/deploy_tokens", group_create_dt, API_AUTH },
	{ "GET", "/groups/:id/deploy_tokens/:token_id", group_get_dt, API_AUTH },
	{ "DELETE", "/groups/:id/deploy_tokens/:token_id", group_delete_dt, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
