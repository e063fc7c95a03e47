/* Project access tokens: tokens of a bot user that is a member of the
 * project with the token's role. Maintainers manage them; the secret is
 * shown once, in the creation answer. */
#include "api_ctx.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "model/member.h"
#include "model/pat.h"
#include "model/project.h"
#include "model/project_bot.h"

#include <sodium.h>
#include <string.h>

static json_t *token_json(struct api_ctx *c, const struct pat *t, const struct project *p)
{
	json_t *scopes = json_array();
	char day[16];
	int level = 0;

	if (member_project_level(c->db, p->id, p->namespace_id, t->user_id, &level) < 0)
		level = 0;
	for (int i = 0; scope_name(i); i++)
		if (t->scopes & (1u << i))
			json_array_append_new(scopes, json_string(scope_name(i)));
	if (t->expires_at)
		time_format_date(day, sizeof(day), t->expires_at);
	return json_pack("{s:I, s:s, s:b, s:o, s:o, s:I, s:o, s:b, s:o, s:i}",
			 "id", (json_int_t)t->id, "name", t->name, "revoked", t->revoked,
			 "created_at", api_time(t->created_at), "scopes", scopes,
			 "user_id", (json_int_t)t->user_id, "last_used_at", api_time(t->last_used_at),
			 "active", pat_is_active(t, time_now_ms()),
			 "expires_at", t->expires_at ? json_string(day) : json_null(),
			 "access_level", level);
}

static int at_project(struct api_ctx *c, struct project **out, int *level_out)
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
	if (level_out)
		*level_out = level;
	return 0;
}

static int first_token(const struct pat *t, void *ctx)
{
	*(int64_t *)ctx = t->id;
	return 0;
}

static void at_list(struct api_ctx *c)
{
	int64_t ids[LIMIT_PER_PAGE_MAX];
	struct project *p = NULL;
	struct api_page pg;
	int64_t total = 0;
	json_t *items;
	int n = 0, ret;

	if (at_project(c, &p, NULL) < 0)
		return;
	if (api_page_parse(c, &pg) < 0)
		goto out;
	ret = project_bot_count(c->db, p->id, &total);
	if (ret == 0)
		ret = project_bot_list(c->db, p->id, api_page_offset(&pg), pg.per_page, ids, &n);
	items = json_array();
	for (int i = 0; ret == 0 && i < n; i++) {
		struct pat *t = NULL;
		int64_t tid = 0;

		/* Each bot holds the one token it was made for. */
		ret = pat_list(c->db, ids[i], "active", 0, 1, first_token, &tid);
		if (ret == 0 && tid)
			ret = pat_find(c->db, tid, &t);
		if (ret == 0 && t)
			json_array_append_new(items, token_json(c, t, p));
		pat_free(t);
	}
	if (ret < 0) {
		json_decref(items);
		api_fail(c, ret, NULL, NULL);
	} else {
		api_page_respond(c, &pg, total, items);
	}
out:
	project_free(p);
}

/* A token of one of the project's bots, by the id in argument 1. */
static int at_find(struct api_ctx *c, const struct project *p, struct pat **out)
{
	struct pat *t = NULL;
	uint64_t id = 0;
	int ret = parse_u64(api_arg(c, 1), INT64_MAX, &id) == 0 && id ?
		pat_find(c->db, (int64_t)id, &t) : ERR_NOTFOUND;

	if (ret == 0)
		ret = project_bot_of(c->db, p->id, t->user_id);
	if (ret == 0 && t->revoked)
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		pat_free(t);
		api_fail(c, ret, "Project Access Token", NULL);
		return ret;
	}
	*out = t;
	return 0;
}

static void at_get(struct api_ctx *c)
{
	struct project *p = NULL;
	struct pat *t = NULL;

	if (at_project(c, &p, NULL) < 0)
		return;
	if (at_find(c, p, &t) == 0)
		api_json(c, 200, token_json(c, t, p));
	pat_free(t);
	project_free(p);
}

static void at_revoke(struct api_ctx *c)
{
	struct project *p = NULL;
	struct pat *t = NULL;
	int ret;

	if (at_project(c, &p, NULL) < 0)
		return;
	if (at_find(c, p, &t) == 0) {
		ret = project_bot_retire(c->db, p->id, t->user_id, t->id);
		if (ret < 0)
			api_fail(c, ret, "Project Access Token", NULL);
		else
			api_no_content(c);
	}
	pat_free(t);
	project_free(p);
}

/* scopes[]=…, a JSON array or "a,b"; sudo and read_user are not for bots. */
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
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			ret = ERR_INVALID;
		else
			buf_addf(&list, "%s%s", i ? "," : "", json_string_value(e));
	}
	if (ret == 0 && (buf_error(&list) || scopes_parse(list.ptr, out, NULL) < 0 ||
			 *out & (SCOPE_SUDO | SCOPE_READ_USER)))
		ret = ERR_INVALID;
	if (ret < 0)
		api_error(c, 400, "scopes does not have a valid value");
	buf_release(&list);
	return ret;
}

static void at_create(struct api_ctx *c)
{
	struct buf secret = BUF_INIT, err = BUF_INIT_MAX(512);
	struct project_bot_req r = { 0 };
	struct project *p = NULL;
	struct pat *t = NULL;
	const char *expires = NULL;
	int64_t level = ACCESS_MAINTAINER, id = 0;
	int caller = 0, ret;
	json_t *o;

	if (at_project(c, &p, &caller) < 0)
		return;
	if (api_param_required(c, "name", &r.name) < 0 || scopes_param(c, &r.scopes) < 0 ||
	    api_param_int(c, "access_level", INT64_MIN, INT64_MAX, &level) < 0 ||
	    api_param_str(c, "expires_at", &expires) < 0)
		goto out;
	if (level != ACCESS_GUEST && level != ACCESS_REPORTER && level != ACCESS_DEVELOPER &&
	    level != ACCESS_MAINTAINER && level != ACCESS_OWNER) {
		api_invalid_value(c, "access_level");
		goto out;
	}
	if (level > caller && !api_is_admin(c)) {
		api_message(c, 400, "Access level of the token can't be greater the access level"
				    " of the user who created the token");
		goto out;
	}
	if (expires && *expires && time_parse_date(expires, &r.expires_at) < 0) {
		api_error(c, 400, "expires_at is invalid");
		goto out;
	}
	r.project_id = p->id;
	r.access_level = (int)level;
	ret = project_bot_create(c->db, &r, &secret, &id, &err);
	if (ret == 0)
		ret = pat_find(c->db, id, &t);
	if (ret < 0) {
		api_fail(c, ret, "Project Access Token", &err);
		goto out;
	}
	o = token_json(c, t, p);
	json_object_set_new(o, "token", json_string(secret.ptr));
	api_json(c, 201, o);
out:
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&err);
	pat_free(t);
	project_free(p);
}

const struct api_endpoint api_access_token_endpoints[] = {
	{ "GET", "/projects/:id/access_tokens", at_list, API_AUTH },
	{ "POST", "/projects/:id/access_tokens", at_create, API_AUTH },
	{ "GET", "/projects/:id/access_tokens/:token_id", at_get, API_AUTH },
	{ "DELETE", "/projects/:id/access_tokens/:token_id", at_revoke, API_AUTH },
	{ NULL, NULL, NULL, 0 },
};
