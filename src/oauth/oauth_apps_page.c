/* /oauth/applications: a signed-in user's own OAuth applications, and for
 * administrators the instance-wide ones too (those AWS CodeConnections
 * registers through the API). Create, renew the secret, delete; a secret is
 * shown once, on the page that follows its creation. */
#include "oauth_int.h"
#include "auth/token.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "model/oauth_app.h"
#include "model/user.h"

#include <sodium.h>
#include <string.h>

struct list_ctx {
	struct web_ctx *c;
	int count;
};

/* The caller may manage a: its owner, or an administrator for the
 * instance-wide ones. */
static int may_manage(const struct web_ctx *c, const struct oauth_app *a)
{
	return a->owner_id ? a->owner_id == c->who.user->id : c->who.user->is_admin;
}

static void action_form(struct web_ctx *c, const struct oauth_app *a, const char *action,
			const char *label)
{
	html_addf(&c->out, "<form method=\"post\" action=\"/oauth/applications\" class=\"inline\">");
	web_csrf_field(c);
	html_addf(&c->out, "<input type=\"hidden\" name=\"action\" value=\"%s\"><input "
		  "type=\"hidden\" name=\"id\" value=\"%D\"><button type=\"submit\">%s</button>"
		  "</form> ", action, a->id, label);
}

static int list_row(const struct oauth_app *a, void *ctx)
{
	struct list_ctx *l = ctx;
	struct web_ctx *c = l->c;

	if (!may_manage(c, a))
		return 0;
	l->count++;
	html_addf(&c->out, "<tr><td>%s%s</td><td><code>%s</code></td><td><pre>%s</pre></td>"
		  "<td>%s</td><td>", a->name, a->owner_id ? "" : " (instance-wide)", a->uid,
		  a->redirect_uri, a->scopes);
	action_form(c, a, "renew", "Renew secret");
	action_form(c, a, "delete", "Delete");
	html_addf(&c->out, "</td></tr>");
	return 0;
}

static void apps_page(struct web_ctx *c, int status, const char *error,
		      const struct oauth_app *shown, const char *secret)
{
	struct list_ctx l = { c, 0 };
	int ret;

	web_page_begin(c, "Applications");
	html_addf(&c->out, "<section><h1>Applications</h1>");
	if (error)
		web_flash(c, "error", error);
	if (shown && secret)
		html_addf(&c->out, "<div class=\"flash notice\" role=\"status\">Application "
			  "<strong>%s</strong>: client ID <code>%s</code>, secret <code "
			  "id=\"app-secret\">%s</code>. Copy the secret now: it is not shown "
			  "again.</div>", shown->name, shown->uid, secret);
	html_addf(&c->out, "<table><thead><tr><th>Name</th><th>Client ID</th><th>Redirect "
		  "URIs</th><th>Scopes</th><th></th></tr></thead><tbody>");
	ret = oauth_app_list(c->db, c->who.user->is_admin ? -1 : c->who.user->id, list_row, &l);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	if (!l.count)
		html_addf(&c->out, "<tr><td colspan=\"5\">No applications yet.</td></tr>");
	html_addf(&c->out, "</tbody></table><h2>Add an application</h2>"
		  "<form method=\"post\" action=\"/oauth/applications\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<input type=\"hidden\" name=\"action\" value=\"create\">"
		  "<label for=\"app_name\">Name</label><input id=\"app_name\" name=\"name\" "
		  "required maxlength=\"255\"><label for=\"app_redirect\">Redirect URIs (one per "
		  "line)</label><textarea id=\"app_redirect\" name=\"redirect_uri\" required>"
		  "</textarea><fieldset><legend>Scopes</legend>");
	for (int i = 0; scope_name(i); i++)
		html_addf(&c->out, "<label><input type=\"checkbox\" name=\"scopes[]\" value=\"%s\"> "
			  "%s</label><br>", scope_name(i), scope_name(i));
	html_addf(&c->out, "</fieldset><label><input type=\"checkbox\" name=\"confidential\" "
		  "value=\"1\" checked> Confidential (the client can keep a secret)</label>"
		  "<button type=\"submit\" class=\"primary\">Save application</button></form>"
		  "</section>");
	web_page_end(c, status);
}

static void apps_create(struct web_ctx *c)
{
	struct buf scopes = BUF_INIT_MAX(OAUTH_SCOPES_LEN), secret = BUF_INIT, err = BUF_INIT_MAX(256);
	const char *name = web_form_get(c, "name"), *redirect = web_form_get(c, "redirect_uri");
	struct oauth_app *a = NULL;
	int64_t id = 0;
	int ret;

	for (size_t i = 0; i < c->nform; i++)
		if (!strcmp(c->form[i].name, "scopes[]"))
			buf_addf(&scopes, "%s%s", scopes.len ? " " : "", c->form[i].value);
	ret = oauth_app_create(c->db, name ? name : "", redirect ? redirect : "",
			       buf_error(&scopes) ? "" : scopes.ptr,
			       web_form_get(c, "confidential") != NULL, c->who.user->id, &secret,
			       &id, &err);
	if (ret == 0)
		ret = oauth_app_find(c->db, id, &a);
	if (ret == ERR_INVALID) {
		apps_page(c, 422, err.len ? err.ptr : "Choose at least one scope.", NULL, NULL);
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		log_info("oauth", "application created app_id=%lld user_id=%lld", (long long)id,
			 (long long)c->who.user->id);
		apps_page(c, 201, NULL, a, secret.ptr);
	}
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&scopes);
	buf_release(&err);
	oauth_app_free(a);
}

static void apps_change(struct web_ctx *c, const char *action)
{
	const char *id_s = web_form_get(c, "id");
	struct oauth_app *a = NULL;
	struct buf secret = BUF_INIT;
	uint64_t id = 0;
	int ret = id_s && parse_u64(id_s, INT64_MAX, &id) == 0 ?
		  oauth_app_find(c->db, (int64_t)id, &a) : ERR_NOTFOUND;

	if (ret == 0 && !may_manage(c, a))
		ret = ERR_NOTFOUND;
	if (ret == 0 && !strcmp(action, "delete"))
		ret = oauth_app_delete(c->db, a->id);
	else if (ret == 0)
		ret = oauth_app_renew_secret(c->db, a->id, &secret);
	if (ret < 0)
		web_fail(c, ret);
	else if (!strcmp(action, "delete"))
		web_redirect(c, "/oauth/applications");
	else
		apps_page(c, 200, NULL, a, secret.ptr);
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	oauth_app_free(a);
}

void oauth_applications(struct web_ctx *c)
{
	const char *action;

	if (web_require_user(c))
		return;
	if (!c->is_post) {
		apps_page(c, 200, NULL, NULL, NULL);
		return;
	}
	action = web_form_get(c, "action");
	if (action && !strcmp(action, "create"))
		apps_create(c);
	else if (action && (!strcmp(action, "delete") || !strcmp(action, "renew")))
		apps_change(c, action);
	else
		web_error(c, 400, "Unknown action.");
}
