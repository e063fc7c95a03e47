/* The admin area, continued: one user's page (make or unmake admin, set a
 * new password), all groups, all projects, and system information (job
 * queue, recent failed jobs, database and storage use). */
#include "web_ctx.h"
#include "app.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/repo_store.h"
#include "model/group_list.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/project_list.h"
#include "model/session.h"
#include "model/sysinfo.h"
#include "model/user.h"
#include "model/user_admin.h"

#include <stdlib.h>
#include <string.h>

#define WEB_ADMIN_PER_PAGE 50
#define WEB_ADMIN_FAILED_JOBS 20
#define WEB_ADMIN_STORAGE_ENTRIES 500000	/* files walked at most for the total */

static int not_admin(struct web_ctx *c)
{
	if (web_require_user(c))
		return 1;
	if (!c->who.user->is_admin) {
		web_error(c, 404, NULL);
		return 1;
	}
	return 0;
}

void web_admin_nav(struct web_ctx *c, const char *cur)
{
	static const struct {
		const char *name, *label, *href;
	} tabs[] = {
		{ "overview", "Overview", "/admin" },
		{ "users", "Users", "/admin/users" },
		{ "groups", "Groups", "/admin/groups" },
		{ "projects", "Projects", "/admin/projects" },
		{ "system", "System", "/admin/system_info" },
	};

	html_addf(&c->out, "<h1>Admin area</h1><nav class=\"tabs\" aria-label=\"Admin\">");
	for (size_t i = 0; i < sizeof(tabs) / sizeof(*tabs); i++)
		html_addf(&c->out, "<a href=\"%r\"%r>%r</a>", tabs[i].href,
			  !strcmp(cur, tabs[i].name) ? " aria-current=\"page\"" : "", tabs[i].label);
	html_addf(&c->out, "</nav>");
}

/* ---- one user ---- */

static void user_page(struct web_ctx *c, const struct user *u, int status, const char *kind,
		      const char *msg)
{
	struct buf seen = BUF_INIT;

	web_page_begin(c, u->username);
	web_admin_nav(c, "users");
	if (msg)
		web_flash(c, kind, msg);
	web_time(&seen, u->last_sign_in_at);
	html_addf(&c->out, "<h2>%s <span class=\"muted\">@%s</span>%r</h2><table id=\"user\"><tbody>"
		  "<tr><th scope=\"row\">Email</th><td>%s</td></tr><tr><th scope=\"row\">State</th>"
		  "<td>%s</td></tr><tr><th scope=\"row\">Last sign-in</th><td>%s</td></tr>"
		  "</tbody></table>", u->name, u->username,
		  u->is_admin ? " <span class=\"badge\">admin</span>" : "", u->email, u->state,
		  seen.ptr);
	buf_release(&seen);
	if (u->id != c->who.user->id) {
		html_addf(&c->out, "<h2>Administrator</h2><form method=\"post\" action=\"/admin/users/"
			  "%u/%r\">", u->username, u->is_admin ? "unadmin" : "admin");
		web_csrf_field(c);
		html_addf(&c->out, "<button type=\"submit\"%r>%r</button></form>",
			  u->is_admin ? " class=\"danger\"" : "",
			  u->is_admin ? "Remove administrator rights" : "Make administrator");
	}
	html_addf(&c->out, "<h2>Set a new password</h2><p>The user's sessions end; tell them the "
		  "new password.</p><form method=\"post\" action=\"/admin/users/%u/password\" "
		  "class=\"stack\">", u->username);
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"ap-new\">New password</label><input id=\"ap-new\" "
		  "type=\"password\" name=\"user[password]\" autocomplete=\"new-password\" "
		  "minlength=\"%d\" required><label for=\"ap-conf\">Password confirmation</label>"
		  "<input id=\"ap-conf\" type=\"password\" name=\"user[password_confirmation]\" "
		  "autocomplete=\"new-password\" required><button type=\"submit\" class=\"primary\">"
		  "Set password</button></form>", LIMIT_PASSWORD_MIN);
	web_page_end(c, status);
}

static int set_admin(struct web_ctx *c, struct user *u, int admin)
{
	struct user_update up = { NULL, NULL, admin };
	struct buf err = BUF_INIT_MAX(512);
	int ret;

	if (u->id == c->who.user->id)
		return ERR_INVALID;	/* the last admin must not lock everyone out */
	ret = user_update(c->db, u->id, &up, &err);
	buf_release(&err);
	if (ret == 0)
		u->is_admin = admin;
	return ret;
}

static void set_password(struct web_ctx *c, const struct user *u)
{
	const char *pw = web_form_get(c, "user[password]");
	const char *conf = web_form_get(c, "user[password_confirmation]");
	struct buf err = BUF_INIT_MAX(512);
	int ret;

	if (!pw || !conf || strcmp(pw, conf)) {
		user_page(c, u, 422, "error", "Password confirmation doesn't match the password.");
		goto out;
	}
	ret = user_set_password(c->db, u->id, pw, &err);
	if (ret == 0 && u->id != c->who.user->id)
		ret = session_delete_user(c->db, u->id, 0);
	if (ret == ERR_INVALID)
		user_page(c, u, 422, "error", err.len ? err.ptr : "The password was refused.");
	else if (ret < 0)
		web_fail(c, ret);
	else
		user_page(c, u, 200, "notice", "The password was changed.");
out:
	buf_release(&err);
}

int web_admin_user(struct web_ctx *c, const char *sub)
{
	const char *slash = strchr(sub, '/');
	const char *action = slash ? slash + 1 : "";
	char *name = xstrndup(sub, slash ? (size_t)(slash - sub) : strlen(sub));
	struct user *u = NULL;
	int ret;

	if (!c->is_post ? *action : strcmp(action, "admin") && strcmp(action, "unadmin") &&
				     strcmp(action, "password")) {
		free(name);
		return 0;	/* block and unblock are web_admin.c's */
	}
	ret = user_find_by_username(c->db, name, &u);
	if (ret == 0 && c->is_post && strcmp(action, "password"))
		ret = set_admin(c, u, !strcmp(action, "admin"));
	if (ret == ERR_INVALID)
		user_page(c, u, 422, "error", "You cannot change your own administrator rights.");
	else if (ret < 0)
		web_fail(c, ret);
	else if (c->is_post && !strcmp(action, "password"))
		set_password(c, u);
	else
		user_page(c, u, 200, c->is_post ? "notice" : NULL,
			  c->is_post ? "The administrator rights were changed." : NULL);
	user_free(u);
	free(name);
	return 1;
}

/* ---- groups and projects ---- */

static int group_row(const struct namespace *ns, int level, void *ctx)
{
	struct web_ctx *c = ctx;

	(void)level;
	html_addf(&c->out, "<tr><td><a href=\"/%u\">%s</a><br><span class=\"muted\">%s</span></td>"
		  "<td>%s</td><td><a href=\"/groups/%u/-/group_members\">Members</a> <a href=\""
		  "/groups/%u/-/edit\">Settings</a></td></tr>", ns->full_path, ns->name,
		  ns->full_path, ns->visibility, ns->full_path, ns->full_path);
	return 0;
}

void web_admin_groups(struct web_ctx *c)
{
	struct group_filter f = { 0 };
	int64_t page = web_page_param(c), total = 0;
	int ret;

	if (not_admin(c))
		return;
	f.viewer_id = c->who.user->id;
	f.viewer_admin = 1;
	f.all_available = 1;
	f.order_by = "name";
	f.sort_asc = 1;
	web_page_begin(c, "Groups");
	web_admin_nav(c, "groups");
	html_addf(&c->out, "<table id=\"admin-groups\"><thead><tr><th scope=\"col\">Group</th>"
		  "<th scope=\"col\">Visibility</th><th scope=\"col\">Manage</th></tr></thead><tbody>");
	ret = group_list_count(c->db, &f, &total);
	if (ret == 0)
		ret = group_list(c->db, &f, (page - 1) * WEB_ADMIN_PER_PAGE, WEB_ADMIN_PER_PAGE,
				 group_row, c);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	web_pager(c, "/admin/groups", page, total > page * WEB_ADMIN_PER_PAGE);
	web_page_end(c, 200);
}

static int project_row(const struct project *p, int level, void *ctx)
{
	struct web_ctx *c = ctx;
	struct buf full = BUF_INIT, when = BUF_INIT;

	(void)level;
	project_full_path(&full, p);
	web_time(&when, p->last_activity_at);
	html_addf(&c->out, "<tr><td><a href=\"/%u\">%s</a></td><td>%s</td><td class=\"hide-sm\">%s"
		  "</td><td><a href=\"/%u/-/edit\">Settings</a></td></tr>", full.ptr, full.ptr,
		  p->visibility, when.ptr, full.ptr);
	buf_release(&full);
	buf_release(&when);
	return 0;
}

void web_admin_projects(struct web_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;
	int64_t page = web_page_param(c), total = 0;
	int ret;

	if (not_admin(c))
		return;
	f.viewer_id = c->who.user->id;
	f.viewer_admin = 1;
	f.order_by = "id";
	web_page_begin(c, "Projects");
	web_admin_nav(c, "projects");
	html_addf(&c->out, "<table id=\"admin-projects\"><thead><tr><th scope=\"col\">Project</th>"
		  "<th scope=\"col\">Visibility</th><th scope=\"col\" class=\"hide-sm\">Last activity"
		  "</th><th scope=\"col\">Manage</th></tr></thead><tbody>");
	ret = project_list_count(c->db, &f, &total);
	if (ret == 0)
		ret = project_list(c->db, &f, (page - 1) * WEB_ADMIN_PER_PAGE, WEB_ADMIN_PER_PAGE,
				   project_row, c);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	html_addf(&c->out, "</tbody></table>");
	web_pager(c, "/admin/projects", page, total > page * WEB_ADMIN_PER_PAGE);
	web_page_end(c, 200);
}

/* ---- system information ---- */

static void size_text(struct buf *out, int64_t bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(*units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		buf_addf(out, "%lld bytes", (long long)bytes);
	else
		buf_addf(out, "%.1f %s", v, units[u]);
}

static int failed_row(const struct sysinfo_failed_job *j, void *ctx)
{
	struct web_ctx *c = ctx;
	struct buf when = BUF_INIT;

	web_time(&when, j->updated_at);
	html_addf(&c->out, "<tr><td>%D</td><td>%s</td><td>%d</td><td class=\"mono\">%s</td>"
		  "<td class=\"hide-sm\">%s</td></tr>", j->id, j->kind, j->attempts,
		  j->last_error ? j->last_error : "", when.ptr);
	buf_release(&when);
	return 0;
}

void web_admin_system(struct web_ctx *c)
{
	struct sysinfo_jobs jobs = { 0 };
	struct buf dbsize = BUF_INIT, store = BUF_INIT, dir = BUF_INIT;
	int64_t db_bytes = 0, repo_bytes = 0;
	int partial = 0, ret;

	if (not_admin(c))
		return;
	ret = sysinfo_job_counts(c->db, &jobs);
	if (ret == 0)
		ret = sysinfo_db_bytes(c->db, &db_bytes);
	if (ret < 0) {
		web_fail(c, ret);
		goto out;
	}
	size_text(&dbsize, db_bytes);
	buf_addf(&dir, "%s/repositories", repo_store_data_dir());
	if (sysinfo_dir_bytes(dir.ptr, WEB_ADMIN_STORAGE_ENTRIES, &repo_bytes, &partial) < 0) {
		buf_addstr(&store, "unknown");
	} else {
		size_text(&store, repo_bytes);
		if (partial)
			buf_addstr(&store, " (at least; too many files to count all)");
	}
	web_page_begin(c, "System information");
	web_admin_nav(c, "system");
	html_addf(&c->out, "<table id=\"system\"><tbody><tr><th scope=\"row\">Version</th><td>"
		  KURA_VERSION "</td></tr><tr><th scope=\"row\">Database</th><td>%r, %s</td></tr>"
		  "<tr><th scope=\"row\">Repository storage</th><td>%s</td></tr>"
		  "<tr><th scope=\"row\">Jobs waiting</th><td id=\"jobs-pending\">%D</td></tr>"
		  "<tr><th scope=\"row\">Jobs failed</th><td id=\"jobs-failed\">%D</td></tr>"
		  "</tbody></table><h2>Recent failed jobs</h2>",
		  db_dialect(c->db) == DB_SQLITE ? "SQLite" : "PostgreSQL", dbsize.ptr, store.ptr,
		  jobs.pending, jobs.failed);
	if (!jobs.failed) {
		html_addf(&c->out, "<p class=\"muted\">No failed jobs.</p>");
	} else {
		html_addf(&c->out, "<table id=\"failed-jobs\"><thead><tr><th scope=\"col\">Id</th>"
			  "<th scope=\"col\">Kind</th><th scope=\"col\">Attempts</th><th scope=\"col\">"
			  "Last error</th><th scope=\"col\" class=\"hide-sm\">Time</th></tr></thead>"
			  "<tbody>");
		ret = sysinfo_failed_jobs(c->db, WEB_ADMIN_FAILED_JOBS, failed_row, c);
		html_addf(&c->out, "</tbody></table>");
	}
	if (ret < 0)
		web_fail(c, ret);
	else
		web_page_end(c, 200);
out:
	buf_release(&dbsize);
	buf_release(&store);
	buf_release(&dir);
}
