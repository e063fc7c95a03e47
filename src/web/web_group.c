/* Group pages below /groups/GROUP/-/: members (direct and inherited; add by
 * username, change a role, remove — GitLab's rules from perms.c) and
 * settings (name, description, visibility; deletion with the group's path
 * typed in). */
#include "web_ctx.h"
#include "auth/perms.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/group_list.h"
#include "model/member.h"
#include "model/member_list.h"
#include "model/names.h"
#include "model/namespace.h"
#include "model/user.h"

#include <stdio.h>
#include <string.h>

#define WEB_GROUP_MEMBERS_SHOWN 200

static const int levels[] = { ACCESS_GUEST, ACCESS_REPORTER, ACCESS_DEVELOPER, ACCESS_MAINTAINER,
			      ACCESS_OWNER };

static void group_nav(struct web_ctx *c, const char *cur)
{
	const struct namespace *ns = c->ns;

	html_addf(&c->out, "<div class=\"proj-head\"><h1><a href=\"/%u\">%s</a> <span "
		  "class=\"badge\">%s</span></h1></div><nav class=\"tabs\" aria-label=\"Group\">"
		  "<a href=\"/%u\">Overview</a><a href=\"%u/-/group_members\"%r>Members</a>",
		  ns->full_path, ns->name, ns->visibility, ns->full_path, c->base.ptr,
		  !strcmp(cur, "members") ? " aria-current=\"page\"" : "");
	if (c->level >= ACCESS_OWNER)
		html_addf(&c->out, "<a href=\"%u/-/edit\"%r>Settings</a>", c->base.ptr,
			  !strcmp(cur, "settings") ? " aria-current=\"page\"" : "");
	html_addf(&c->out, "</nav>");
}

/* label NULL: a <label for=id> names the select elsewhere. */
static void level_select(struct web_ctx *c, const char *id, const char *label, int current,
			 int max)
{
	html_addf(&c->out, "<select id=\"%s\" name=\"access_level\"", id);
	if (label)
		html_addf(&c->out, " aria-label=\"%s\"", label);
	html_addf(&c->out, ">");
	for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++)
		if (levels[i] <= max)
			html_addf(&c->out, "<option value=\"%d\"%r>%r</option>", levels[i],
				  levels[i] == current ? " selected" : "", web_level_name(levels[i]));
	html_addf(&c->out, "</select>");
}

static int direct_row(const struct member_row *m, void *ctx)
{
	struct web_ctx *c = ctx;
	/* Owners are managed by Owners only: others see the role as text. */
	int manage = c->level >= ACCESS_MAINTAINER &&
		     (m->level < ACCESS_OWNER || c->level >= ACCESS_OWNER);
	struct buf label = BUF_INIT;
	char id[48];

	html_addf(&c->out, "<tr><td><strong>%s</strong><br><span class=\"muted\">@%s</span></td>"
		  "<td>", m->user->name, m->user->username);
	if (!manage) {
		html_addf(&c->out, "%r</td><td></td></tr>", web_level_name(m->level));
		return 0;
	}
	(void)snprintf(id, sizeof(id), "gm-%lld", (long long)m->user->id);
	html_addf(&c->out, "<form method=\"post\" action=\"%u/-/group_members/%D\" "
		  "class=\"inline\">", c->base.ptr, m->user->id);
	web_csrf_field(c);
	buf_addf(&label, "Role of %s", m->user->username);
	level_select(c, id, label.ptr, m->level, c->level >= ACCESS_OWNER ? ACCESS_OWNER : ACCESS_MAINTAINER);
	html_addf(&c->out, "<button type=\"submit\">Change</button></form></td><td>"
		  "<form method=\"post\" action=\"%u/-/group_members/%D/remove\">", c->base.ptr,
		  m->user->id);
	web_csrf_field(c);
	html_addf(&c->out, "<button type=\"submit\" class=\"danger\" aria-label=\"Remove %s\">"
		  "Remove</button></form></td></tr>", m->user->username);
	buf_release(&label);
	return 0;
}

static int all_row(const struct member_row *m, void *ctx)
{
	struct web_ctx *c = ctx;

	html_addf(&c->out, "<tr><td><strong>%s</strong><br><span class=\"muted\">@%s</span></td>"
		  "<td>%r</td></tr>", m->user->name, m->user->username, web_level_name(m->level));
	return 0;
}

static void members_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	struct member_scope direct = { MEMBER_NAMESPACE, c->ns->id, 0, NULL, 0 };
	struct member_scope all = { MEMBER_NAMESPACE, c->ns->id, c->ns->id, NULL, 0 };
	struct buf title = BUF_INIT;
	int ret;

	buf_addf(&title, "Members · %s", c->ns->name);
	web_page_begin(c, title.ptr);
	buf_release(&title);
	group_nav(c, "members");
	if (msg)
		web_flash(c, kind, msg);
	if (c->level >= ACCESS_MAINTAINER) {
		html_addf(&c->out, "<h2>Add a member</h2><form method=\"post\" action=\"%u/-/"
			  "group_members\" class=\"toolbar\">", c->base.ptr);
		web_csrf_field(c);
		html_addf(&c->out, "<label for=\"gm-user\">Username</label><input id=\"gm-user\" "
			  "name=\"username\" required><label for=\"gm-level\">Role</label>");
		level_select(c, "gm-level", NULL, ACCESS_DEVELOPER,
			     c->level >= ACCESS_OWNER ? ACCESS_OWNER : ACCESS_MAINTAINER);
		html_addf(&c->out, "<button type=\"submit\" class=\"primary\">Add to group</button>"
			  "</form>");
	}
	html_addf(&c->out, "<h2>Group members</h2><table id=\"direct-members\"><thead><tr>"
		  "<th scope=\"col\">User</th><th scope=\"col\">Role</th><th scope=\"col\">Action"
		  "</th></tr></thead><tbody>");
	ret = member_list(c->db, &direct, 0, WEB_GROUP_MEMBERS_SHOWN, direct_row, c);
	html_addf(&c->out, "</tbody></table><h2>All members, with those of the groups above</h2>"
		  "<table id=\"all-members\"><thead><tr><th scope=\"col\">User</th>"
		  "<th scope=\"col\">Role</th></tr></thead><tbody>");
	if (ret == 0)
		ret = member_list(c->db, &all, 0, WEB_GROUP_MEMBERS_SHOWN, all_row, c);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	web_page_end(c, status);
}

/* The member's direct level in the group, 0 when none. */
static int direct_level(struct web_ctx *c, int64_t uid, int *out)
{
	return member_direct_level(c->db, MEMBER_NAMESPACE, c->ns->id, uid, out);
}

static int level_field(struct web_ctx *c, int *out)
{
	const char *lv = web_form_get(c, "access_level");
	uint64_t v = 0;

	if (!lv || parse_u64(lv, 100, &v) < 0 || !access_level_valid((int)v))
		return ERR_INVALID;
	*out = (int)v;
	return 0;
}

static const char *denied_reason(const struct web_ctx *c)
{
	if (c->level < ACCESS_MAINTAINER)
		return "You are not allowed to do that.";
	if (c->level >= ACCESS_OWNER)
		return "A group needs at least one owner.";
	return "Only owners can grant, change or remove the Owner role.";
}

/* Checks the change against perms_member_change and applies it; new_level
 * 0 removes. Answers the page itself. */
static void member_change_apply(struct web_ctx *c, int64_t uid, int new_level, int adding)
{
	struct member_change mc = { 1, c->ns->id, 0, c->who.user->id, c->level, uid, 0,
				    new_level };
	int ret = direct_level(c, uid, &mc.old_level);

	if (ret == 0 && adding && mc.old_level) {
		members_page(c, 422, "error", "That user is already a member of this group.");
		return;
	}
	if (ret == 0 && !adding && !mc.old_level)
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = perms_member_change(c->db, &mc);
	if (ret == ERR_DENIED) {
		members_page(c, 403, "error", denied_reason(c));
		return;
	}
	if (ret == 0)
		ret = new_level ? member_set(c->db, MEMBER_NAMESPACE, c->ns->id, uid, new_level, 0)
				: member_remove(c->db, MEMBER_NAMESPACE, c->ns->id, uid);
	if (ret < 0)
		web_fail(c, ret);
	else if (!new_level && uid == c->who.user->id)
		web_redirect(c, "/dashboard/groups");
	else
		members_page(c, 200, "notice", adding ? "The member was added." :
			     new_level ? "The role was changed." : "The member was removed.");
}

static void member_add(struct web_ctx *c)
{
	const char *name = web_form_get(c, "username");
	struct user *u = NULL;
	int level = 0;
	int ret;

	if (!name || level_field(c, &level) < 0) {
		members_page(c, 422, "error", "Choose a user and a role.");
		return;
	}
	ret = user_find_by_username(c->db, name, &u);
	if (ret == ERR_NOTFOUND)
		members_page(c, 422, "error", "There is no user with that username.");
	else if (ret < 0)
		web_fail(c, ret);
	else
		member_change_apply(c, u->id, level, 1);
	user_free(u);
}

/* "UID" (change the role) or "UID/remove". */
static void member_post(struct web_ctx *c, const char *sub)
{
	const char *slash = strchr(sub, '/');
	size_t n = slash ? (size_t)(slash - sub) : strlen(sub);
	char id[24];
	uint64_t uid = 0;
	int level = 0;

	if (n == 0 || n >= sizeof(id) || (slash && strcmp(slash, "/remove"))) {
		web_error(c, 404, NULL);
		return;
	}
	memcpy(id, sub, n);
	id[n] = '\0';
	if (parse_u64(id, INT64_MAX, &uid) < 0 || !uid) {
		web_error(c, 404, NULL);
		return;
	}
	if (!slash && level_field(c, &level) < 0) {
		members_page(c, 422, "error", "Choose a role.");
		return;
	}
	member_change_apply(c, (int64_t)uid, slash ? 0 : level, 0);
}

void web_group_members(struct web_ctx *c)
{
	const char *sub = c->rest + strlen("group_members");

	if (web_require_user(c))
		return;
	if (!*sub && !c->is_post)
		members_page(c, 200, NULL, NULL);
	else if (!*sub && c->level >= ACCESS_MAINTAINER)
		member_add(c);
	else if (c->is_post && *sub == '/')
		member_post(c, sub + 1);
	else
		web_error(c, 404, NULL);
}

/* ---- settings ---- */

static void settings_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	static const char *const vis[] = { "private", "internal", "public" };
	const struct namespace *ns = c->ns;
	struct buf title = BUF_INIT;

	buf_addf(&title, "Settings · %s", ns->name);
	web_page_begin(c, title.ptr);
	buf_release(&title);
	group_nav(c, "settings");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<form method=\"post\" action=\"%u/-/edit\" class=\"stack\">",
		  c->base.ptr);
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"g-name\">Group name</label><input id=\"g-name\" "
		  "name=\"group[name]\" required value=\"%s\"><label for=\"g-desc\">Description"
		  "</label><textarea id=\"g-desc\" name=\"group[description]\">%s</textarea>"
		  "<label for=\"g-vis\">Visibility</label><select id=\"g-vis\" "
		  "name=\"group[visibility]\">", ns->name, ns->description);
	for (size_t i = 0; i < 3; i++)
		html_addf(&c->out, "<option value=\"%s\"%r>%s</option>", vis[i],
			  !strcmp(ns->visibility, vis[i]) ? " selected" : "", vis[i]);
	html_addf(&c->out, "</select><button type=\"submit\" class=\"primary\">Save changes</button>"
		  "</form><h2>Delete group</h2><p>Deleting the group deletes its subgroups and "
		  "their projects, repositories included.</p><form method=\"post\" action=\"%u/-/"
		  "edit/delete\" class=\"stack\">", c->base.ptr);
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"g-confirm\">Type <code>%s</code> to confirm</label>"
		  "<input id=\"g-confirm\" name=\"confirm\" required autocomplete=\"off\">"
		  "<button type=\"submit\" class=\"danger\">Delete group</button></form>",
		  ns->full_path);
	web_page_end(c, status);
}

static void settings_save(struct web_ctx *c)
{
	struct group_update u = { 0 };
	struct buf err = BUF_INIT_MAX(512);
	struct namespace *fresh = NULL;
	int ret;

	u.name = web_form_get(c, "group[name]");
	u.description = web_form_get(c, "group[description]");
	u.visibility = web_form_get(c, "group[visibility]");
	if (u.visibility && names_check_visibility(u.visibility) < 0) {
		settings_page(c, 422, "error", "Choose private, internal or public.");
		goto out;
	}
	ret = group_update(c->db, c->ns, &u, &err);
	if (ret == 0)
		ret = namespace_find(c->db, c->ns->id, &fresh);
	if (ret == ERR_INVALID || ret == ERR_EXISTS) {
		settings_page(c, 422, "error", err.len ? err.ptr : "The settings could not be saved.");
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		namespace_free(c->ns);
		c->ns = fresh;
		settings_page(c, 200, "notice", "Group settings were saved.");
	}
out:
	buf_release(&err);
}

static void group_delete_post(struct web_ctx *c)
{
	const char *confirm = web_form_get(c, "confirm");
	int ret;

	if (!confirm || strcmp(confirm, c->ns->full_path)) {
		settings_page(c, 422, "error", "The confirmation does not match the group path.");
		return;
	}
	ret = group_delete(c->db, c->ns->id);
	if (ret < 0)
		web_fail(c, ret);
	else
		web_redirect(c, "/dashboard/groups");
}

void web_group_settings(struct web_ctx *c)
{
	const char *sub = c->rest + strlen("edit");

	if (web_require_user(c))
		return;
	/* Changing or deleting a group is the Owners' (as in the API). */
	if (c->level < ACCESS_OWNER) {
		web_error(c, 404, NULL);
		return;
	}
	if (!*sub && !c->is_post)
		settings_page(c, 200, NULL, NULL);
	else if (!*sub)
		settings_save(c);
	else if (c->is_post && !strcmp(sub, "/delete"))
		group_delete_post(c);
	else
		web_error(c, 404, NULL);
}
