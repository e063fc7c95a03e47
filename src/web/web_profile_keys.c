/* User settings, continued: SSH keys (add, remove) and the OAuth
 * applications the user has authorised (revoke), plus the tab bar every
 * user-settings page shares. */
#include "web_ctx.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/oauth_authorized.h"
#include "model/ssh_key.h"
#include "model/user.h"

#include <string.h>

#define WEB_KEYS_SHOWN 100

void web_profile_nav(struct web_ctx *c, const char *cur)
{
	static const struct {
		const char *name, *label, *href;
	} tabs[] = {
		{ "tokens", "Access tokens", "/-/profile/personal_access_tokens" },
		{ "password", "Password", "/-/profile/password/edit" },
		{ "keys", "SSH keys", "/-/profile/keys" },
		{ "applications", "Applications", "/-/profile/applications" },
	};

	html_addf(&c->out, "<nav class=\"tabs\" aria-label=\"User settings\">");
	for (size_t i = 0; i < sizeof(tabs) / sizeof(*tabs); i++)
		html_addf(&c->out, "<a href=\"%r\"%r>%r</a>", tabs[i].href,
			  !strcmp(cur, tabs[i].name) ? " aria-current=\"page\"" : "", tabs[i].label);
	html_addf(&c->out, "</nav>");
}

/* The number after prefix in sub ("ID/delete"), else 0. */
static int64_t id_before(const char *sub, const char *suffix)
{
	size_t n = strlen(sub), m = strlen(suffix);
	char id[24];
	uint64_t v = 0;

	if (n <= m || n - m >= sizeof(id) || strcmp(sub + n - m, suffix))
		return 0;
	memcpy(id, sub, n - m);
	id[n - m] = '\0';
	if (parse_u64(id, INT64_MAX, &v) < 0)
		return 0;
	return (int64_t)v;
}

/* ---- SSH keys ---- */

static int key_row(const struct ssh_key *k, void *ctx)
{
	struct web_ctx *c = ctx;
	struct buf added = BUF_INIT, used = BUF_INIT;

	web_time(&added, k->created_at);
	web_time(&used, k->last_used_at);
	html_addf(&c->out, "<tr><td><strong>%s</strong><br><span class=\"mono\">%s</span></td>"
		  "<td class=\"hide-sm\">%s</td><td class=\"hide-sm\">%s</td><td><form "
		  "method=\"post\" action=\"/-/profile/keys/%D/delete\">", k->title,
		  k->fingerprint_sha256, added.ptr, used.ptr, k->id);
	web_csrf_field(c);
	html_addf(&c->out, "<button type=\"submit\" class=\"danger\" aria-label=\"Remove %s\">"
		  "Remove</button></form></td></tr>", k->title);
	buf_release(&added);
	buf_release(&used);
	return 0;
}

static void keys_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	int ret;

	web_page_begin(c, "SSH keys");
	html_addf(&c->out, "<h1>User settings</h1>");
	web_profile_nav(c, "keys");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<h2>Add an SSH key</h2><form method=\"post\" action=\"/-/profile/keys\" "
		  "class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"k-key\">Key</label><textarea id=\"k-key\" name=\"key[key]\" "
		  "required maxlength=\"%d\" placeholder=\"ssh-ed25519 AAAA… you@example.com\">%s"
		  "</textarea><label for=\"k-title\">Title</label><input id=\"k-title\" "
		  "name=\"key[title]\" required maxlength=\"255\" value=\"%s\"><button type=\"submit\" "
		  "class=\"primary\">Add key</button></form><h2>Your SSH keys</h2><table id=\"keys\">"
		  "<thead><tr><th scope=\"col\">Key</th><th scope=\"col\" class=\"hide-sm\">Added</th>"
		  "<th scope=\"col\" class=\"hide-sm\">Last used</th><th scope=\"col\">Action</th></tr>"
		  "</thead><tbody>", SSH_KEY_TEXT_MAX, status == 422 ? web_form_get(c, "key[key]") : "",
		  status == 422 ? web_form_get(c, "key[title]") : "");
	ret = ssh_key_list(c->db, "user", c->who.user->id, 0, WEB_KEYS_SHOWN, key_row, c);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	web_page_end(c, status);
}

static void key_add(struct web_ctx *c)
{
	struct ssh_key_req r = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	int64_t id = 0;
	int ret;

	r.kind = "user";
	r.user_id = c->who.user->id;
	r.title = web_form_get(c, "key[title]");
	r.key = web_form_get(c, "key[key]");
	if (!r.title || !*r.title || !r.key || !*r.key) {
		keys_page(c, 422, "error", "Enter a key and a title.");
		goto out;
	}
	ret = ssh_key_create(c->db, &r, &id, &err);
	if (ret == ERR_EXISTS)
		keys_page(c, 422, "error", "That key is already in use.");
	else if (ret == ERR_INVALID || ret == ERR_TOOBIG)
		keys_page(c, 422, "error", err.len ? err.ptr : "The key is too long.");
	else if (ret < 0)
		web_fail(c, ret);
	else
		keys_page(c, 201, "notice", "The SSH key was added.");
out:
	buf_release(&err);
}

static void key_delete(struct web_ctx *c, const char *sub)
{
	int64_t id = id_before(sub, "/delete");
	struct ssh_key *k = NULL;
	int ret = id ? ssh_key_find(c->db, id, &k) : ERR_NOTFOUND;

	/* Someone else's key, or a deploy key, is as absent as an unknown one. */
	if (ret == 0 && (strcmp(k->kind, "user") || k->user_id != c->who.user->id))
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = ssh_key_delete(c->db, id);
	if (ret < 0)
		web_fail(c, ret);
	else
		keys_page(c, 200, "notice", "The SSH key was removed.");
	ssh_key_free(k);
}

void web_profile_keys(struct web_ctx *c)
{
	const char *sub = c->path + strlen("/-/profile/keys");

	if (web_require_user(c))
		return;
	if (!*sub && !c->is_post)
		keys_page(c, 200, NULL, NULL);
	else if (!*sub)
		key_add(c);
	else if (c->is_post && *sub == '/')
		key_delete(c, sub + 1);
	else
		web_error(c, 404, NULL);
}

/* ---- authorised OAuth applications ---- */

struct app_rows {
	struct web_ctx *c;
	int shown;
};

static int app_row(const struct oauth_authorized *a, void *ctx)
{
	struct app_rows *ar = ctx;
	struct web_ctx *c = ar->c;
	struct buf when = BUF_INIT;

	ar->shown++;
	web_time(&when, a->authorized_at);
	html_addf(&c->out, "<tr><td><strong>%s</strong></td><td>%s</td><td class=\"hide-sm\">%s"
		  "</td><td><form method=\"post\" action=\"/-/profile/applications/%D/revoke\">",
		  a->app_name, a->scopes, when.ptr, a->app_id);
	web_csrf_field(c);
	html_addf(&c->out, "<button type=\"submit\" class=\"danger\" aria-label=\"Revoke %s\">"
		  "Revoke</button></form></td></tr>", a->app_name);
	buf_release(&when);
	return 0;
}

static void apps_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	struct app_rows ar = { c, 0 };
	int ret;

	web_page_begin(c, "Applications");
	html_addf(&c->out, "<h1>User settings</h1>");
	web_profile_nav(c, "applications");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<p>Register applications of your own under <a href=\"/oauth/"
		  "applications\">OAuth applications</a>.</p><h2>Authorised applications</h2>"
		  "<table id=\"authorized\"><thead><tr><th scope=\"col\">Application</th><th "
		  "scope=\"col\">Scopes</th><th scope=\"col\" class=\"hide-sm\">Authorised</th>"
		  "<th scope=\"col\">Action</th></tr></thead><tbody>");
	ret = oauth_authorized_list(c->db, c->who.user->id, app_row, &ar);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	if (!ar.shown)
		html_addf(&c->out, "<p class=\"muted\">You have not authorised any application.</p>");
	web_page_end(c, status);
}

void web_profile_applications(struct web_ctx *c)
{
	const char *sub = c->path + strlen("/-/profile/applications");
	int64_t id;
	int ret;

	if (web_require_user(c))
		return;
	if (!*sub && !c->is_post) {
		apps_page(c, 200, NULL, NULL);
		return;
	}
	id = c->is_post && *sub == '/' ? id_before(sub + 1, "/revoke") : 0;
	ret = id ? oauth_authorized_revoke(c->db, c->who.user->id, id) : ERR_NOTFOUND;
	if (ret < 0)
		web_fail(c, ret);
	else
		apps_page(c, 200, "notice", "The application's access was revoked.");
}
