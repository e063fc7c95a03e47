/* What the page files share: the per-request context, the dispatch table
 * format, layout, forms, cookies, CSRF and the project page frame.
 *
 * A handler gets a context whose caller is resolved from the session
 * cookie, whose POST form is parsed and whose CSRF token was checked, and
 * answers exactly once: a page (web_page_begin … web_page_end), a redirect,
 * an error page, or a download. Pages are written into c->out with
 * html_addf, which escapes by default. */
#ifndef KURA_WEB_CTX_H
#define KURA_WEB_CTX_H
#include <stddef.h>
#include <stdint.h>

#include "auth/authn.h"
#include "core/buf.h"
#include "http/http.h"
#include "core/html.h"

struct app;
struct db;
struct http_req;
struct namespace;
struct project;
struct session;

#define WEB_FORM_FIELDS_MAX 200
#define WEB_SESSION_COOKIE "_kura_session"
#define WEB_CSRF_COOKIE "_kura_csrf"	/* double-submit token before sign-in */
#define WEB_CSRF_FIELD "authenticity_token"

struct web_field {
	char *name, *value;
};

struct web_ctx {
	struct http_req *req;
	struct app *app;
	struct db *db;
	struct principal who;		/* anonymous unless a live session names a user */
	struct session *sess;		/* NULL when signed out */
	struct buf csrf;		/* the token forms must carry */
	int is_post;			/* POST (state changes), else GET or HEAD */
	struct web_field *form;		/* decoded POST fields */
	size_t nform;
	struct buf out;			/* the page being written */
	const char *path;		/* raw request path */
	const char *args[4];		/* decoded pieces the dispatcher captured */
	/* Project pages: the project, the caller's level and the part after /-/. */
	struct project *proj;
	struct namespace *ns;		/* namespace pages */
	int level;
	const char *rest;		/* raw, after "/-/", without a leading '/' */
	struct buf base;		/* "/group/project" (URL-safe by name rules) */
};

/* --- layout (web_layout.c) ----------------------------------------------- */
/* Starts a page: document head, header with navigation, <main>. */
void web_page_begin(struct web_ctx *c, const char *title);
/* Closes the page and answers with status and the security headers. */
void web_page_end(struct web_ctx *c, int status);
/* A friendly error page for 400/403/404/422/429/500/503. */
void web_error(struct web_ctx *c, int status, const char *text);
/* Answers a negative ERR_* code with its page; internal errors logged once. */
void web_fail(struct web_ctx *c, int ret);
/* 303 to a local path (anything else becomes "/"). */
void web_redirect(struct web_ctx *c, const char *local_path);
/* Content-Security-Policy, Referrer-Policy and friends, for every answer. */
void web_security_headers(struct web_ctx *c);
/* <input type=hidden> with the CSRF token. */
void web_csrf_field(struct web_ctx *c);
/* A notice or an error banner (text escaped). */
void web_flash(struct web_ctx *c, const char *kind, const char *text);
/* "2024-01-31 12:00 UTC" */
void web_time(struct buf *out, int64_t ms);
const char *web_level_name(int level);
/* Starts a project page: project title, clone box and tabs; tab is the
 * active one ("files", "commits", "branches", "tags", "settings"). */
void web_project_begin(struct web_ctx *c, const char *title, const char *tab);
/* Pagination links: "?page=N" with extra query parameters kept. */
void web_pager(struct web_ctx *c, const char *url, int64_t page, int more);
/* The page number from ?page=, 1 when absent or junk (capped). */
int64_t web_page_param(struct web_ctx *c);

/* --- forms, cookies, CSRF (web_form.c) ----------------------------------- */
/* Parses an application/x-www-form-urlencoded body into c->form.
 * ERR_INVALID for malformed escapes or too many fields. */
int web_form_parse(struct web_ctx *c);
/* The decoded field, or NULL. */
const char *web_form_get(const struct web_ctx *c, const char *name);
/* The named cookie from the request, or NULL (borrowed). */
const char *web_cookie(struct web_ctx *c, const char *name);
/* Set-Cookie with HttpOnly, SameSite=Lax, Path=/ and Secure when the
 * external URL is https; max_age_s < 0 for a session cookie, 0 to delete. */
void web_set_cookie(struct web_ctx *c, const char *name, const char *value, int64_t max_age_s);
/* The request's form token matches the session's (or, signed out, the
 * double-submit cookie's). */
int web_csrf_ok(struct web_ctx *c);
/* Makes sure a signed-out visitor has a CSRF cookie, setting one if needed,
 * and puts its value into c->csrf. */
void web_csrf_anon(struct web_ctx *c);

/* --- sessions (web_session.c) -------------------------------------------- */
/* Resolves the session cookie into c->who and c->sess. */
int web_session_load(struct web_ctx *c);
void web_sign_in(struct web_ctx *c);
void web_sign_out(struct web_ctx *c);
/* Sends signed-out visitors to the sign-in page (returns 1 when it did). */
int web_require_user(struct web_ctx *c);
/* "Forgot your password?" (web_password_reset.c): the request form and the
 * set-password form behind the mailed link. */
void web_password_new(struct web_ctx *c);
void web_password_edit(struct web_ctx *c);

/* --- markdown (web_markdown.c) ------------------------------------------- */
/* Where relative links of a Markdown file point: URL-escaped prefixes
 * ending in '/', for the file's directory and the ref's root. */
struct web_md_links {
	const char *blob_dir, *raw_dir, *blob_root, *raw_root;
};
/* GitHub-flavoured Markdown to safe HTML: raw HTML and unsafe URLs are
 * dropped; relative links resolve inside the repository (links NULL: left
 * alone). */
void web_markdown(struct buf *out, const char *md, size_t len, const struct web_md_links *links);
/* The link prefixes for a Markdown file in dir (NULL or "" the root) at ref;
 * release the four buffers with web_md_links_release. */
void web_md_links_init(struct web_ctx *c, struct web_md_links *l, struct buf bufs[4],
		       const char *ref, const char *dir);
void web_md_links_release(struct buf bufs[4]);
int web_is_markdown(const char *name);

/* --- pages ---------------------------------------------------------------- */
void web_dashboard(struct web_ctx *c);
void web_dashboard_groups(struct web_ctx *c);
void web_explore(struct web_ctx *c);
void web_explore_groups(struct web_ctx *c);
void web_namespace_show(struct web_ctx *c);
void web_group_new(struct web_ctx *c);
void web_project_new(struct web_ctx *c);

void web_project_show(struct web_ctx *c);
void web_tree(struct web_ctx *c);
void web_blob(struct web_ctx *c);
void web_raw(struct web_ctx *c);
void web_commits(struct web_ctx *c);
void web_commit(struct web_ctx *c);
void web_compare(struct web_ctx *c);
void web_branches(struct web_ctx *c);
void web_tags(struct web_ctx *c);
void web_archive(struct web_ctx *c);

/* 1 when the caller may change the project's settings (Maintainer+); else
 * answers (sign-in redirect or 404) and returns 0. */
int web_settings_allowed(struct web_ctx *c);
void web_settings_nav(struct web_ctx *c, const char *cur);
void web_settings_general(struct web_ctx *c);
void web_settings_members(struct web_ctx *c);
void web_settings_repository(struct web_ctx *c);
void web_settings_hooks(struct web_ctx *c);

void web_profile_password(struct web_ctx *c);
void web_profile_tokens(struct web_ctx *c);

/* Activity, group members and settings, more project settings, SSH keys
 * and authorised applications, the rest of the admin area. */
void web_dashboard_activity(struct web_ctx *c);
void web_group_members(struct web_ctx *c);
void web_group_settings(struct web_ctx *c);
void web_settings_advanced(struct web_ctx *c);
void web_settings_mirror(struct web_ctx *c);
/* The mirror's state as a line under the project title (nothing when the
 * project is not a mirror). */
void web_mirror_banner(struct web_ctx *c);
/* The user-settings tab bar; cur is "tokens", "password", "keys" or
 * "applications". */
void web_profile_nav(struct web_ctx *c, const char *cur);
void web_profile_keys(struct web_ctx *c);
void web_profile_applications(struct web_ctx *c);
/* The admin area's tab bar. */
void web_admin_nav(struct web_ctx *c, const char *cur);
/* /admin/users/NAME and its admin, unadmin and password POSTs; 0 when sub
 * is none of these (block and unblock), having answered nothing. */
int web_admin_user(struct web_ctx *c, const char *sub);
void web_admin_groups(struct web_ctx *c);
void web_admin_projects(struct web_ctx *c);
void web_admin_system(struct web_ctx *c);

void web_admin(struct web_ctx *c);
void web_admin_users(struct web_ctx *c);

/* --- shared by the code pages (web_project.c) ----------------------------- */
struct repo;
/* Splits "REF/PATH" into the longest prefix naming a ref (or a commit id) and
 * the path after it, both decoded. ERR_NOTFOUND when no prefix resolves. */
int web_ref_split(struct web_ctx *c, struct repo *r, const char *raw, char **ref_out,
		  char **path_out, char commit_out[41]);
/* Opens the project's repository, answering 404 itself on failure. */
int web_repo_open(struct web_ctx *c, struct repo **out);
/* Breadcrumb "project / dir / file" linking each level of the tree. */
void web_breadcrumb(struct web_ctx *c, const char *ref, const char *path);

/* The static assets (web_static.c). */
extern const char web_css[];
extern const char web_js[];

#endif
