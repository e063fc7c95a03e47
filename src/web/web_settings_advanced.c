/* Project settings, advanced: change the path (rename) and move the project
 * to another namespace (transfer), each confirmed by typing the current
 * path. Only the row changes; the repository stays at its hashed path. Also
 * the read-only mirror status, on its settings tab and under the title. */
#include "web_ctx.h"
#include "auth/perms.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/group_list.h"
#include "model/member.h"
#include "model/mirror.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/project_list.h"
#include "model/project_move.h"
#include "model/user.h"

#include <string.h>

#define WEB_TRANSFER_TARGETS_MAX 200

static int target_option(const struct namespace *ns, void *ctx)
{
	struct web_ctx *c = ctx;

	if (ns->id != c->proj->namespace_id)
		html_addf(&c->out, "<option value=\"%D\">%s</option>", ns->id, ns->full_path);
	return 0;
}

static void advanced_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	const struct project *p = c->proj;

	web_project_begin(c, "Advanced settings", "settings");
	web_settings_nav(c, "advanced");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<h2>Change path</h2><p>Clones and links use the new address at once; "
		  "the old one stops working.</p><form method=\"post\" action=\"%u/-/settings/"
		  "advanced/rename\" class=\"stack\">", c->base.ptr);
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"a-path\">Path</label><input id=\"a-path\" "
		  "name=\"project[path]\" required value=\"%s\"><label for=\"a-rconfirm\">Type "
		  "<code>%s</code> to confirm</label><input id=\"a-rconfirm\" name=\"confirm\" "
		  "required autocomplete=\"off\"><button type=\"submit\" class=\"danger\">Change path"
		  "</button></form>", p->path, p->path);
	if (c->level >= ACCESS_OWNER) {
		html_addf(&c->out, "<h2>Transfer project</h2><form method=\"post\" action=\"%u/-/"
			  "settings/advanced/transfer\" class=\"stack\">", c->base.ptr);
		web_csrf_field(c);
		html_addf(&c->out, "<label for=\"a-ns\">New namespace</label><select id=\"a-ns\" "
			  "name=\"namespace_id\">");
		(void)namespace_list(c->db, c->who.user->id, 0, NULL, 0, WEB_TRANSFER_TARGETS_MAX,
				     target_option, c);
		html_addf(&c->out, "</select><label for=\"a-tconfirm\">Type <code>%s</code> to "
			  "confirm</label><input id=\"a-tconfirm\" name=\"confirm\" required "
			  "autocomplete=\"off\"><button type=\"submit\" class=\"danger\">Transfer "
			  "project</button></form>", p->path);
	}
	web_page_end(c, status);
}

static int confirmed(struct web_ctx *c)
{
	const char *confirm = web_form_get(c, "confirm");

	if (confirm && !strcmp(confirm, c->proj->path))
		return 1;
	advanced_page(c, 422, "error", "The confirmation does not match the project path.");
	return 0;
}

/* After a move the settings live at the new address. */
static void redirect_fresh(struct web_ctx *c)
{
	struct project *fresh = NULL;
	struct buf to = BUF_INIT;
	int ret = project_find(c->db, c->proj->id, &fresh);

	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	buf_addch(&to, '/');
	project_full_path(&to, fresh);
	buf_addstr(&to, "/-/settings/advanced");
	web_redirect(c, to.ptr);
	buf_release(&to);
	project_free(fresh);
}

static void rename_post(struct web_ctx *c)
{
	struct project_update u = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	int ret;

	if (!confirmed(c))
		return;
	u.path = web_form_get(c, "project[path]");
	if (!u.path || !*u.path) {
		advanced_page(c, 422, "error", "Enter a path.");
		return;
	}
	ret = project_update(c->db, c->proj, &u, &err);
	if (ret == ERR_INVALID || ret == ERR_EXISTS)
		advanced_page(c, 422, "error", err.len ? err.ptr : "That path is already taken.");
	else if (ret < 0)
		web_fail(c, ret);
	else
		redirect_fresh(c);
	buf_release(&err);
}

static void transfer_post(struct web_ctx *c)
{
	const char *target = web_form_get(c, "namespace_id");
	struct buf err = BUF_INIT_MAX(512);
	struct namespace *ns = NULL;
	uint64_t id = 0;
	int ret;

	if (c->level < ACCESS_OWNER) {
		web_error(c, 403, NULL);
		return;
	}
	if (!confirmed(c))
		return;
	if (!target || parse_u64(target, INT64_MAX, &id) < 0 || !id) {
		advanced_page(c, 422, "error", "Choose a namespace.");
		return;
	}
	ret = namespace_find(c->db, (int64_t)id, &ns);
	if (ret == 0)
		ret = perms_namespace_create_in(c->db, &c->who, ns);
	if (ret == 0)
		ret = project_transfer(c->db, c->proj, ns->id, &err);
	if (ret == ERR_NOTFOUND)
		advanced_page(c, 422, "error", "You cannot move projects into that namespace.");
	else if (ret == ERR_INVALID || ret == ERR_EXISTS)
		advanced_page(c, 422, "error", err.ptr);
	else if (ret < 0)
		web_fail(c, ret);
	else
		redirect_fresh(c);
	namespace_free(ns);
	buf_release(&err);
}

void web_settings_advanced(struct web_ctx *c)
{
	const char *sub = c->rest + strlen("settings/advanced");

	if (!web_settings_allowed(c))
		return;
	if (!*sub && !c->is_post)
		advanced_page(c, 200, NULL, NULL);
	else if (c->is_post && !strcmp(sub, "/rename"))
		rename_post(c);
	else if (c->is_post && !strcmp(sub, "/transfer"))
		transfer_post(c);
	else
		web_error(c, 404, NULL);
}

/* ---- mirror status (read-only) ---- */

static void time_cell(struct web_ctx *c, const char *label, int64_t ms)
{
	struct buf t = BUF_INIT;

	web_time(&t, ms);
	html_addf(&c->out, "<tr><th scope=\"row\">%s</th><td>%s</td></tr>", label, t.ptr);
	buf_release(&t);
}

static void pull_mirror_table(struct web_ctx *c, const struct project_mirror *m)
{
	html_addf(&c->out, "<h2>Pull mirror</h2><table id=\"pull-mirror\"><tbody>"
		  "<tr><th scope=\"row\">Status</th><td>%s</td></tr>", m->import_status);
	time_cell(c, "Last update", m->last_update_at);
	time_cell(c, "Last successful update", m->last_successful_update_at);
	html_addf(&c->out, "<tr><th scope=\"row\">Last error</th><td>%s</td></tr></tbody></table>",
		  m->import_error ? m->import_error : "none");
}

static void push_mirror_rows(struct web_ctx *c, const struct remote_mirror_list *l)
{
	html_addf(&c->out, "<h2>Push mirrors</h2>");
	if (!l->nr) {
		html_addf(&c->out, "<p class=\"muted\">No push mirrors.</p>");
		return;
	}
	html_addf(&c->out, "<table id=\"push-mirrors\"><thead><tr><th scope=\"col\">Status</th>"
		  "<th scope=\"col\">Last update</th><th scope=\"col\">Last error</th></tr></thead>"
		  "<tbody>");
	for (size_t i = 0; i < l->nr; i++) {
		const struct remote_mirror *m = &l->items[i];
		struct buf t = BUF_INIT;

		web_time(&t, m->last_update_at);
		html_addf(&c->out, "<tr><td>%s%r</td><td>%s</td><td>%s</td></tr>", m->update_status,
			  m->enabled ? "" : " (disabled)", t.ptr, m->last_error ? m->last_error : "");
		buf_release(&t);
	}
	html_addf(&c->out, "</tbody></table>");
}

void web_settings_mirror(struct web_ctx *c)
{
	struct project_mirror *pm = NULL;
	struct remote_mirror_list l = { 0 };
	int ret;

	if (!web_settings_allowed(c))
		return;
	ret = project_mirror_find(c->db, c->proj->id, &pm);
	if (ret == ERR_NOTFOUND)
		ret = 0;
	if (ret == 0)
		ret = remote_mirror_list(c->db, c->proj->id, &l);
	if (ret < 0) {
		web_fail(c, ret);
		goto out;
	}
	web_project_begin(c, "Mirroring", "settings");
	web_settings_nav(c, "mirror");
	/* Mirror URLs are left out: they may carry credentials. */
	if (pm && pm->mirror)
		pull_mirror_table(c, pm);
	else
		html_addf(&c->out, "<h2>Pull mirror</h2><p class=\"muted\">This project is not a "
			  "pull mirror.</p>");
	push_mirror_rows(c, &l);
	html_addf(&c->out, "<p class=\"muted\">Mirrors are set up through the API "
		  "(<code>remote_mirrors</code>, <code>import_url</code>).</p>");
	web_page_end(c, 200);
out:
	project_mirror_free(pm);
	remote_mirror_list_release(&l);
}

void web_mirror_banner(struct web_ctx *c)
{
	struct project_mirror *pm = NULL;
	struct buf t = BUF_INIT;

	if (project_mirror_find(c->db, c->proj->id, &pm) < 0 || !pm->mirror)
		goto out;
	web_time(&t, pm->last_successful_update_at);
	html_addf(&c->out, "<p class=\"muted\" id=\"mirror-status\">Pull mirror: %s, last "
		  "successful update %s", pm->import_status, t.ptr);
	if (pm->import_error && *pm->import_error)
		html_addf(&c->out, " — last error: %s", pm->import_error);
	html_addf(&c->out, "</p>");
out:
	project_mirror_free(pm);
	buf_release(&t);
}
