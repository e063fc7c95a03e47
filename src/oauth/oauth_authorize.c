/* GET and POST /oauth/authorize: the authorization-code flow's browser
 * half. A request is checked in two stages, as RFC 6749 §4.1.2.1 asks: until
 * the client and its redirect URI are known good, errors render a page here
 * and never redirect (no open redirect); after that they go back to the
 * client as error=…&state=…. Signed-out visitors go through the web UI's
 * sign-in page and come back; then a consent page names the application and
 * the scopes, and its CSRF-protected form approves or denies. */
#include "oauth_int.h"
#include "core/err.h"
#include "core/log.h"
#include "model/oauth_app.h"
#include "model/oauth_token.h"
#include "model/user.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAX 2048
#define CHALLENGE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

/* The request, once validated. */
struct authz {
	struct oauth_app *app;
	struct buf redirect;	/* the redirect URI in use */
	struct buf scopes;	/* normalised, a subset of the application's */
	const char *state;	/* NULL when absent */
	const char *challenge, *method;	/* PKCE, NULL when absent */
};

static const struct {
	const char *name, *text;
} scope_texts[] = {
	{ "api", "Read and write everything you can reach through the API: "
		 "projects, groups, repositories, webhooks, commit statuses." },
	{ "read_api", "Read everything you can reach through the API." },
	{ "read_user", "Read your profile (/user)." },
	{ "read_repository", "Read repositories you can reach, over Git HTTP." },
	{ "write_repository", "Read and push to repositories you can reach, over Git HTTP." },
	{ "sudo", "Act as any user through the API, when you are an administrator." },
	{ "admin_mode", "Use the API as an administrator, when you are one." },
	{ "openid", "Confirm who you are (OpenID Connect)." },
};

static void authz_release(struct authz *z)
{
	oauth_app_free(z->app);
	buf_release(&z->redirect);
	buf_release(&z->scopes);
}

static void error_page(struct web_ctx *c, int status, const char *text)
{
	log_info("oauth", "authorize refused status=%d", status);
	web_error(c, status, text);
}

/* Back to the client with the outcome: redirect_uri, then '?' or '&', then
 * key=value pairs (values percent-encoded), then the state. */
static void redirect_back(struct web_ctx *c, const struct authz *z, const char *k1,
			  const char *v1, const char *k2, const char *v2)
{
	struct buf to = BUF_INIT;

	buf_add(&to, z->redirect.ptr, z->redirect.len);
	buf_addch(&to, strchr(z->redirect.ptr, '?') ? '&' : '?');
	buf_addf(&to, "%s=", k1);
	html_url(&to, v1, 0);
	if (k2) {
		buf_addf(&to, "&%s=", k2);
		html_url(&to, v2, 0);
	}
	if (z->state) {
		buf_addstr(&to, "&state=");
		html_url(&to, z->state, 0);
	}
	http_add_header(c->req, "Cache-Control", "no-store");
	http_add_header(c->req, "Referrer-Policy", "no-referrer");
	http_add_header(c->req, "Location", to.ptr);
	http_respond(c->req, 302, "text/plain; charset=utf-8", "", 0);
	buf_release(&to);
}

static void redirect_error(struct web_ctx *c, const struct authz *z, const char *error,
			   const char *desc)
{
	log_info("oauth", "authorize error=%s app_id=%lld", error, (long long)z->app->id);
	redirect_back(c, z, "error", error, "error_description", desc);
}

/* Stage one: the client and its redirect URI. Answers a page on failure. */
static int check_client(struct web_ctx *c, struct authz *z)
{
	const char *id = oauth_param(c, "client_id"), *uri = oauth_param(c, "redirect_uri");
	int ret = id && *id ? oauth_app_find_by_uid(c->db, id, &z->app) : ERR_NOTFOUND;

	if (ret == ERR_NOTFOUND) {
		error_page(c, 400, "Client authentication failed due to an unknown client. "
			   "Ask the application's owner to check its client ID.");
		return ret;
	}
	if (ret < 0) {
		web_fail(c, ret);
		return ret;
	}
	if (uri && *uri) {
		if (!oauth_app_redirect_ok(z->app, uri)) {
			error_page(c, 400, "The redirect URI included is not valid: it is not one "
				   "of the application's registered redirect URIs.");
			return ERR_INVALID;
		}
		buf_addstr(&z->redirect, uri);
	} else if (oauth_app_redirect_single(z->app, &z->redirect) < 0) {
		error_page(c, 400, "The request is missing the redirect_uri parameter.");
		return ERR_INVALID;
	}
	z->state = oauth_param(c, "state");
	if (z->state && strlen(z->state) > STATE_MAX) {
		error_page(c, 400, "The state parameter is too long.");
		return ERR_INVALID;
	}
	return 0;
}

/* Stage two: what the client asks for. Redirects back on failure. */
static int check_request(struct web_ctx *c, struct authz *z)
{
	const char *type = oauth_param(c, "response_type"), *scope = oauth_param(c, "scope");
	size_t n;

	if (!type || !*type) {
		redirect_error(c, z, "invalid_request", "Missing required parameter: "
			       "response_type.");
		return ERR_INVALID;
	}
	if (strcmp(type, "code")) {
		redirect_error(c, z, "unsupported_response_type", "The authorization server "
			       "does not support this response type.");
		return ERR_INVALID;
	}
	if (!scope || !*scope)
		scope = z->app->scopes;
	if (oauth_scopes_normalize(scope, &z->scopes) < 0 ||
	    !oauth_scopes_subset(z->scopes.ptr, z->app->scopes)) {
		redirect_error(c, z, "invalid_scope", "The requested scope is invalid, unknown, "
			       "or malformed.");
		return ERR_INVALID;
	}
	z->challenge = oauth_param(c, "code_challenge");
	if (z->challenge && !*z->challenge)
		z->challenge = NULL;
	if (!z->challenge)
		return 0;
	z->method = oauth_param(c, "code_challenge_method");
	if (!z->method || !*z->method)
		z->method = "plain";
	n = strlen(z->challenge);
	if ((strcmp(z->method, "S256") && strcmp(z->method, "plain")) || n < 43 || n > 128 ||
	    strspn(z->challenge, CHALLENGE_CHARS) != n) {
		redirect_error(c, z, "invalid_request", "The code challenge or its method is "
			       "invalid.");
		return ERR_INVALID;
	}
	return 0;
}

/* The sign-in page, coming back to this very request afterwards. */
static void sign_in_first(struct web_ctx *c)
{
	struct buf back = BUF_INIT, to = BUF_INIT;

	buf_addstr(&back, c->path);
	if (c->req->raw_query) {
		buf_addch(&back, '?');
		buf_addstr(&back, c->req->raw_query);
	}
	buf_addstr(&to, "/users/sign_in?redirect_to=");
	html_url(&to, back.ptr, 0);
	web_redirect(c, to.ptr);
	buf_release(&back);
	buf_release(&to);
}

static const char *scope_text(const char *word, size_t n)
{
	for (size_t i = 0; i < sizeof(scope_texts) / sizeof(*scope_texts); i++)
		if (strlen(scope_texts[i].name) == n && !strncmp(scope_texts[i].name, word, n))
			return scope_texts[i].text;
	return "Not used by kura.";
}

/* Where the browser will be sent, for the page and for form-action: the
 * redirect URI's scheme and authority ("https://host:port"), or "" when it
 * holds characters a CSP source cannot. */
static void redirect_origin(struct buf *out, const char *uri)
{
	const char *colon = strchr(uri, ':');
	size_t n;

	if (!colon)
		return;
	n = (size_t)(colon - uri) + 1;
	if (!strncmp(colon, "://", 3))
		n += 2 + strcspn(colon + 3, "/?");
	if (strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		   "+.-:/[]_") < n)
		return;
	buf_add(out, uri, n);
}

static void hidden(struct web_ctx *c, const char *name, const char *value)
{
	if (value)
		html_addf(&c->out, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", name, value);
}

static void consent_page(struct web_ctx *c, const struct authz *z)
{
	struct buf origin = BUF_INIT, csp = BUF_INIT;
	const char *p = z->scopes.ptr;

	redirect_origin(&origin, z->redirect.ptr);
	web_page_begin(c, "Authorize application");
	html_addf(&c->out, "<section class=\"narrow consent\"><h1>Authorize %s to use your "
		  "account?</h1><p>An application called <strong>%s</strong> is requesting "
		  "access to your kura account <strong>@%s</strong>. It was registered by %s.</p>"
		  "<p>It will be able to:</p><ul class=\"scopes\">", z->app->name, z->app->name,
		  c->who.user->username, z->app->owner_id ? "a user" : "an administrator");
	while (*p) {
		size_t n = strcspn(p, " ");

		html_addf(&c->out, "<li><code>");
		html_txt_n(&c->out, p, n);
		html_addf(&c->out, "</code> %s</li>", scope_text(p, n));
		p += n;
		p += strspn(p, " ");
	}
	html_addf(&c->out, "</ul><p>You will then be sent to <code>%s</code>.</p>"
		  "<form method=\"post\" action=\"/oauth/authorize\" class=\"stack\">",
		  origin.len ? origin.ptr : z->redirect.ptr);
	web_csrf_field(c);
	hidden(c, "client_id", z->app->uid);
	hidden(c, "redirect_uri", z->redirect.ptr);
	hidden(c, "response_type", "code");
	hidden(c, "scope", z->scopes.ptr);
	hidden(c, "state", z->state);
	hidden(c, "code_challenge", z->challenge);
	hidden(c, "code_challenge_method", z->challenge ? z->method : NULL);
	html_addf(&c->out, "<div class=\"actions\"><button type=\"submit\" name=\"decision\" "
		  "value=\"approve\" class=\"primary\">Authorize</button> <button type=\"submit\" "
		  "name=\"decision\" value=\"deny\">Deny</button></div></form></section>"
		  "</main><footer>kura " KURA_VERSION "</footer></body></html>\n");
	/* As web_page_end, but the form may lead to the client's origin: browsers
	 * apply form-action to the redirect that answers the POST. */
	buf_addstr(&csp, "default-src 'none'; script-src 'self'; style-src 'self'; "
		   "img-src 'self' data:; form-action 'self'");
	if (origin.len) {
		buf_addch(&csp, ' ');
		buf_add(&csp, origin.ptr, origin.len);
	}
	buf_addstr(&csp, "; frame-ancestors 'none'; base-uri 'none'");
	http_add_header(c->req, "Content-Security-Policy", csp.ptr);
	http_add_header(c->req, "Referrer-Policy", "strict-origin-when-cross-origin");
	http_add_header(c->req, "Cross-Origin-Opener-Policy", "same-origin");
	http_add_header(c->req, "X-Frame-Options", "DENY");
	http_add_header(c->req, "Cache-Control", "no-store");
	http_respond_buf(c->req, 200, "text/html; charset=utf-8", &c->out);
	buf_release(&origin);
	buf_release(&csp);
}

static void approve(struct web_ctx *c, const struct authz *z)
{
	struct oauth_grant g = { 0 };
	struct buf code = BUF_INIT;
	int ret;

	g.app_id = z->app->id;
	g.user_id = c->who.user->id;
	g.redirect_uri = z->redirect.ptr;
	g.scopes = z->scopes.ptr;
	g.challenge = (char *)z->challenge;
	g.challenge_method = (char *)(z->challenge ? z->method : NULL);
	ret = oauth_grant_create(c->db, &g, &code);
	if (ret < 0) {
		web_fail(c, ret);
	} else {
		log_info("oauth", "authorized app_id=%lld user_id=%lld", (long long)z->app->id,
			 (long long)c->who.user->id);
		redirect_back(c, z, "code", code.ptr, NULL, NULL);
	}
	sodium_memzero(code.ptr, code.len);
	buf_release(&code);
}

void oauth_authorize(struct web_ctx *c)
{
	struct authz z = { 0 };
	const char *decision;

	buf_init(&z.redirect, OAUTH_REDIRECT_URI_LEN);
	buf_init(&z.scopes, OAUTH_SCOPES_LEN);
	if (check_client(c, &z) < 0)
		goto out;
	/* A POST comes from our consent form, whose session was checked with
	 * its CSRF token; a signed-out POST has nothing to approve. */
	if (!c->who.user) {
		if (c->is_post)
			error_page(c, 403, "Sign in first, then authorize the application again.");
		else
			sign_in_first(c);
		goto out;
	}
	if (check_request(c, &z) < 0)
		goto out;
	if (!c->is_post) {
		consent_page(c, &z);
		goto out;
	}
	decision = web_form_get(c, "decision");
	if (decision && !strcmp(decision, "approve"))
		approve(c, &z);
	else
		redirect_error(c, &z, "access_denied", "The resource owner or authorization "
			       "server denied the request.");
out:
	authz_release(&z);
}
