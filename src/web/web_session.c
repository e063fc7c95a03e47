/* Signing in and out, and resolving the session cookie into the caller. */
#include "web_ctx.h"
#include "auth/authn.h"
#include "auth/throttle.h"
#include "auth/token.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "http/http.h"
#include "model/session.h"
#include "model/user.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int web_session_load(struct web_ctx *c)
{
	const char *secret = web_cookie(c, WEB_SESSION_COOKIE);
	struct session *s = NULL;
	struct user *u = NULL;
	int ret;

	if (!secret)
		return 0;
	ret = session_find(c->db, secret, time_now_ms(), &s);
	if (ret == 0)
		ret = user_find(c->db, s->user_id, &u);
	if (ret == 0 && !user_is_active(u)) {
		(void)session_delete(c->db, secret);
		ret = ERR_NOTFOUND;
	}
	if (ret == ERR_NOTFOUND) {
		/* Stale or forged: forget it rather than send it again. */
		web_set_cookie(c, WEB_SESSION_COOKIE, "", 0);
		ret = 0;
	} else if (ret == 0) {
		c->sess = s;
		s = NULL;
		c->who.user = u;
		u = NULL;
		c->who.scopes = SCOPE_ALL;
		session_csrf_token(&c->csrf, secret);
	}
	free(s);
	user_free(u);
	return ret;
}

int web_require_user(struct web_ctx *c)
{
	struct buf to = BUF_INIT;

	if (c->who.user)
		return 0;
	buf_addstr(&to, "/users/sign_in?redirect_to=");
	html_url(&to, c->path, 0);
	web_redirect(c, to.ptr);
	buf_release(&to);
	return 1;
}

/* Where to go after signing in: a local path only, never another site. */
static const char *redirect_target(struct web_ctx *c)
{
	const char *to = c->is_post ? web_form_get(c, "redirect_to")
				    : http_query(c->req, "redirect_to");

	if (!to || !html_local_path(to) || strlen(to) > LIMIT_URL_PATH ||
	    !strncmp(to, "/users/sign_", 12))
		return "/";
	return to;
}

static void sign_in_form(struct web_ctx *c, int status, const char *error, const char *login)
{
	web_page_begin(c, "Sign in");
	html_addf(&c->out, "<section class=\"narrow\"><h1>Sign in</h1>");
	if (error)
		web_flash(c, "error", error);
	html_addf(&c->out, "<form method=\"post\" action=\"/users/sign_in\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<input type=\"hidden\" name=\"redirect_to\" value=\"%s\">"
		  "<label for=\"user_login\">Username or email</label>"
		  "<input id=\"user_login\" name=\"user[login]\" autocomplete=\"username\" required "
		  "autofocus value=\"%s\">"
		  "<label for=\"user_password\">Password</label>"
		  "<input id=\"user_password\" type=\"password\" name=\"user[password]\" "
		  "autocomplete=\"current-password\" required>"
		  "<button type=\"submit\" class=\"primary\">Sign in</button></form>"
		  "<p><a href=\"/users/password/new\">Forgot your password?</a></p></section>",
		  redirect_target(c), login ? login : "");
	web_page_end(c, status);
}

static int start_session(struct web_ctx *c, int64_t user_id)
{
	struct buf secret = BUF_INIT;
	int64_t id = 0;
	int ret;

	ret = session_create(c->db, user_id, &secret, &id);
	if (ret == 0) {
		web_set_cookie(c, WEB_SESSION_COOKIE, secret.ptr, -1);
		web_set_cookie(c, WEB_CSRF_COOKIE, "", 0);
	}
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	return ret;
}

static void sign_in_post(struct web_ctx *c)
{
	const char *login = web_form_get(c, "user[login]");
	const char *password = web_form_get(c, "user[password]");
	struct principal who = PRINCIPAL_INIT;
	const char *addr = http_client_address(c->req);
	int ret;

	if (!login || !*login || !password || strlen(login) > LIMIT_EMAIL ||
	    strlen(password) > LIMIT_PASSWORD_MAX) {
		web_csrf_anon(c);
		sign_in_form(c, 422, "Enter your username or email and your password.", NULL);
		return;
	}
	ret = throttle_check(c->db, addr, login);
	if (ret == ERR_BUSY) {
		http_add_header(c->req, "Retry-After", "60");
		web_error(c, 429, "Too many failed sign-in attempts. Wait a minute and try again.");
		return;
	}
	if (ret == 0)
		ret = authn_password(c->db, login, password, &who);
	if (ret == ERR_AUTH) {
		(void)throttle_fail(c->db, addr, login);
		log_info("web", "sign-in failed login=\"%.64s\"", login);
		web_csrf_anon(c);
		sign_in_form(c, 401, "Invalid login or password.", login);
		return;
	}
	if (ret == 0) {
		(void)throttle_clear(c->db, addr, login);
		/* A new secret at every sign-in: no fixation of an old one. */
		if (c->sess)
			(void)session_delete(c->db, web_cookie(c, WEB_SESSION_COOKIE));
		ret = start_session(c, who.user->id);
	}
	if (ret == 0) {
		(void)user_touch_sign_in(c->db, who.user->id);
		c->req->user_id = who.user->id;
		log_info("web", "signed in user_id=%lld", (long long)who.user->id);
		web_redirect(c, redirect_target(c));
	} else {
		web_fail(c, ret);
	}
	principal_release(&who);
}

void web_sign_in(struct web_ctx *c)
{
	if (c->is_post) {
		sign_in_post(c);
		return;
	}
	if (c->who.user) {
		web_redirect(c, redirect_target(c));
		return;
	}
	web_csrf_anon(c);
	sign_in_form(c, 200, NULL, NULL);
}

void web_sign_out(struct web_ctx *c)
{
	if (c->sess)
		(void)session_delete(c->db, web_cookie(c, WEB_SESSION_COOKIE));
	web_set_cookie(c, WEB_SESSION_COOKIE, "", 0);
	web_redirect(c, "/users/sign_in");
}
