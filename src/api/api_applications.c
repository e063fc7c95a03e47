/* /applications: instance-wide OAuth2 applications, for administrators, as
 * GitLab's Applications API (AWS CodeConnections registers its client here
 * with an administrator's token). The secret is shown in the creation and
 * renew-secret answers only. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/oauth_app.h"

#include <sodium.h>
#include <string.h>

static json_t *app_json(const struct oauth_app *a, const char *secret)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)a->id,
			      "application_id", a->uid, "application_name", a->name,
			      "callback_url", a->redirect_uri, "confidential", a->confidential);

	if (secret)
		json_object_set_new(o, "secret", json_string(secret));
	return o;
}

/* scopes as GitLab takes it: "api read_user", or scopes[]=api&scopes[]=… */
static int scopes_param(struct api_ctx *c, struct buf *out)
{
	json_t *v = json_object_get(c->params, "scopes");
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		buf_addstr(out, json_string_value(v));
		return 0;
	}
	if (!json_is_array(v) || !json_array_size(v)) {
		api_error(c, 400, v && !json_is_null(v) ? "scopes is invalid" : "scopes is missing");
		return ERR_INVALID;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			api_error(c, 400, "scopes is invalid");
			return ERR_INVALID;
		}
		buf_addf(out, "%s%s", i ? " " : "", json_string_value(e));
	}
	return 0;
}

static void applications_create(struct api_ctx *c)
{
	struct buf scopes = BUF_INIT_MAX(4096), secret = BUF_INIT, err = BUF_INIT_MAX(512);
	const char *name = NULL, *redirect = NULL;
	struct oauth_app *a = NULL;
	int confidential = 1, ret;
	int64_t id = 0;

	if (api_param_required(c, "name", &name) < 0 ||
	    api_param_required(c, "redirect_uri", &redirect) < 0 ||
	    scopes_param(c, &scopes) < 0 || api_param_bool(c, "confidential", &confidential) < 0)
		goto out;
	if (buf_error(&scopes)) {
		api_error(c, 400, "scopes is invalid");
		goto out;
	}
	ret = oauth_app_create(c->db, name, redirect, scopes.ptr, confidential, 0, &secret, &id,
			       &err);
	if (ret == 0)
		ret = oauth_app_find(c->db, id, &a);
	if (ret < 0) {
		api_fail(c, ret, "Application", &err);
		goto out;
	}
	api_json(c, 201, app_json(a, secret.ptr));
out:
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&scopes);
	buf_release(&err);
	oauth_app_free(a);
}

static int app_list_add(const struct oauth_app *a, void *ctx)
{
	json_array_append_new(ctx, app_json(a, NULL));
	return 0;
}

static void applications_list(struct api_ctx *c)
{
	json_t *items = json_array();
	int ret = oauth_app_list(c->db, 0, app_list_add, items);

	if (ret < 0) {
		json_decref(items);
		api_fail(c, ret, NULL, NULL);
		return;
	}
	api_json(c, 200, items);
}

/* An instance-wide application by its numeric id; users' own applications
 * are managed on their settings page, not here. */
static int app_find(struct api_ctx *c, struct oauth_app **out)
{
	struct oauth_app *a = NULL;
	uint64_t id = 0;
	int ret = parse_u64(api_arg(c, 0), INT64_MAX, &id) == 0 ?
		  oauth_app_find(c->db, (int64_t)id, &a) : ERR_NOTFOUND;

	if (ret == 0 && a->owner_id)
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		oauth_app_free(a);
		api_fail(c, ret, "Application", NULL);
		return ret;
	}
	*out = a;
	return 0;
}

static void applications_delete(struct api_ctx *c)
{
	struct oauth_app *a = NULL;
	int ret;

	if (app_find(c, &a) < 0)
		return;
	ret = oauth_app_delete(c->db, a->id);
	if (ret < 0)
		api_fail(c, ret, "Application", NULL);
	else
		api_no_content(c);
	oauth_app_free(a);
}

static void applications_renew(struct api_ctx *c)
{
	struct oauth_app *a = NULL;
	struct buf secret = BUF_INIT;
	int ret;

	if (app_find(c, &a) < 0)
		return;
	ret = oauth_app_renew_secret(c->db, a->id, &secret);
	if (ret < 0)
		api_fail(c, ret, "Application", NULL);
	else
		api_json(c, 201, app_json(a, secret.ptr));
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	oauth_app_free(a);
}

const struct api_endpoint api_application_endpoints[] = {
	{ "POST", "/applications", applications_create, API_ADMIN },
	{ "GET", "/applications", applications_list, API_ADMIN },
	{ "DELETE", "/applications/:id", applications_delete, API_ADMIN },
	{ "POST", "/applications/:id/renew-secret", applications_renew, API_ADMIN },
	{ NULL, NULL, NULL, 0 },
};
