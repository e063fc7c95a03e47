/* User settings: password change (the current password required) and
 * personal access tokens (created with scopes and expiry, shown once,
 * listed, revoked). */
#include "web_ctx.h"
#include "auth/password.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "core/err.h"
#include "app.h"
#include "jobs/notify.h"
#include "core/limits.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "model/pat.h"
#include "model/session.h"
#include "model/user.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define WEB_TOKENS_SHOWN 100

static void profile_nav(struct web_ctx *c, const char *cur)
{
	web_profile_nav(c, cur);
}

static void password_form(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	web_page_begin(c, "Password");
	html_addf(&c->out, "<h1>User settings</h1>");
	profile_nav(c, "password");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<form method=\"post\" action=\"/-/profile/password\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"pw-cur\">Current password</label><input id=\"pw-cur\" "
		  "type=\"password\" name=\"user[current_password]\" autocomplete=\"current-password\" "
		  "required><label for=\"pw-new\">New password</label><input id=\"pw-new\" "
		  "type=\"password\" name=\"user[password]\" autocomplete=\"new-password\" "
		  "minlength=\"%d\" required><label for=\"pw-conf\">Password confirmation</label>"
		  "<input id=\"pw-conf\" type=\"password\" name=\"user[password_confirmation]\" "
		  "autocomplete=\"new-password\" required><button type=\"submit\" class=\"primary\">"
		  "Save password</button></form>", LIMIT_PASSWORD_MIN);
	web_page_end(c, status);
}

static void password_change(struct web_ctx *c)
{
	const char *cur = web_form_get(c, "user[current_password]");
	const char *pw = web_form_get(c, "user[password]");
	const char *conf = web_form_get(c, "user[password_confirmation]");
	const struct user *u = c->who.user;
	const char *addr = http_client_address(c->req);
	struct buf err = BUF_INIT_MAX(512);
	int ret;

	if (!cur || !pw || !conf || strlen(cur) > LIMIT_PASSWORD_MAX) {
		password_form(c, 422, "error", "Fill in every field.");
		goto out;
	}
	/* The current password is a credential check like sign-in: throttled. */
	ret = throttle_check(c->db, addr, u->username);
	if (ret == ERR_BUSY) {
		web_error(c, 429, NULL);
		goto out;
	}
	if (ret == 0 && password_verify(u->password_hash, cur) < 0) {
		(void)throttle_fail(c->db, addr, u->username);
		password_form(c, 422, "error", "You must provide a valid current password.");
		goto out;
	}
	if (ret == 0 && strcmp(pw, conf)) {
		password_form(c, 422, "error", "Password confirmation doesn't match the password.");
		goto out;
	}
	if (ret == 0)
		ret = user_set_password(c->db, u->id, pw, &err);
	if (ret == ERR_INVALID) {
		password_form(c, 422, "error", err.ptr);
		goto out;
	}
	/* Other browsers signed in with the old password are signed out. */
	if (ret == 0)
		ret = session_delete_user(c->db, u->id, c->sess->id);
	if (ret < 0)
		web_fail(c, ret);
	else
		password_form(c, 200, "notice", "Password was successfully updated.");
out:
	buf_release(&err);
}

void web_profile_password(struct web_ctx *c)
{
	const char *sub = c->path + strlen("/-/profile/password");

	if (web_require_user(c))
		return;
	if (!c->is_post && !strcmp(sub, "/edit"))
		password_form(c, 200, NULL, NULL);
	else if (c->is_post && !*sub)
		password_change(c);
	else
		web_error(c, 404, NULL);
}

static int token_row(const struct pat *t, void *ctx)
{
	struct web_ctx *c = ctx;
	struct buf scopes = BUF_INIT, created = BUF_INIT, expires = BUF_INIT, used = BUF_INIT;

	scopes_format(&scopes, t->scopes);
	web_time(&created, t->created_at);
	if (t->expires_at)
		web_time(&expires, t->expires_at);
	else
		buf_addstr(&expires, "never");
	web_time(&used, t->last_used_at);
	html_addf(&c->out, "<tr><td>%s</td><td class=\"mono\">%s</td><td class=\"hide-sm\">%s</td>"
		  "<td>%s</td><td class=\"hide-sm\">%s</td><td><form method=\"post\" "
		  "action=\"/-/profile/personal_access_tokens/%D/revoke\">", t->name, scopes.ptr,
		  created.ptr, expires.ptr, used.ptr, t->id);
	web_csrf_field(c);
	html_addf(&c->out, "<button type=\"submit\" class=\"danger\" aria-label=\"Revoke %s\">"
		  "Revoke</button></form></td></tr>", t->name);
	buf_release(&scopes);
	buf_release(&created);
	buf_release(&expires);
	buf_release(&used);
	return 0;
}

static void tokens_page(struct web_ctx *c, int status, const char *error, const char *secret)
{
	int ret;

	web_page_begin(c, "Access tokens");
	html_addf(&c->out, "<h1>User settings</h1>");
	profile_nav(c, "tokens");
	if (secret)
		html_addf(&c->out, "<div class=\"flash notice\" role=\"status\"><p>Your new personal "
			  "access token has been created. Copy it now: it will not be shown again."
			  "</p><input id=\"new-token\" readonly value=\"%s\" size=\"50\"> <button "
			  "type=\"button\" data-copy=\"new-token\">Copy</button></div>", secret);
	if (error)
		web_flash(c, "error", error);
	html_addf(&c->out, "<h2>Add a personal access token</h2><form method=\"post\" "
		  "action=\"/-/profile/personal_access_tokens\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"t-name\">Token name</label><input id=\"t-name\" "
		  "name=\"personal_access_token[name]\" required maxlength=\"%d\">"
		  "<label for=\"t-exp\">Expiration date (empty: one year)</label><input id=\"t-exp\" "
		  "type=\"date\" name=\"personal_access_token[expires_at]\"><fieldset><legend>Scopes"
		  "</legend>", LIMIT_TOKEN_NAME);
	for (int i = 0; scope_name(i); i++)
		html_addf(&c->out, "<label><input type=\"checkbox\" name=\"personal_access_token"
			  "[scopes][]\" value=\"%s\"> %s</label><br>", scope_name(i), scope_name(i));
	html_addf(&c->out, "</fieldset><button type=\"submit\" class=\"primary\">Create personal "
		  "access token</button></form><h2>Active personal access tokens</h2><table>"
		  "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Scopes</th>"
		  "<th scope=\"col\" class=\"hide-sm\">Created</th><th scope=\"col\">Expires</th>"
		  "<th scope=\"col\" class=\"hide-sm\">Last used</th><th scope=\"col\">Action</th>"
		  "</tr></thead><tbody>");
	ret = pat_list(c->db, c->who.user->id, "active", 0, WEB_TOKENS_SHOWN, token_row, c);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	web_page_end(c, status);
}

static void token_create(struct web_ctx *c)
{
	const char *name = web_form_get(c, "personal_access_token[name]");
	const char *exp = web_form_get(c, "personal_access_token[expires_at]");
	struct buf secret = BUF_INIT, err = BUF_INIT_MAX(512);
	unsigned scopes = 0;
	int64_t expires = 0, id = 0;
	int ret = 0;

	for (size_t i = 0; i < c->nform && ret == 0; i++) {
		unsigned one = 0;

		if (strcmp(c->form[i].name, "personal_access_token[scopes][]"))
			continue;
		ret = scopes_parse(c->form[i].value, &one, NULL);
		scopes |= one;
	}
	if (ret < 0 || !scopes) {
		tokens_page(c, 422, "Select at least one valid scope.", NULL);
		goto out;
	}
	if (exp && *exp && time_parse_date(exp, &expires) < 0) {
		tokens_page(c, 422, "The expiration date is not a valid date (YYYY-MM-DD).", NULL);
		goto out;
	}
	ret = pat_create(c->db, c->who.user->id, name ? name : "", scopes, expires, &secret, &id,
			 &err);
	if (ret == 0)
		(void)notify_pat_created(c->db, &c->app->cfg, id);
	if (ret == ERR_INVALID)
		tokens_page(c, 422, err.ptr, NULL);
	else if (ret < 0)
		web_fail(c, ret);
	else
		tokens_page(c, 200, NULL, secret.ptr);
out:
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&err);
}

static void token_revoke(struct web_ctx *c, const char *idstr)
{
	struct pat *t = NULL;
	uint64_t id = 0;
	int ret = parse_u64(idstr, INT64_MAX, &id) < 0 ? ERR_NOTFOUND : 0;

	if (ret == 0)
		ret = pat_find(c->db, (int64_t)id, &t);
	if (ret == 0 && t->user_id != c->who.user->id)
		ret = ERR_NOTFOUND;	/* somebody else's token: as if absent */
	if (ret == 0)
		ret = pat_revoke(c->db, t->id);
	pat_free(t);
	if (ret < 0)
		web_fail(c, ret);
	else
		web_redirect(c, "/-/profile/personal_access_tokens");
}

void web_profile_tokens(struct web_ctx *c)
{
	const char *sub = c->path + strlen("/-/profile/personal_access_tokens");

	if (web_require_user(c))
		return;
	if (!*sub && !c->is_post) {
		tokens_page(c, 200, NULL, NULL);
	} else if (!*sub) {
		token_create(c);
	} else if (c->is_post && strlen(sub) > 8 && !strcmp(sub + strlen(sub) - 7, "/revoke")) {
		char id[32] = "";
		size_t n = strlen(sub) - 8;

		if (n < sizeof(id)) {
			memcpy(id, sub + 1, n);
			id[n] = '\0';
		}
		token_revoke(c, id);
	} else {
		web_error(c, 404, NULL);
	}
}
