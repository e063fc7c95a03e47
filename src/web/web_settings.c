/* Project settings for Maintainers and up: general (name, description,
 * visibility, default branch, deletion with a typed confirmation) and
 * members. Callers below Maintainer get the 404 page. */
#include "web_ctx.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "auth/perms.h"
#include "model/member.h"
#include "model/member_list.h"
#include "model/names.h"
#include "model/project.h"
#include "model/project_list.h"
#include "model/user.h"

#include <stdlib.h>
#include <string.h>

#define WEB_MEMBERS_SHOWN 200

static const int levels[] = { ACCESS_GUEST, ACCESS_REPORTER, ACCESS_DEVELOPER, ACCESS_MAINTAINER,
			      ACCESS_OWNER };

int web_settings_allowed(struct web_ctx *c)
{
	if (web_require_user(c))
		return 0;
	if (c->level < ACCESS_MAINTAINER) {
		web_error(c, 404, NULL);
		return 0;
	}
	return 1;
}

void web_settings_nav(struct web_ctx *c, const char *cur)
{
	static const struct {
		const char *name, *label, *suffix;
	} tabs[] = {
		{ "general", "General", "/-/edit" },
		{ "members", "Members", "/-/project_members" },
		{ "repository", "Protected branches", "/-/settings/repository" },
		{ "hooks", "Webhooks", "/-/hooks" },
		{ "mirror", "Mirroring", "/-/settings/mirror" },
		{ "advanced", "Advanced", "/-/settings/advanced" },
	};

	html_addf(&c->out, "<nav class=\"tabs\" aria-label=\"Settings\">");
	for (size_t i = 0; i < sizeof(tabs) / sizeof(*tabs); i++)
		html_addf(&c->out, "<a href=\"%u%r\"%r>%s</a>", c->base.ptr, tabs[i].suffix,
			  !strcmp(cur, tabs[i].name) ? " aria-current=\"page\"" : "", tabs[i].label);
	html_addf(&c->out, "</nav>");
}

static void general_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	static const char *const vis[] = { "private", "internal", "public" };
	const struct project *p = c->proj;

	web_project_begin(c, "Settings", "settings");
	web_settings_nav(c, "general");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<form method=\"post\" action=\"%u/-/edit\" class=\"stack\">",
		  c->base.ptr);
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"s-name\">Project name</label><input id=\"s-name\" "
		  "name=\"project[name]\" required value=\"%s\"><label for=\"s-desc\">Description"
		  "</label><textarea id=\"s-desc\" name=\"project[description]\">%s</textarea>"
		  "<label for=\"s-branch\">Default branch</label><input id=\"s-branch\" "
		  "name=\"project[default_branch]\" value=\"%s\"><label for=\"s-vis\">Visibility"
		  "</label><select id=\"s-vis\" name=\"project[visibility]\">", p->name,
		  p->description, p->default_branch ? p->default_branch : "");
	for (size_t i = 0; i < 3; i++)
		html_addf(&c->out, "<option value=\"%s\"%r>%s</option>", vis[i],
			  !strcmp(p->visibility, vis[i]) ? " selected" : "", vis[i]);
	html_addf(&c->out, "</select><button type=\"submit\" class=\"primary\">Save changes</button>"
		  "</form>");
	if (c->level >= ACCESS_OWNER) {
		html_addf(&c->out, "<h2>Delete project</h2><form method=\"post\" action=\"%u/-/edit/"
			  "delete\" class=\"stack\">", c->base.ptr);
		web_csrf_field(c);
		html_addf(&c->out, "<label for=\"s-confirm\">Type <code>%s</code> to confirm"
			  "</label><input id=\"s-confirm\" name=\"confirm\" required autocomplete=\"off\">"
			  "<button type=\"submit\" class=\"danger\">Delete project</button></form>",
			  p->path);
	}
	web_page_end(c, status);
}

static const char *field_or_null(struct web_ctx *c, const char *name)
{
	return web_form_get(c, name);
}

static void general_save(struct web_ctx *c)
{
	struct project_update u = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct project *fresh = NULL;
	int ret;

	u.name = field_or_null(c, "project[name]");
	u.description = field_or_null(c, "project[description]");
	u.visibility = field_or_null(c, "project[visibility]");
	u.default_branch = field_or_null(c, "project[default_branch]");
	if (u.default_branch && !*u.default_branch)
		u.default_branch = NULL;
	ret = project_update(c->db, c->proj, &u, &err);
	if (ret == 0)
		ret = project_find(c->db, c->proj->id, &fresh);
	if (ret == ERR_INVALID || ret == ERR_EXISTS) {
		general_page(c, 422, "error", err.len ? err.ptr : "The settings could not be saved.");
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		project_free(c->proj);
		c->proj = fresh;
		general_page(c, 200, "notice", "Project settings were saved.");
	}
	buf_release(&err);
}

static void project_delete_post(struct web_ctx *c)
{
	const char *confirm = web_form_get(c, "confirm");
	int ret;

	if (c->level < ACCESS_OWNER) {
		web_error(c, 403, NULL);
		return;
	}
	if (!confirm || strcmp(confirm, c->proj->path)) {
		general_page(c, 422, "error", "The confirmation does not match the project path.");
		return;
	}
	ret = project_delete(c->db, c->proj->id);
	if (ret < 0)
		web_fail(c, ret);
	else
		web_redirect(c, "/dashboard/projects");
}

void web_settings_general(struct web_ctx *c)
{
	const char *sub = c->rest + strlen("edit");

	if (!web_settings_allowed(c))
		return;
	if (!*sub && !c->is_post)
		general_page(c, 200, NULL, NULL);
	else if (!*sub)
		general_save(c);
	else if (c->is_post && !strcmp(sub, "/delete"))
		project_delete_post(c);
	else
		web_error(c, 404, NULL);
}

/* ---- members ---- */

static void level_select(struct web_ctx *c, const char *id, int current)
{
	html_addf(&c->out, "<select id=\"%r\" name=\"access_level\">", id);
	for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++)
		html_addf(&c->out, "<option value=\"%d\"%r>%r</option>", levels[i],
			  levels[i] == current ? " selected" : "", web_level_name(levels[i]));
	html_addf(&c->out, "</select>");
}

static int member_row(const struct member_row *m, void *ctx)
{
	struct web_ctx *c = ctx;

	html_addf(&c->out, "<tr><td><strong>%s</strong><br><span class=\"muted\">@%s</span></td>"
		  "<td>%r</td><td>", m->user->name, m->user->username, web_level_name(m->level));
	html_addf(&c->out, "<form method=\"post\" action=\"%u/-/project_members/%D/remove\">",
		  c->base.ptr, m->user->id);
	web_csrf_field(c);
	html_addf(&c->out, "<button type=\"submit\" class=\"danger\" aria-label=\"Remove %s\">"
		  "Remove</button></form></td></tr>", m->user->username);
	return 0;
}

static int inherited_row(const struct member_row *m, void *ctx)
{
	struct web_ctx *c = ctx;

	html_addf(&c->out, "<tr><td><strong>%s</strong><br><span class=\"muted\">@%s</span></td>"
		  "<td>%r</td><td class=\"muted\">inherited or direct</td></tr>", m->user->name,
		  m->user->username, web_level_name(m->level));
	return 0;
}

static void members_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	struct member_scope direct = { MEMBER_PROJECT, c->proj->id, 0, NULL, 0 };
	struct member_scope all = { MEMBER_PROJECT, c->proj->id, c->proj->namespace_id, NULL, 0 };
	int ret;

	web_project_begin(c, "Members", "settings");
	web_settings_nav(c, "members");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<h2>Add a member</h2><form method=\"post\" action=\"%u/-/project_members"
		  "\" class=\"toolbar\">", c->base.ptr);
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"m-user\">Username</label><input id=\"m-user\" "
		  "name=\"username\" required><label for=\"m-level\">Role</label>");
	level_select(c, "m-level", ACCESS_DEVELOPER);
	html_addf(&c->out, "<button type=\"submit\" class=\"primary\">Add to project</button></form>"
		  "<h2>Project members</h2><table><thead><tr><th scope=\"col\">User</th>"
		  "<th scope=\"col\">Role</th><th scope=\"col\">Action</th></tr></thead><tbody>");
	ret = member_list(c->db, &direct, 0, WEB_MEMBERS_SHOWN, member_row, c);
	html_addf(&c->out, "</tbody></table><h2>All members, with those of the groups above"
		  "</h2><table><thead><tr><th scope=\"col\">User</th><th scope=\"col\">Role</th>"
		  "<th scope=\"col\">Source</th></tr></thead><tbody>");
	if (ret == 0)
		ret = member_list(c->db, &all, 0, WEB_MEMBERS_SHOWN, inherited_row, c);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	web_page_end(c, status);
}

/* GitLab's membership rules, shared with the API and the group pages
 * (perms_member_change); new_level 0 removes. Answers the page itself. */
static void member_change_apply(struct web_ctx *c, int64_t uid, int new_level, int adding)
{
	struct member_change mc = { 0, c->proj->namespace_id, 0, c->who.user->id, c->level, uid,
				    0, new_level };
	int ret;

	if (!strcmp(c->proj->namespace_kind, "user"))
		mc.personal_owner = c->proj->namespace_owner_id;
	ret = member_direct_level(c->db, MEMBER_PROJECT, c->proj->id, uid, &mc.old_level);
	if (ret == 0 && !adding && !mc.old_level)
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = perms_member_change(c->db, &mc);
	if (ret == ERR_DENIED) {
		members_page(c, 403, "error", "Only owners can grant, change or remove the Owner "
			     "role, and a personal project keeps its owner.");
		return;
	}
	if (ret == 0)
		ret = new_level ? member_set(c->db, MEMBER_PROJECT, c->proj->id, uid, new_level, 0)
				: member_remove(c->db, MEMBER_PROJECT, c->proj->id, uid);
	if (ret < 0)
		web_fail(c, ret);
	else
		members_page(c, 200, "notice", adding ? "The member was added." :
			     "The member was removed.");
}

static void member_add(struct web_ctx *c)
{
	const char *name = web_form_get(c, "username");
	const char *lv = web_form_get(c, "access_level");
	struct user *u = NULL;
	uint64_t level = 0;
	int ret;

	if (!name || !lv || parse_u64(lv, 100, &level) < 0 || !access_level_valid((int)level)) {
		members_page(c, 422, "error", "Choose a user and a role.");
		return;
	}
	ret = user_find_by_username(c->db, name, &u);
	if (ret == ERR_NOTFOUND) {
		members_page(c, 422, "error", "There is no user with that username.");
		return;
	}
	if (ret < 0)
		web_fail(c, ret);
	else
		member_change_apply(c, u->id, (int)level, 1);
	user_free(u);
}

static void member_remove_post(struct web_ctx *c, const char *sub)
{
	const char *slash = strchr(sub, '/');
	char id[32];
	uint64_t uid = 0;
	size_t n = slash ? (size_t)(slash - sub) : 0;

	if (!slash || strcmp(slash, "/remove") || n == 0 || n >= sizeof(id)) {
		web_error(c, 404, NULL);
		return;
	}
	memcpy(id, sub, n);
	id[n] = '\0';
	if (parse_u64(id, INT64_MAX, &uid) < 0) {
		web_error(c, 404, NULL);
		return;
	}
	member_change_apply(c, (int64_t)uid, 0, 0);
}

void web_settings_members(struct web_ctx *c)
{
	const char *sub = c->rest + strlen("project_members");

	if (!web_settings_allowed(c))
		return;
	if (!*sub && !c->is_post)
		members_page(c, 200, NULL, NULL);
	else if (!*sub)
		member_add(c);
	else if (c->is_post && *sub == '/')
		member_remove_post(c, sub + 1);
	else
		web_error(c, 404, NULL);
}
