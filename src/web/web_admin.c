/* The admin area: system information and users (create, block, unblock).
 * Everyone but administrators gets the 404 page. */
#include "web_ctx.h"
#include "app.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/repo_store.h"
#include "jobs/notify.h"
#include "model/session.h"
#include "model/stats.h"
#include "model/user.h"

#include <stdlib.h>
#include <string.h>

#define WEB_ADMIN_USERS_PER_PAGE 50

static int admin_only(struct web_ctx *c)
{
	if (web_require_user(c))
		return 1;
	if (!c->who.user->is_admin) {
		web_error(c, 404, NULL);
		return 1;
	}
	return 0;
}

static void admin_nav(struct web_ctx *c, const char *cur)
{
	web_admin_nav(c, cur);
}

void web_admin(struct web_ctx *c)
{
	struct stats_counts s = { 0 };
	int ret;

	if (admin_only(c))
		return;
	ret = stats_count(c->db, &s);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	web_page_begin(c, "Admin area");
	admin_nav(c, "overview");
	html_addf(&c->out, "<table><tbody><tr><th scope=\"row\">Version</th><td>" KURA_VERSION
		  "</td></tr><tr><th scope=\"row\">Database</th><td>%s</td></tr>"
		  "<tr><th scope=\"row\">Data directory</th><td class=\"mono\">%s</td></tr>"
		  "<tr><th scope=\"row\">Users</th><td>%D (%D active)</td></tr>"
		  "<tr><th scope=\"row\">Groups</th><td>%D</td></tr>"
		  "<tr><th scope=\"row\">Projects</th><td>%D</td></tr></tbody></table>",
		  db_dialect(c->db) == DB_SQLITE ? "SQLite" : "PostgreSQL", repo_store_data_dir(),
		  s.users, s.active_users, s.groups, s.projects);
	web_page_end(c, 200);
}

static int user_row(const struct user *u, void *ctx)
{
	struct web_ctx *c = ctx;
	int blocked = !strcmp(u->state, "blocked");

	html_addf(&c->out, "<tr><td><a href=\"/admin/users/%u\"><strong>%s</strong></a>%r<br>"
		  "<span class=\"muted\">%s</span></td><td class=\"hide-sm\">%s</td><td>%s</td><td>",
		  u->username, u->username, u->is_admin ? " <span class=\"badge\">admin</span>" : "",
		  u->name, u->email, u->state);
	if (u->id != c->who.user->id) {
		html_addf(&c->out, "<form method=\"post\" action=\"/admin/users/%u/%r\">", u->username,
			  blocked ? "unblock" : "block");
		web_csrf_field(c);
		html_addf(&c->out, "<button type=\"submit\"%r>%r</button></form>",
			  blocked ? "" : " class=\"danger\"", blocked ? "Unblock" : "Block");
	}
	html_addf(&c->out, "</td></tr>");
	return 0;
}

static void users_page(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	int64_t page = web_page_param(c), total = 0;
	int ret = user_count(c->db, &total);

	web_page_begin(c, "Users");
	admin_nav(c, "users");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<details%r><summary>New user</summary><form method=\"post\" "
		  "action=\"/admin/users\" class=\"stack\">", status == 422 ? " open" : "");
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"u-name\">Name</label><input id=\"u-name\" "
		  "name=\"user[name]\" value=\"%s\"><label for=\"u-username\">Username</label><input "
		  "id=\"u-username\" name=\"user[username]\" required value=\"%s\"><label "
		  "for=\"u-email\">Email</label><input id=\"u-email\" type=\"email\" name=\"user[email]\" "
		  "required value=\"%s\"><label for=\"u-pw\">Password (leave empty to mail a "
		  "set-password link)</label><input id=\"u-pw\" type=\"password\" "
		  "name=\"user[password]\" autocomplete=\"new-password\">"
		  "<label><input type=\"checkbox\" name=\"user[admin]\" value=\"1\"> Administrator"
		  "</label><button type=\"submit\" class=\"primary\">Create user</button></form>"
		  "</details><table><thead><tr><th scope=\"col\">User</th><th scope=\"col\" "
		  "class=\"hide-sm\">Email</th><th scope=\"col\">State</th><th scope=\"col\">Action"
		  "</th></tr></thead><tbody>", web_form_get(c, "user[name]"),
		  web_form_get(c, "user[username]"), web_form_get(c, "user[email]"));
	if (ret == 0)
		ret = user_list(c->db, (page - 1) * WEB_ADMIN_USERS_PER_PAGE, WEB_ADMIN_USERS_PER_PAGE,
				user_row, c);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	web_pager(c, "/admin/users", page, total > page * WEB_ADMIN_USERS_PER_PAGE);
	web_page_end(c, status);
}

static void user_create_post(struct web_ctx *c)
{
	struct user_req req = { 0 };
	struct buf err = BUF_INIT_MAX(512), msg = BUF_INIT;
	const char *name = web_form_get(c, "user[name]");
	const char *admin = web_form_get(c, "user[admin]");
	int64_t id = 0;
	int ret;

	req.username = web_form_get(c, "user[username]");
	req.email = web_form_get(c, "user[email]");
	req.name = name && *name ? name : NULL;
	req.password = web_form_get(c, "user[password]");
	req.is_admin = admin && !strcmp(admin, "1");
	if (req.password && !*req.password)
		req.password = NULL;	/* the new user sets it through a mailed link */
	if (!req.username || !req.email || (!req.password && !notify_enabled(&c->app->cfg))) {
		users_page(c, 422, "error", "Enter a username, an email and a password.");
		goto out;
	}
	ret = user_create(c->db, &req, &id, &err);
	if (ret == 0)
		(void)notify_user_created(c->db, &c->app->cfg, id);
	if (ret == ERR_INVALID || ret == ERR_EXISTS) {
		users_page(c, 422, "error", ret == ERR_EXISTS ?
			   "That username or email is already taken." : err.ptr);
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		buf_addf(&msg, "User %s was created.", req.username);
		users_page(c, 201, "notice", msg.ptr);
	}
out:
	buf_release(&err);
	buf_release(&msg);
}

/* "/admin/users/NAME/block" and ".../unblock". */
static void user_state_post(struct web_ctx *c, const char *sub)
{
	const char *slash = strrchr(sub, '/');
	struct user *u = NULL;
	char *name;
	int block, ret;

	if (!slash || slash == sub || (strcmp(slash, "/block") && strcmp(slash, "/unblock"))) {
		web_error(c, 404, NULL);
		return;
	}
	block = !strcmp(slash, "/block");
	name = xstrndup(sub, (size_t)(slash - sub));
	ret = user_find_by_username(c->db, name, &u);
	if (ret == 0 && u->id == c->who.user->id)
		ret = ERR_INVALID;	/* locking oneself out helps nobody */
	if (ret == 0)
		ret = user_set_state(c->db, u->id, block ? "blocked" : "active");
	if (ret == 0 && block)
		ret = session_delete_user(c->db, u->id, 0);
	if (ret < 0)
		web_fail(c, ret);
	else
		web_redirect(c, "/admin/users");
	user_free(u);
	free(name);
}

void web_admin_users(struct web_ctx *c)
{
	const char *sub = c->path + strlen("/admin/users");

	if (admin_only(c))
		return;
	if (!*sub && !c->is_post)
		users_page(c, 200, NULL, NULL);
	else if (!*sub)
		user_create_post(c);
	else if (*sub == '/' && web_admin_user(c, sub + 1))
		return;
	else if (c->is_post)
		user_state_post(c, sub + 1);
	else
		web_error(c, 404, NULL);
}
