/* The web UI's dispatcher: resolves the caller from the session cookie,
 * parses and CSRF-checks POST forms, then finds the page by GitLab's URL
 * scheme: fixed pages first (/users/sign_in, /dashboard, /admin …), then
 * /NAMESPACE/PROJECT[/-/ACTION…] and /GROUP. */
#include "web.h"
#include "web_ctx.h"
#include "app.h"
#include "auth/perms.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/session.h"
#include "model/user.h"

#include <stdlib.h>
#include <string.h>

enum web_flags {
	WEB_GET = 1 << 0,
	WEB_POST = 1 << 1,
	WEB_PREFIX = 1 << 2,	/* pattern matches the path and anything below it */
};

struct web_page {
	const char *pattern;
	unsigned flags;
	void (*handler)(struct web_ctx *c);
};

static void web_static(struct web_ctx *c)
{
	const char *name = c->path + strlen("/-/static/");
	const char *type, *body;

	if (!strcmp(name, "kura.css")) {
		type = "text/css; charset=utf-8";
		body = web_css;
	} else if (!strcmp(name, "kura.js")) {
		type = "text/javascript; charset=utf-8";
		body = web_js;
	} else {
		web_error(c, 404, NULL);
		return;
	}
	web_security_headers(c);
	http_add_header(c->req, "Cache-Control", "public, max-age=3600");
	http_respond(c->req, 200, type, body, strlen(body));
}

static void web_root(struct web_ctx *c)
{
	if (c->who.user)
		web_dashboard(c);
	else
		web_redirect(c, "/users/sign_in");
}

/* Fixed pages, tried in order before namespace paths. */
static const struct web_page fixed_pages[] = {
	{ "/", WEB_GET, web_root },
	{ "/users/sign_in", WEB_GET | WEB_POST, web_sign_in },
	{ "/users/sign_out", WEB_POST, web_sign_out },
	{ "/users/password/new", WEB_GET, web_password_new },
	{ "/users/password", WEB_POST, web_password_new },
	{ "/users/password/edit", WEB_GET | WEB_POST, web_password_edit },
	{ "/dashboard", WEB_GET, web_dashboard },
	{ "/dashboard/projects", WEB_GET, web_dashboard },
	{ "/dashboard/groups", WEB_GET, web_dashboard_groups },
	{ "/dashboard/activity", WEB_GET, web_dashboard_activity },
	{ "/explore", WEB_GET, web_explore },
	{ "/explore/projects", WEB_GET, web_explore },
	{ "/explore/groups", WEB_GET, web_explore_groups },
	{ "/projects/new", WEB_GET, web_project_new },
	{ "/projects", WEB_POST, web_project_new },
	{ "/groups/new", WEB_GET, web_group_new },
	{ "/groups", WEB_POST, web_group_new },
	{ "/-/profile/password", WEB_GET | WEB_POST | WEB_PREFIX, web_profile_password },
	{ "/-/profile/personal_access_tokens", WEB_GET | WEB_POST | WEB_PREFIX,
	  web_profile_tokens },
	{ "/-/profile/keys", WEB_GET | WEB_POST | WEB_PREFIX, web_profile_keys },
	{ "/-/profile/applications", WEB_GET | WEB_POST | WEB_PREFIX, web_profile_applications },
	{ "/-/static", WEB_GET | WEB_PREFIX, web_static },
	{ "/admin", WEB_GET, web_admin },
	{ "/admin/users", WEB_GET | WEB_POST | WEB_PREFIX, web_admin_users },
	{ "/admin/groups", WEB_GET, web_admin_groups },
	{ "/admin/projects", WEB_GET, web_admin_projects },
	{ "/admin/system_info", WEB_GET, web_admin_system },
};

/* Pages below /NAMESPACE/PROJECT/-/. */
static const struct web_page project_pages[] = {
	{ "tree", WEB_GET | WEB_PREFIX, web_tree },
	{ "blob", WEB_GET | WEB_PREFIX, web_blob },
	{ "raw", WEB_GET | WEB_PREFIX, web_raw },
	{ "commits", WEB_GET | WEB_PREFIX, web_commits },
	{ "commit", WEB_GET | WEB_PREFIX, web_commit },
	{ "compare", WEB_GET | WEB_PREFIX, web_compare },
	{ "branches", WEB_GET, web_branches },
	{ "tags", WEB_GET, web_tags },
	{ "archive", WEB_GET | WEB_PREFIX, web_archive },
	{ "edit", WEB_GET | WEB_POST | WEB_PREFIX, web_settings_general },
	{ "project_members", WEB_GET | WEB_POST | WEB_PREFIX, web_settings_members },
	{ "settings/repository", WEB_GET | WEB_POST | WEB_PREFIX, web_settings_repository },
	{ "hooks", WEB_GET | WEB_POST | WEB_PREFIX, web_settings_hooks },
	{ "settings/advanced", WEB_GET | WEB_POST | WEB_PREFIX, web_settings_advanced },
	{ "settings/mirror", WEB_GET, web_settings_mirror },
};

/* Pages below /groups/GROUP/-/ (and /GROUP/-/). */
static const struct web_page group_pages[] = {
	{ "group_members", WEB_GET | WEB_POST | WEB_PREFIX, web_group_members },
	{ "edit", WEB_GET | WEB_POST | WEB_PREFIX, web_group_settings },
};

static int page_matches(const struct web_page *pg, const char *path)
{
	size_t n = strlen(pg->pattern);

	if (strncmp(path, pg->pattern, n))
		return 0;
	if (path[n] == '\0')
		return 1;
	return (pg->flags & WEB_PREFIX) && path[n] == '/';
}

/* 1 when a page claimed the path (and answered, perhaps 405). */
static int dispatch(struct web_ctx *c, const struct web_page *pages, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		if (!page_matches(&pages[i], path))
			continue;
		if (!(pages[i].flags & (c->is_post ? WEB_POST : WEB_GET))) {
			http_add_header(c->req, "Allow", c->is_post ? "GET, HEAD" : "POST");
			web_error(c, 405, "This address does not accept that kind of request.");
			return 1;
		}
		pages[i].handler(c);
		return 1;
	}
	return 0;
}

static void dispatch_project(struct web_ctx *c, const char *full)
{
	int ret = project_find_by_full_path(c->db, full, &c->proj);

	if (ret == 0)
		ret = perms_project_read(c->db, &c->who, c->proj, &c->level);
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	buf_addch(&c->base, '/');
	project_full_path(&c->base, c->proj);
	if (!c->rest || !*c->rest) {
		web_project_show(c);
		return;
	}
	if (!dispatch(c, project_pages, sizeof(project_pages) / sizeof(*project_pages), c->rest))
		web_error(c, 404, NULL);
}

/* /NAMESPACE/PROJECT/-/…, /NAMESPACE/PROJECT, /GROUP and /groups/GROUP/-/…:
 * the project first, then the namespace. Path pieces are never decoded:
 * real names need no escapes, so '%' simply finds nothing. */
static void dispatch_path(struct web_ctx *c)
{
	const char *p = c->path + 1;
	const char *dash = strstr(p, "/-/");
	struct buf full = BUF_INIT_MAX(LIMIT_FULL_PATH);
	struct project *probe = NULL;
	int ret;

	if (!strncmp(p, "groups/", 7))
		p += 7;
	buf_add(&full, p, dash ? (size_t)(dash - p) : strlen(p));
	while (full.len && full.ptr[full.len - 1] == '/')
		buf_truncate(&full, full.len - 1);
	if (buf_error(&full) || !full.len) {
		web_error(c, 404, NULL);
		goto out;
	}
	c->rest = dash ? dash + 3 : NULL;
	if (!c->rest && !c->is_post && full.len > 4 && !strcmp(full.ptr + full.len - 4, ".git")) {
		/* A clone URL pasted into the browser: the project page. */
		struct buf to = BUF_INIT;

		buf_addch(&to, '/');
		buf_add(&to, full.ptr, full.len - 4);
		web_redirect(c, to.ptr);
		buf_release(&to);
		goto out;
	}
	ret = project_find_by_full_path(c->db, full.ptr, &probe);
	project_free(probe);
	if (ret == 0) {
		dispatch_project(c, full.ptr);
		goto out;
	}
	if (ret != ERR_NOTFOUND) {
		web_fail(c, ret);
		goto out;
	}
	ret = namespace_find_by_full_path(c->db, full.ptr, &c->ns);
	if (ret == 0 && c->rest && strcmp(c->ns->kind, "group"))
		ret = ERR_NOTFOUND;
	if (ret == 0 && !strcmp(c->ns->kind, "group"))
		ret = perms_group_read(c->db, &c->who, c->ns, &c->level);
	if (ret < 0) {
		web_fail(c, ret);
		goto out;
	}
	if (c->rest) {
		buf_addf(&c->base, "/groups/%s", c->ns->full_path);
		if (!dispatch(c, group_pages, sizeof(group_pages) / sizeof(*group_pages), c->rest))
			web_error(c, 404, NULL);
		goto out;
	}
	if (c->is_post)
		web_error(c, 405, NULL);
	else
		web_namespace_show(c);
out:
	buf_release(&full);
}

/* The catch-all: everything the routes before it left. */
static int web_match(struct http_req *req)
{
	(void)req;
	return 1;
}

static void web_ctx_release(struct web_ctx *c)
{
	for (size_t i = 0; i < c->nform; i++) {
		free(c->form[i].name);
		free(c->form[i].value);
	}
	free(c->form);
	free(c->sess);
	principal_release(&c->who);
	project_free(c->proj);
	namespace_free(c->ns);
	buf_release(&c->csrf);
	buf_release(&c->out);
	buf_release(&c->base);
	for (size_t i = 0; i < sizeof(c->args) / sizeof(*c->args); i++)
		free((char *)c->args[i]);
}

static void web_end(struct http_req *req)
{
	struct web_ctx c = { 0 };
	const char *m = http_method(req);
	struct app *app = req->app;

	c.req = req;
	c.app = app;
	c.path = http_path(req);
	buf_init(&c.csrf, 128);
	buf_init(&c.out, SIZE_MAX - 1);
	buf_init(&c.base, LIMIT_FULL_PATH + 2);
	c.is_post = !strcmp(m, "POST");
	if (!c.is_post && strcmp(m, "GET") && strcmp(m, "HEAD")) {
		http_add_header(req, "Allow", "GET, HEAD, POST");
		web_error(&c, 405, NULL);
		goto out;
	}
	if (strlen(c.path) > LIMIT_URL_PATH) {
		web_error(&c, 414, "That address is too long.");
		goto out;
	}
	c.db = db_get(app->pool);
	if (!c.db) {
		web_error(&c, 503, NULL);
		goto out;
	}
	if (web_session_load(&c) < 0) {
		web_error(&c, 503, NULL);
		goto out;
	}
	req->user_id = c.who.user ? c.who.user->id : 0;
	if (c.is_post) {
		if (web_form_parse(&c) < 0) {
			web_error(&c, 400, "The form could not be read.");
			goto out;
		}
		if (!web_csrf_ok(&c)) {
			log_info("web", "csrf token refused path=\"%.128s\"", c.path);
			web_error(&c, 422, "The form expired or did not come from this site. "
				  "Reload the page and try again.");
			goto out;
		}
	}
	if (!dispatch(&c, fixed_pages, sizeof(fixed_pages) / sizeof(*fixed_pages), c.path))
		dispatch_path(&c);
out:
	if (c.db)
		db_put(app->pool, c.db);
	web_ctx_release(&c);
}

const struct http_route web_routes[] = {
	{ .name = "web", .match = web_match, .end = web_end, .body_max = LIMIT_FORM_BODY },
};
