/* The page frame every page shares, error pages, redirects and the headers
 * that keep browsers from running or framing anything we did not write. */
#include "web_ctx.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "model/member.h"
#include "model/project.h"
#include "model/user.h"

#include <string.h>
#include <time.h>

/* No inline script or style anywhere: everything comes from /-/static. */
static const char csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

void web_security_headers(struct web_ctx *c)
{
	http_add_header(c->req, "Content-Security-Policy", csp);
	http_add_header(c->req, "Referrer-Policy", "strict-origin-when-cross-origin");
	http_add_header(c->req, "Cross-Origin-Opener-Policy", "same-origin");
	http_add_header(c->req, "Permissions-Policy", "interest-cohort=()");
}

void web_page_begin(struct web_ctx *c, const char *title)
{
	const struct user *u = c->who.user;

	html_addf(&c->out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		  "<title>%s · kura</title><link rel=\"stylesheet\" href=\"/-/static/kura.css\">"
		  "<script src=\"/-/static/kura.js\" defer></script></head><body>"
		  "<a class=\"skip\" href=\"#main\">Skip to content</a>"
		  "<header class=\"top\"><nav aria-label=\"Main\"><a class=\"brand\" href=\"/\">kura</a>",
		  title);
	if (u) {
		html_addf(&c->out, "<a href=\"/dashboard/projects\">Projects</a>"
			  "<a href=\"/dashboard/groups\">Groups</a><a href=\"/explore\">Explore</a>");
		if (u->is_admin)
			html_addf(&c->out, "<a href=\"/admin\">Admin</a>");
		html_addf(&c->out, "<span class=\"grow\"></span>"
			  "<a href=\"/projects/new\">New project</a>"
			  "<a href=\"/-/profile/personal_access_tokens\" class=\"me\">%s</a>"
			  "<form method=\"post\" action=\"/users/sign_out\" class=\"inline\">",
			  u->username);
		web_csrf_field(c);
		html_addf(&c->out, "<button type=\"submit\" class=\"link\">Sign out</button></form>");
	} else {
		html_addf(&c->out, "<a href=\"/explore\">Explore</a><span class=\"grow\"></span>"
			  "<a href=\"/users/sign_in\">Sign in</a>");
	}
	html_addf(&c->out, "</nav></header><main id=\"main\">");
}

void web_page_end(struct web_ctx *c, int status)
{
	html_addf(&c->out, "</main><footer>kura " KURA_VERSION "</footer></body></html>\n");
	web_security_headers(c);
	http_add_header(c->req, "Cache-Control", "no-store");
	http_respond_buf(c->req, status, "text/html; charset=utf-8", &c->out);
}

static const char *status_title(int status)
{
	switch (status) {
	case 400: return "Bad request";
	case 403: return "Forbidden";
	case 404: return "Page not found";
	case 405: return "Method not allowed";
	case 413: return "Too large";
	case 414: return "Address too long";
	case 422: return "Cannot process the request";
	case 429: return "Too many requests";
	case 503: return "Service unavailable";
	default: return "Something went wrong";
	}
}

static const char *status_text(int status)
{
	switch (status) {
	case 403: return "You are not allowed to do that.";
	case 404: return "The page could not be found or you do not have permission to see it.";
	case 429: return "Too many attempts. Wait a minute and try again.";
	case 503: return "The service is temporarily unavailable. Try again shortly.";
	case 500: return "An internal error occurred. It has been logged.";
	default: return "The request could not be handled.";
	}
}

void web_error(struct web_ctx *c, int status, const char *text)
{
	buf_reset(&c->out);
	web_page_begin(c, status_title(status));
	html_addf(&c->out, "<section class=\"error\"><p class=\"code\">%d</p><h1>%s</h1>"
		  "<p>%s</p><p><a href=\"/\">Go to the start page</a></p></section>", status,
		  status_title(status), text ? text : status_text(status));
	web_page_end(c, status);
}

void web_fail(struct web_ctx *c, int ret)
{
	int status = http_status_for(ret);

	if (status == 500)
		log_error("web", "request failed path=\"%.128s\" err=%s", c->path, err_name(ret));
	else if (status == 503)
		log_warn("web", "dependency unavailable err=%s", err_name(ret));
	web_error(c, status == 401 ? 403 : status, NULL);
}

void web_redirect(struct web_ctx *c, const char *local_path)
{
	web_security_headers(c);
	http_add_header(c->req, "Location", html_local_path(local_path) ? local_path : "/");
	http_respond(c->req, 303, "text/plain; charset=utf-8", "", 0);
}

void web_csrf_field(struct web_ctx *c)
{
	html_addf(&c->out, "<input type=\"hidden\" name=\"" WEB_CSRF_FIELD "\" value=\"%s\">",
		  c->csrf.ptr);
}

void web_flash(struct web_ctx *c, const char *kind, const char *text)
{
	html_addf(&c->out, "<div class=\"flash %s\" role=\"%s\">%s</div>", kind,
		  !strcmp(kind, "error") ? "alert" : "status", text);
}

void web_time(struct buf *out, int64_t ms)
{
	char iso[40];

	if (!ms) {
		buf_addstr(out, "never");
		return;
	}
	time_format_iso8601(iso, sizeof(iso), ms);
	/* "2024-01-31T12:00:00.000Z" → "2024-01-31 12:00 UTC" */
	iso[10] = ' ';
	iso[16] = '\0';
	buf_addf(out, "%s UTC", iso);
}

const char *web_level_name(int level)
{
	switch (level) {
	case ACCESS_GUEST: return "Guest";
	case ACCESS_REPORTER: return "Reporter";
	case ACCESS_DEVELOPER: return "Developer";
	case ACCESS_MAINTAINER: return "Maintainer";
	case ACCESS_OWNER: return "Owner";
	default: return "None";
	}
}

static void tab(struct web_ctx *c, const char *cur, const char *name, const char *label,
		const char *suffix)
{
	html_addf(&c->out, "<a href=\"%u%r\"%r>%s</a>", c->base.ptr, suffix,
		  !strcmp(cur, name) ? " aria-current=\"page\"" : "", label);
}

void web_project_begin(struct web_ctx *c, const char *title, const char *tab_name)
{
	struct buf t = BUF_INIT;
	const struct project *p = c->proj;

	buf_addf(&t, "%s · %s", title, p->name);
	web_page_begin(c, t.ptr);
	buf_release(&t);
	html_addf(&c->out, "<div class=\"proj-head\"><p class=\"crumbs\"><a href=\"/%u\">%s</a> /"
		  "</p><h1><a href=\"%u\">%s</a> <span class=\"badge\">%s</span></h1>",
		  p->namespace_full_path, p->namespace_name, c->base.ptr, p->name, p->visibility);
	if (p->description && *p->description)
		html_addf(&c->out, "<p class=\"desc\">%s</p>", p->description);
	if (!c->rest)
		web_mirror_banner(c);	/* the project's home page only */
	html_addf(&c->out, "</div><nav class=\"tabs\" aria-label=\"Project\">");
	tab(c, tab_name, "files", "Files", "");
	tab(c, tab_name, "commits", "Commits", "/-/commits");
	tab(c, tab_name, "branches", "Branches", "/-/branches");
	tab(c, tab_name, "tags", "Tags", "/-/tags");
	if (c->level >= ACCESS_MAINTAINER)
		tab(c, tab_name, "settings", "Settings", "/-/edit");
	html_addf(&c->out, "</nav>");
}

int64_t web_page_param(struct web_ctx *c)
{
	const char *s = http_query(c->req, "page");
	uint64_t v = 0;

	if (!s || parse_u64(s, 100000, &v) < 0 || v == 0)
		return 1;
	return (int64_t)v;
}

void web_pager(struct web_ctx *c, const char *url, int64_t page, int more)
{
	const char *sep = strchr(url, '?') ? "&" : "?";

	if (page <= 1 && !more)
		return;
	html_addf(&c->out, "<nav class=\"pager\" aria-label=\"Pages\">");
	if (page > 1)
		html_addf(&c->out, "<a href=\"%r%rpage=%D\" rel=\"prev\">← Newer</a>", url, sep,
			  page - 1);
	html_addf(&c->out, "<span>Page %D</span>", page);
	if (more)
		html_addf(&c->out, "<a href=\"%r%rpage=%D\" rel=\"next\">Older →</a>", url, sep,
			  page + 1);
	html_addf(&c->out, "</nav>");
}
