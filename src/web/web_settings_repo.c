/* Project settings, continued: protected branches and webhooks. Webhook
 * rows only; delivering events is the job queue's work. */
#include "web_ctx.h"
#include "app.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "jobs/hook_test.h"
#include "jobs/outbound.h"
#include "model/member.h"
#include "model/project.h"
#include "model/protected_branch.h"
#include "model/webhook.h"

#include <stdlib.h>
#include <string.h>

#define WEB_HOOKS_SHOWN 100
#define WEB_HOOK_URL_MAX 2048
#define WEB_HOOK_TOKEN_MAX 255
#define WEB_DELIVERIES_SHOWN 20

static const struct {
	int level;
	const char *label;
} push_levels[] = {
	{ ACCESS_NONE, "No one" },
	{ ACCESS_DEVELOPER, "Developers + Maintainers" },
	{ ACCESS_MAINTAINER, "Maintainers" },
};

static const char *push_level_name(int level)
{
	for (size_t i = 0; i < sizeof(push_levels) / sizeof(*push_levels); i++)
		if (push_levels[i].level == level)
			return push_levels[i].label;
	return "?";
}

static void push_level_select(struct web_ctx *c, const char *id, const char *name, int current)
{
	html_addf(&c->out, "<select id=\"%r\" name=\"%r\">", id, name);
	for (size_t i = 0; i < sizeof(push_levels) / sizeof(*push_levels); i++)
		html_addf(&c->out, "<option value=\"%d\"%r>%r</option>", push_levels[i].level,
			  push_levels[i].level == current ? " selected" : "", push_levels[i].label);
	html_addf(&c->out, "</select>");
}

static void protected_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	struct protected_branch_list l = { 0 };
	int ret = protected_branch_list(c->db, c->proj->id, &l);

	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	web_project_begin(c, "Protected branches", "settings");
	web_settings_nav(c, "repository");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<h2>Protect a branch</h2><form method=\"post\" action=\"%u/-/settings/"
		  "repository/protected_branches\" class=\"stack\">", c->base.ptr);
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"pb-name\">Branch (wildcards * allowed)</label><input "
		  "id=\"pb-name\" name=\"protected_branch[name]\" required>"
		  "<label for=\"pb-merge\">Allowed to merge</label>");
	push_level_select(c, "pb-merge", "protected_branch[merge_access_level]", ACCESS_MAINTAINER);
	html_addf(&c->out, "<label for=\"pb-push\">Allowed to push</label>");
	push_level_select(c, "pb-push", "protected_branch[push_access_level]", ACCESS_MAINTAINER);
	html_addf(&c->out, "<label><input type=\"checkbox\" name=\"protected_branch"
		  "[allow_force_push]\" value=\"1\"> Allowed to force push</label><button "
		  "type=\"submit\" class=\"primary\">Protect</button></form><h2>Protected branches</h2>"
		  "<table><thead><tr><th scope=\"col\">Branch</th><th scope=\"col\">Merge</th>"
		  "<th scope=\"col\">Push</th><th scope=\"col\">Force push</th><th scope=\"col\">Action"
		  "</th></tr></thead><tbody>");
	for (size_t i = 0; i < l.nr; i++) {
		const struct protected_branch *pb = &l.items[i];

		html_addf(&c->out, "<tr><td class=\"mono\">%s</td><td>%r</td><td>%r</td><td>%r</td>"
			  "<td><form method=\"post\" action=\"%u/-/settings/repository/"
			  "protected_branches/unprotect\">", pb->name,
			  push_level_name(pb->merge_access_level), push_level_name(pb->push_access_level),
			  pb->allow_force_push ? "yes" : "no", c->base.ptr);
		web_csrf_field(c);
		html_addf(&c->out, "<input type=\"hidden\" name=\"name\" value=\"%s\"><button "
			  "type=\"submit\" class=\"danger\" aria-label=\"Unprotect %s\">Unprotect"
			  "</button></form></td></tr>", pb->name, pb->name);
	}
	html_addf(&c->out, "</tbody></table>");
	protected_branch_list_release(&l);
	web_page_end(c, status);
}

static int level_field(struct web_ctx *c, const char *name, int *out)
{
	const char *s = web_form_get(c, name);
	uint64_t v = 0;

	if (!s || parse_u64(s, 100, &v) < 0 || !protected_level_valid((int)v))
		return ERR_INVALID;
	*out = (int)v;
	return 0;
}

static void protect(struct web_ctx *c)
{
	const char *name = web_form_get(c, "protected_branch[name]");
	const char *force = web_form_get(c, "protected_branch[allow_force_push]");
	struct buf err = BUF_INIT_MAX(512);
	int push = 0, merge = 0, ret;
	int64_t id = 0;

	ret = level_field(c, "protected_branch[push_access_level]", &push);
	if (ret == 0)
		ret = level_field(c, "protected_branch[merge_access_level]", &merge);
	if (ret < 0 || !name) {
		protected_page(c, 422, "error", "Choose a branch and who may push and merge.");
		goto out;
	}
	ret = protected_branch_create(c->db, c->proj->id, name, push, merge,
				      force && !strcmp(force, "1"), &id, &err);
	if (ret == ERR_INVALID || ret == ERR_EXISTS)
		protected_page(c, 422, "error", ret == ERR_EXISTS ?
			       "That branch is already protected." : err.ptr);
	else if (ret < 0)
		web_fail(c, ret);
	else
		protected_page(c, 200, "notice", "The branch is protected.");
out:
	buf_release(&err);
}

static void unprotect(struct web_ctx *c)
{
	const char *name = web_form_get(c, "name");
	int ret = name ? protected_branch_delete(c->db, c->proj->id, name) : ERR_NOTFOUND;

	if (ret < 0)
		web_fail(c, ret);
	else
		protected_page(c, 200, "notice", "The branch is no longer protected.");
}

void web_settings_repository(struct web_ctx *c)
{
	const char *sub = c->rest + strlen("settings/repository");

	if (!web_settings_allowed(c))
		return;
	if (!*sub && !c->is_post)
		protected_page(c, 200, NULL, NULL);
	else if (c->is_post && !strcmp(sub, "/protected_branches"))
		protect(c);
	else if (c->is_post && !strcmp(sub, "/protected_branches/unprotect"))
		unprotect(c);
	else
		web_error(c, 404, NULL);
}

/* ---- webhooks ---- */

static void hook_fields(struct web_ctx *c, const struct webhook *w)
{
	html_addf(&c->out, "<label for=\"h-url\">URL</label><input id=\"h-url\" type=\"url\" "
		  "name=\"hook[url]\" required maxlength=\"%d\" value=\"%s\"><label for=\"h-token\">"
		  "Secret token (sent as X-Gitlab-Token; leave empty to keep)</label><input "
		  "id=\"h-token\" name=\"hook[token]\" autocomplete=\"off\" maxlength=\"%d\">"
		  "<fieldset><legend>Trigger</legend><label><input type=\"checkbox\" "
		  "name=\"hook[push_events]\" value=\"1\"%r> Push events</label><br><label><input "
		  "type=\"checkbox\" name=\"hook[tag_push_events]\" value=\"1\"%r> Tag push events"
		  "</label></fieldset><label><input type=\"checkbox\" name=\"hook[enable_ssl_"
		  "verification]\" value=\"1\"%r> Enable SSL verification</label>", WEB_HOOK_URL_MAX,
		  w ? w->url : "", WEB_HOOK_TOKEN_MAX, !w || w->push_events ? " checked" : "",
		  w && w->tag_push_events ? " checked" : "",
		  !w || w->enable_ssl_verification ? " checked" : "");
}

static void hooks_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	struct webhook_list l = { 0 };
	int ret = webhook_list(c->db, WEBHOOK_PROJECT, c->proj->id, 0, WEB_HOOKS_SHOWN, &l);

	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	web_project_begin(c, "Webhooks", "settings");
	web_settings_nav(c, "hooks");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<h2>Add a webhook</h2><form method=\"post\" action=\"%u/-/hooks\" "
		  "class=\"stack\">", c->base.ptr);
	web_csrf_field(c);
	hook_fields(c, NULL);
	html_addf(&c->out, "<button type=\"submit\" class=\"primary\">Add webhook</button></form>"
		  "<h2>Project hooks</h2><ul class=\"list\">");
	for (size_t i = 0; i < l.nr; i++) {
		const struct webhook *w = &l.items[i];
		struct buf shown = BUF_INIT;

		/* Userinfo and query may carry secrets: never shown back. */
		outbound_url_for_log(&shown, w->url);
		html_addf(&c->out, "<li><span class=\"mono\">%s</span> <span class=\"muted\">%r%r"
			  "</span> <a href=\"%u/-/hooks/%D/edit\">Edit</a><form method=\"post\" "
			  "action=\"%u/-/hooks/%D/delete\" class=\"inline\">", shown.ptr,
			  w->push_events ? "push " : "", w->tag_push_events ? "tag push" : "",
			  c->base.ptr, w->id, c->base.ptr, w->id);
		web_csrf_field(c);
		html_addf(&c->out, " <button type=\"submit\" class=\"danger\">Delete</button></form>"
			  "<form method=\"post\" action=\"%u/-/hooks/%D/test\" class=\"inline\">",
			  c->base.ptr, w->id);
		web_csrf_field(c);
		html_addf(&c->out, " <button type=\"submit\">Test</button></form></li>");
		buf_release(&shown);
	}
	html_addf(&c->out, "</ul>");
	if (!l.nr)
		html_addf(&c->out, "<p class=\"muted\">No webhooks.</p>");
	webhook_list_release(&l);
	web_page_end(c, status);
}

/* Fills w from the form; ERR_INVALID with a sentence in err. */
static int hook_from_form(struct web_ctx *c, struct webhook *w, struct buf *err)
{
	const char *url = web_form_get(c, "hook[url]");
	const char *token = web_form_get(c, "hook[token]");
	struct outbound_allow allow = { 0 };
	int ret;

	if (!url || !*url || strlen(url) > WEB_HOOK_URL_MAX) {
		buf_addstr(err, "Enter a URL of at most 2048 characters.");
		return ERR_INVALID;
	}
	if (token && strlen(token) > WEB_HOOK_TOKEN_MAX) {
		buf_addstr(err, "The secret token is too long.");
		return ERR_INVALID;
	}
	ret = outbound_allow_parse(&allow, c->app->cfg.outbound_allow_cidrs, err);
	if (ret == 0)
		ret = outbound_check_url(url, &allow, err);
	outbound_allow_release(&allow);
	if (ret < 0)
		return ERR_INVALID;
	free(w->url);
	w->url = xstrdup(url);
	if (token && *token) {
		free(w->token);
		w->token = xstrdup(token);
	}
	w->push_events = web_form_get(c, "hook[push_events]") != NULL;
	w->tag_push_events = web_form_get(c, "hook[tag_push_events]") != NULL;
	w->enable_ssl_verification = web_form_get(c, "hook[enable_ssl_verification]") != NULL;
	return 0;
}

static void hook_create(struct web_ctx *c)
{
	struct webhook w = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	int ret = hook_from_form(c, &w, &err);

	w.scope = WEBHOOK_PROJECT;
	w.scope_id = c->proj->id;
	if (ret == 0)
		ret = webhook_create(c->db, &w);
	if (ret == ERR_INVALID)
		hooks_page(c, 422, "error", err.ptr);
	else if (ret < 0)
		web_fail(c, ret);
	else
		hooks_page(c, 201, "notice", "The webhook was created.");
	free(w.url);
	free(w.token);
	free(w.uuid);
	buf_release(&err);
}

/* The project's own hook with the id in sub ("ID/…"), or NULL after a 404. */
static struct webhook *hook_of_project(struct web_ctx *c, const char *sub, const char **tail)
{
	struct webhook *w = NULL;
	char id[32];
	size_t n = strcspn(sub, "/");
	uint64_t v = 0;

	if (n == 0 || n >= sizeof(id)) {
		web_error(c, 404, NULL);
		return NULL;
	}
	memcpy(id, sub, n);
	id[n] = '\0';
	if (parse_u64(id, INT64_MAX, &v) < 0 || webhook_find(c->db, (int64_t)v, &w) < 0 ||
	    w->scope != WEBHOOK_PROJECT || w->scope_id != c->proj->id) {
		webhook_free(w);
		web_error(c, 404, NULL);
		return NULL;
	}
	*tail = sub + n;
	return w;
}

static void hook_edit_page(struct web_ctx *c, struct webhook *w, int status, const char *kind,
			   const char *msg)
{
	struct webhook_delivery *d = NULL;
	size_t nd = 0;

	web_project_begin(c, "Edit webhook", "settings");
	web_settings_nav(c, "hooks");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<h2>Edit webhook</h2><form method=\"post\" action=\"%u/-/hooks/%D\" "
		  "class=\"stack\">", c->base.ptr, w->id);
	web_csrf_field(c);
	hook_fields(c, w);
	html_addf(&c->out, "<button type=\"submit\" class=\"primary\">Save changes</button></form>"
		  "<h2>Recent events</h2>");
	if (webhook_delivery_list(c->db, w->id, WEB_DELIVERIES_SHOWN, &d, &nd) == 0 && nd) {
		html_addf(&c->out, "<table><thead><tr><th scope=\"col\">Event</th><th scope=\"col\">"
			  "Status</th><th scope=\"col\">Time</th></tr></thead><tbody>");
		for (size_t i = 0; i < nd; i++) {
			struct buf when = BUF_INIT;

			web_time(&when, d[i].created_at);
			html_addf(&c->out, "<tr><td>%s</td><td>%d %s</td><td>%s</td></tr>", d[i].event,
				  d[i].response_status, d[i].error ? d[i].error : "", when.ptr);
			buf_release(&when);
		}
		html_addf(&c->out, "</tbody></table>");
	} else {
		html_addf(&c->out, "<p class=\"muted\">No deliveries yet.</p>");
	}
	webhook_delivery_list_free(d, nd);
	web_page_end(c, status);
}

static void hook_update(struct web_ctx *c, struct webhook *w)
{
	struct buf err = BUF_INIT_MAX(512);
	int ret = hook_from_form(c, w, &err);

	if (ret == 0)
		ret = webhook_update(c->db, w);
	if (ret == 0)
		ret = webhook_reenable(c->db, w->id);
	if (ret == ERR_INVALID)
		hook_edit_page(c, w, 422, "error", err.ptr);
	else if (ret < 0)
		web_fail(c, ret);
	else
		hook_edit_page(c, w, 200, "notice", "The webhook was saved.");
	buf_release(&err);
}

/* "Test": a sample push through the delivery queue, as the API's trigger. */
static void hook_test_post(struct web_ctx *c, const struct webhook *w)
{
	struct buf err = BUF_INIT_MAX(512);
	int ret = hook_test_push(c->db, c->proj, c->who.user, w->id, &err);

	if (ret == ERR_NOTFOUND)
		hooks_page(c, 422, "error", "Ensure the project has at least one commit.");
	else if (ret < 0)
		web_fail(c, ret);
	else
		hooks_page(c, 200, "notice", "A test push event was queued for delivery.");
	buf_release(&err);
}

void web_settings_hooks(struct web_ctx *c)
{
	const char *sub = c->rest + strlen("hooks");
	const char *tail = NULL;
	struct webhook *w = NULL;

	if (!web_settings_allowed(c))
		return;
	if (!*sub) {
		if (c->is_post)
			hook_create(c);
		else
			hooks_page(c, 200, NULL, NULL);
		return;
	}
	if (*sub != '/' || !(w = hook_of_project(c, sub + 1, &tail)))
		goto out;
	if (!c->is_post && !strcmp(tail, "/edit"))
		hook_edit_page(c, w, 200, NULL, NULL);
	else if (c->is_post && !*tail)
		hook_update(c, w);
	else if (c->is_post && !strcmp(tail, "/test"))
		hook_test_post(c, w);
	else if (c->is_post && !strcmp(tail, "/delete") && webhook_delete(c->db, w->id) == 0)
		hooks_page(c, 200, "notice", "The webhook was deleted.");
	else
		web_error(c, 404, NULL);
out:
	webhook_free(w);
}
