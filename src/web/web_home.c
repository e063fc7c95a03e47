/* Lists and creation forms: the dashboard (your projects and groups),
 * explore (everything visible), namespace pages, new group, new project. */
#include "web_ctx.h"
#include "auth/perms.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "model/group_list.h"
#include "model/member.h"
#include "model/names.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/project_list.h"
#include "model/user.h"

#include <stdlib.h>
#include <string.h>

#define WEB_LIST_PER_PAGE 20
#define WEB_NAMESPACES_MAX 200	/* namespaces offered in the new-project form */

static const char *const visibilities[] = { "private", "internal", "public" };

static int project_item(const struct project *p, int level, void *ctx)
{
	struct web_ctx *c = ctx;
	struct buf full = BUF_INIT;

	project_full_path(&full, p);
	html_addf(&c->out, "<li><a href=\"/%u\"><strong>%s</strong> <span class=\"muted\">/ %s"
		  "</span></a> <span class=\"badge\">%s</span>", full.ptr, p->namespace_name, p->name,
		  p->visibility);
	if (level)
		html_addf(&c->out, " <span class=\"badge\">%s</span>", web_level_name(level));
	if (p->description && *p->description)
		html_addf(&c->out, "<br><span class=\"muted\">%s</span>", p->description);
	html_addf(&c->out, "</li>");
	buf_release(&full);
	return 0;
}

static void project_list_page(struct web_ctx *c, struct project_filter *f, const char *url)
{
	int64_t page = web_page_param(c), total = 0;
	const char *search = http_query(c->req, "search");
	int ret;

	f->viewer_id = c->who.user ? c->who.user->id : 0;
	f->viewer_admin = principal_is_admin(&c->who) && !f->membership;
	f->search = search && *search ? search : NULL;
	ret = project_list_count(c->db, f, &total);
	html_addf(&c->out, "<form method=\"get\" class=\"toolbar\"><label for=\"p-search\">Filter"
		  "</label><input id=\"p-search\" name=\"search\" value=\"%s\"><button type=\"submit\">"
		  "Search</button></form>", search ? search : "");
	if (ret == 0 && total == 0)
		html_addf(&c->out, "<p class=\"muted\">No projects yet.</p>");
	if (ret == 0 && total > 0) {
		html_addf(&c->out, "<ul class=\"list\">");
		ret = project_list(c->db, f, (page - 1) * WEB_LIST_PER_PAGE, WEB_LIST_PER_PAGE,
				   project_item, c);
		html_addf(&c->out, "</ul>");
	}
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	web_pager(c, url, page, total > page * WEB_LIST_PER_PAGE);
	web_page_end(c, 200);
}

void web_dashboard(struct web_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;

	if (web_require_user(c))
		return;
	web_page_begin(c, "Your projects");
	html_addf(&c->out, "<div class=\"toolbar\"><h1>Your projects</h1><span class=\"grow\">"
		  "</span><a class=\"button\" href=\"/projects/new\">New project</a></div>");
	f.membership = 1;
	f.order_by = "last_activity_at";
	project_list_page(c, &f, "/dashboard/projects");
}

void web_explore(struct web_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;

	web_page_begin(c, "Explore projects");
	html_addf(&c->out, "<h1>Explore projects</h1>");
	f.order_by = "last_activity_at";
	project_list_page(c, &f, "/explore/projects");
}

static int group_item(const struct namespace *ns, int level, void *ctx)
{
	struct web_ctx *c = ctx;

	html_addf(&c->out, "<li><a href=\"/%u\"><strong>%s</strong></a> <span class=\"muted\">%s"
		  "</span> <span class=\"badge\">%s</span>", ns->full_path, ns->name, ns->full_path,
		  ns->visibility);
	if (level)
		html_addf(&c->out, " <span class=\"badge\">%s</span>", web_level_name(level));
	html_addf(&c->out, "</li>");
	return 0;
}

static void group_list_page(struct web_ctx *c, struct group_filter *f, const char *url)
{
	int64_t page = web_page_param(c), total = 0;
	int ret;

	f->viewer_id = c->who.user ? c->who.user->id : 0;
	f->viewer_admin = principal_is_admin(&c->who) && f->all_available;
	f->order_by = "name";
	f->sort_asc = 1;
	ret = group_list_count(c->db, f, &total);
	if (ret == 0 && total == 0)
		html_addf(&c->out, "<p class=\"muted\">No groups yet.</p>");
	if (ret == 0 && total > 0) {
		html_addf(&c->out, "<ul class=\"list\">");
		ret = group_list(c->db, f, (page - 1) * WEB_LIST_PER_PAGE, WEB_LIST_PER_PAGE,
				 group_item, c);
		html_addf(&c->out, "</ul>");
	}
	if (ret < 0) {
		web_fail(c, ret);
		return;
	}
	web_pager(c, url, page, total > page * WEB_LIST_PER_PAGE);
	web_page_end(c, 200);
}

void web_dashboard_groups(struct web_ctx *c)
{
	struct group_filter f = { 0 };

	if (web_require_user(c))
		return;
	web_page_begin(c, "Your groups");
	html_addf(&c->out, "<div class=\"toolbar\"><h1>Your groups</h1><span class=\"grow\"></span>"
		  "<a class=\"button\" href=\"/groups/new\">New group</a></div>");
	group_list_page(c, &f, "/dashboard/groups");
}

void web_explore_groups(struct web_ctx *c)
{
	struct group_filter f = { 0 };

	f.all_available = 1;
	web_page_begin(c, "Explore groups");
	html_addf(&c->out, "<h1>Explore groups</h1>");
	group_list_page(c, &f, "/explore/groups");
}

/* /GROUP or /USERNAME: its subgroups and projects. */
void web_namespace_show(struct web_ctx *c)
{
	struct project_filter f = PROJECT_FILTER_INIT;
	struct group_filter gf = { 0 };
	const struct namespace *ns = c->ns;
	struct buf url = BUF_INIT;
	int64_t total = 0;

	web_page_begin(c, ns->name);
	html_addf(&c->out, "<div class=\"toolbar\"><h1>%s</h1><span class=\"badge\">%s</span>",
		  ns->name, !strcmp(ns->kind, "group") ? ns->visibility : "user");
	if (!strcmp(ns->kind, "group") && c->level >= ACCESS_MAINTAINER)
		html_addf(&c->out, "<span class=\"grow\"></span><a class=\"button\" "
			  "href=\"/groups/new?parent_id=%D\">New subgroup</a><a class=\"button\" "
			  "href=\"/projects/new?namespace_id=%D\">New project</a>", ns->id, ns->id);
	html_addf(&c->out, "</div>");
	if (ns->description && *ns->description)
		html_addf(&c->out, "<p class=\"desc\">%s</p>", ns->description);
	if (!strcmp(ns->kind, "group")) {
		gf.viewer_id = c->who.user ? c->who.user->id : 0;
		gf.viewer_admin = principal_is_admin(&c->who);
		gf.all_available = 1;
		gf.parent_id = ns->id;
		gf.order_by = "name";
		gf.sort_asc = 1;
		if (group_list_count(c->db, &gf, &total) == 0 && total > 0) {
			html_addf(&c->out, "<h2>Subgroups</h2><ul class=\"list\">");
			(void)group_list(c->db, &gf, 0, 100, group_item, c);
			html_addf(&c->out, "</ul>");
		}
	}
	html_addf(&c->out, "<h2>Projects</h2>");
	f.namespace_id = ns->id;
	f.order_by = "name";
	f.sort_asc = 1;
	html_addf(&url, "/%u", ns->full_path);
	project_list_page(c, &f, url.ptr);
	buf_release(&url);
}

static void visibility_select(struct web_ctx *c, const char *current)
{
	html_addf(&c->out, "<label for=\"f-vis\">Visibility</label><select id=\"f-vis\" "
		  "name=\"visibility\">");
	for (size_t i = 0; i < 3; i++)
		html_addf(&c->out, "<option value=\"%s\"%r>%s</option>", visibilities[i],
			  current && !strcmp(current, visibilities[i]) ? " selected" : "",
			  visibilities[i]);
	html_addf(&c->out, "</select>");
}

static int64_t id_field(const char *s)
{
	uint64_t v = 0;

	if (!s || parse_u64(s, INT64_MAX, &v) < 0)
		return 0;
	return (int64_t)v;
}

static void group_form(struct web_ctx *c, int status, const char *error)
{
	const char *parent = c->is_post ? web_form_get(c, "parent_id")
					: http_query(c->req, "parent_id");

	web_page_begin(c, "New group");
	html_addf(&c->out, "<h1>New group</h1>");
	if (error)
		web_flash(c, "error", error);
	html_addf(&c->out, "<form method=\"post\" action=\"/groups\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<input type=\"hidden\" name=\"parent_id\" value=\"%s\">"
		  "<label for=\"f-name\">Group name</label><input id=\"f-name\" name=\"name\" "
		  "required value=\"%s\"><label for=\"f-path\">Group URL</label><input id=\"f-path\" "
		  "name=\"path\" required pattern=\"[A-Za-z0-9_][A-Za-z0-9_.\\-]*\" value=\"%s\">"
		  "<label for=\"f-desc\">Description</label><textarea id=\"f-desc\" "
		  "name=\"description\">%s</textarea>", parent ? parent : "",
		  web_form_get(c, "name"), web_form_get(c, "path"), web_form_get(c, "description"));
	visibility_select(c, web_form_get(c, "visibility"));
	html_addf(&c->out, "<button type=\"submit\" class=\"primary\">Create group</button></form>");
	web_page_end(c, status);
}

/* Subgroups need Maintainer in the parent, as the API requires. */
static int parent_check(struct web_ctx *c, int64_t parent_id)
{
	struct namespace *ns = NULL;
	int level = 0;
	int ret = namespace_find(c->db, parent_id, &ns);

	if (ret == 0 && strcmp(ns->kind, "group"))
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = perms_group_read(c->db, &c->who, ns, &level);
	if (ret == 0 && level < ACCESS_MAINTAINER)
		ret = ERR_DENIED;
	namespace_free(ns);
	return ret;
}

void web_group_new(struct web_ctx *c)
{
	struct group_req req = { 0 };
	struct buf err = BUF_INIT_MAX(512), to = BUF_INIT;
	struct namespace *ns = NULL;
	int64_t id = 0;
	int ret;

	if (web_require_user(c))
		return;
	if (!c->is_post) {
		group_form(c, 200, NULL);
		return;
	}
	req.name = web_form_get(c, "name");
	req.path = web_form_get(c, "path");
	req.description = web_form_get(c, "description");
	req.visibility = web_form_get(c, "visibility");
	req.parent_id = id_field(web_form_get(c, "parent_id"));
	req.creator_id = c->who.user->id;
	if (!req.name || !req.path || !req.visibility || names_check_visibility(req.visibility) < 0) {
		group_form(c, 422, "Enter a name, a URL and a visibility.");
		goto out;
	}
	ret = req.parent_id ? parent_check(c, req.parent_id) : 0;
	if (ret == 0)
		ret = group_create(c->db, &req, &id, &err);
	if (ret == 0)
		ret = namespace_find(c->db, id, &ns);
	if (ret == ERR_INVALID || ret == ERR_EXISTS) {
		group_form(c, 422, ret == ERR_EXISTS ? "That group URL is already taken." : err.ptr);
	} else if (ret < 0) {
		web_fail(c, ret == ERR_DENIED ? ERR_NOTFOUND : ret);
	} else {
		html_addf(&to, "/%u", ns->full_path);
		web_redirect(c, to.ptr);
	}
out:
	namespace_free(ns);
	buf_release(&err);
	buf_release(&to);
}

static int namespace_option(const struct namespace *ns, void *ctx)
{
	struct web_ctx *c = ctx;
	const char *want = c->is_post ? web_form_get(c, "namespace_id")
				      : http_query(c->req, "namespace_id");

	html_addf(&c->out, "<option value=\"%D\"%r>%s</option>", ns->id,
		  want && id_field(want) == ns->id ? " selected" : "", ns->full_path);
	return 0;
}

static void project_form(struct web_ctx *c, int status, const char *error)
{
	web_page_begin(c, "New project");
	html_addf(&c->out, "<h1>New project</h1>");
	if (error)
		web_flash(c, "error", error);
	html_addf(&c->out, "<form method=\"post\" action=\"/projects\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"f-ns\">Namespace</label><select id=\"f-ns\" "
		  "name=\"namespace_id\">");
	(void)namespace_list(c->db, c->who.user->id, 0, NULL, 0, WEB_NAMESPACES_MAX,
			     namespace_option, c);
	html_addf(&c->out, "</select><label for=\"f-name\">Project name</label><input id=\"f-name\" "
		  "name=\"name\" required value=\"%s\"><label for=\"f-path\">Project slug "
		  "(optional)</label><input id=\"f-path\" name=\"path\" value=\"%s\">"
		  "<label for=\"f-desc\">Description</label><textarea id=\"f-desc\" "
		  "name=\"description\">%s</textarea>", web_form_get(c, "name"),
		  web_form_get(c, "path"), web_form_get(c, "description"));
	visibility_select(c, web_form_get(c, "visibility"));
	html_addf(&c->out, "<button type=\"submit\" class=\"primary\">Create project</button></form>");
	web_page_end(c, status);
}

/* Personal namespaces belong to their user; groups need Developer, as the
 * API requires. */
static int target_namespace(struct web_ctx *c, int64_t id, struct namespace **out)
{
	struct namespace *ns = NULL;
	int level = 0;
	int ret = namespace_find(c->db, id ? id : c->who.user->namespace_id, &ns);

	if (ret == 0 && !strcmp(ns->kind, "user")) {
		if (ns->owner_id != c->who.user->id && !c->who.user->is_admin)
			ret = ERR_NOTFOUND;
	} else if (ret == 0) {
		ret = perms_group_read(c->db, &c->who, ns, &level);
		if (ret == 0 && level < ACCESS_DEVELOPER)
			ret = ERR_NOTFOUND;
	}
	if (ret < 0)
		namespace_free(ns);
	else
		*out = ns;
	return ret;
}

void web_project_new(struct web_ctx *c)
{
	struct project_req req = { 0 };
	struct namespace *ns = NULL;
	struct project *p = NULL;
	struct buf err = BUF_INIT_MAX(512), to = BUF_INIT;
	int64_t id = 0;
	int ret;

	if (web_require_user(c))
		return;
	if (!c->is_post) {
		project_form(c, 200, NULL);
		return;
	}
	req.name = web_form_get(c, "name");
	req.path = web_form_get(c, "path");
	if (req.path && !*req.path)
		req.path = NULL;
	req.description = web_form_get(c, "description");
	req.visibility = web_form_get(c, "visibility");
	if (!req.name || !*req.name || !req.visibility || names_check_visibility(req.visibility) < 0) {
		project_form(c, 422, "Enter a name and a visibility.");
		goto out;
	}
	ret = target_namespace(c, id_field(web_form_get(c, "namespace_id")), &ns);
	if (ret == 0) {
		req.namespace_id = ns->id;
		req.creator_id = c->who.user->id;
		ret = project_create_owned(c->db, &req, ns, &id, &err);
	}
	if (ret == 0)
		ret = project_find(c->db, id, &p);
	if (ret == ERR_INVALID || ret == ERR_EXISTS) {
		project_form(c, 422, ret == ERR_EXISTS ? "That project URL is already taken." : err.ptr);
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		buf_addch(&to, '/');
		project_full_path(&to, p);
		web_redirect(c, to.ptr);
	}
out:
	namespace_free(ns);
	project_free(p);
	buf_release(&err);
	buf_release(&to);
}
