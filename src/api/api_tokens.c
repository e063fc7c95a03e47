/* Personal access tokens: list, self, revoke, and creation by admins. The
 * secret is shown once, in the creation answer. */
#include "api_ctx.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "app.h"
#include "jobs/notify.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "model/pat.h"
#include "model/user.h"

#include <sodium.h>
#include <string.h>

json_t *api_pat_json(const struct pat *t)
{
	json_t *scopes = json_array();
	char day[16];

	for (int i = 0; scope_name(i); i++)
		if (t->scopes & (1u << i))
			json_array_append_new(scopes, json_string(scope_name(i)));
	if (t->expires_at)
		time_format_date(day, sizeof(day), t->expires_at);
	return json_pack("{s:I, s:s, s:b, s:o, s:o, s:I, s:o, s:b, s:o, s:b}",
			 "id", (json_int_t)t->id, "name", t->name, "revoked", t->revoked,
			 "created_at", api_time(t->created_at), "scopes", scopes,
			 "user_id", (json_int_t)t->user_id, "last_used_at", api_time(t->last_used_at),
			 "active", pat_is_active(t, time_now_ms()),
			 "expires_at", t->expires_at ? json_string(day) : json_null(),
			 "impersonation", t->impersonation);
}

static int pat_page_add(const struct pat *t, void *ctx)
{
	json_array_append_new(ctx, api_pat_json(t));
	return 0;
}

static void tokens_list(struct api_ctx *c)
{
	static const char *const states[] = { "active", "inactive", NULL };
	struct api_page pg;
	const char *state = NULL;
	int64_t user_id = api_user_id(c), total = 0;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_enum(c, "state", states, &state) < 0)
		return;
	/* Administrators see everyone's tokens unless they pick a user. */
	if (api_is_admin(c)) {
		user_id = 0;
		if (api_param_int(c, "user_id", 1, INT64_MAX, &user_id) < 0)
			return;
	}
	ret = pat_count(c->db, user_id, state, &total);
	items = json_array();
	if (ret == 0)
		ret = pat_list(c->db, user_id, state, api_page_offset(&pg), pg.per_page,
			       pat_page_add, items);
	if (ret < 0) {
		json_decref(items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_page_respond(c, &pg, total, items);
}

/* A token the caller may see: their own, or any for administrators. */
static int token_find(struct api_ctx *c, const char *id, struct pat **out)
{
	struct pat *t = NULL;
	uint64_t n = 0;
	int ret;

	if (!strcmp(id, "self"))
		n = (uint64_t)c->who.token_id;
	else if (parse_u64(id, INT64_MAX, &n) < 0)
		n = 0;
	ret = n ? pat_find(c->db, (int64_t)n, &t) : ERR_NOTFOUND;
	if (ret == 0 && t->user_id != api_user_id(c) && !api_is_admin(c))
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		pat_free(t);
		api_fail(c, ret, "Personal Access Token", NULL);
		return ret;
	}
	*out = t;
	return 0;
}

static void tokens_get(struct api_ctx *c)
{
	struct pat *t = NULL;

	if (token_find(c, api_arg(c, 0), &t) < 0)
		return;
	api_json(c, 200, api_pat_json(t));
	pat_free(t);
}

static void tokens_self(struct api_ctx *c)
{
	struct pat *t = NULL;

	if (token_find(c, "self", &t) < 0)
		return;
	api_json(c, 200, api_pat_json(t));
	pat_free(t);
}

static void tokens_revoke_one(struct api_ctx *c, const char *id)
{
	struct pat *t = NULL;
	int ret;

	if (token_find(c, id, &t) < 0)
		return;
	ret = t->revoked ? 0 : pat_revoke(c->db, t->id);
	if (ret < 0)
		api_fail(c, ret, "Personal Access Token", NULL);
	else
		api_no_content(c);
	pat_free(t);
}

static void tokens_revoke(struct api_ctx *c)
{
	tokens_revoke_one(c, api_arg(c, 0));
}

static void tokens_revoke_self(struct api_ctx *c)
{
	tokens_revoke_one(c, "self");
}

/* scopes[]=api&scopes[]=read_user, or a JSON array, or "api,read_user". */
int api_scopes_param(struct api_ctx *c, unsigned *out)
{
	json_t *v = json_object_get(c->params, "scopes");
	struct buf list = BUF_INIT_MAX(1024);
	size_t i;
	json_t *e;
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
	if (ret == 0 && (buf_error(&list) || scopes_parse(list.ptr, out, NULL) < 0))
		ret = ERR_INVALID;
	if (ret < 0)
		api_error(c, 400, "scopes does not have a valid value");
	buf_release(&list);
	return ret;
}

/* A personal access token, or an impersonation token (made in the same
 * transaction, and no mail about it: the user did not ask for it). */
void api_user_token_create(struct api_ctx *c, int impersonation)
{
	struct buf secret = BUF_INIT, err = BUF_INIT_MAX(512);
	struct user *u = NULL;
	struct pat *t = NULL;
	const char *name = NULL, *expires = NULL;
	int64_t expires_at = 0, id = 0;
	unsigned scopes = 0;
	json_t *o;
	int ret;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	if (api_param_required(c, "name", &name) < 0 || api_scopes_param(c, &scopes) < 0 ||
	    api_param_str(c, "expires_at", &expires) < 0)
		goto out;
	if (expires && time_parse_date(expires, &expires_at) < 0) {
		api_error(c, 400, "expires_at is invalid");
		goto out;
	}
	ret = impersonation ? db_tx_begin(c->db) : 0;
	if (ret == 0)
		ret = pat_create(c->db, u->id, name, scopes, expires_at, &secret, &id, &err);
	if (impersonation) {
		if (ret == 0)
			ret = pat_set_impersonation(c->db, id);
		ret = db_tx_end(c->db, ret);
	} else if (ret == 0) {
		(void)notify_pat_created(c->db, &c->app->cfg, id);
	}
	if (ret == 0)
		ret = pat_find(c->db, id, &t);
	if (ret < 0) {
		api_fail(c, ret, "User", &err);
		goto out;
	}
	o = api_pat_json(t);
	json_object_set_new(o, "token", json_string(secret.ptr));
	api_json(c, 201, o);
out:
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&err);
	pat_free(t);
	user_free(u);
}

static void tokens_create(struct api_ctx *c)
{
	api_user_token_create(c, 0);
}

const struct api_endpoint api_token_endpoints[] = {
	{ "GET", "/personal_access_tokens", tokens_list, API_AUTH },
	{ "GET", "/personal_access_tokens/self", tokens_self, API_AUTH },
	{ "DELETE", "/personal_access_tokens/self", tokens_revoke_self, API_AUTH },
	{ "GET", "/personal_access_tokens/:id", tokens_get, API_AUTH },
	{ "DELETE", "/personal_access_tokens/:id", tokens_revoke, API_AUTH },
	{ "POST", "/users/:id/personal_access_tokens", tokens_create, API_ADMIN },
	{ NULL, NULL, NULL, 0 },
};
