/* "Forgot your password?": the request form, which answers the same page
 * whether or not the address belongs to an account (no enumeration), and
 * the set-password form behind the mailed single-use link. The token travels
 * in the query string, which the access log leaves out. */
#include "web_ctx.h"
#include "app.h"
#include "auth/throttle.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "jobs/notify.h"
#include "model/password_reset.h"
#include "model/session.h"
#include "model/user.h"

#include <strings.h>
#include <string.h>

#define RESET_THROTTLE_LOGIN "password-reset"	/* requests per client address */

static const char sent_text[] = "If your email address exists in our database, you will "
				"receive a password recovery link at your email address in a "
				"few minutes.";

static void request_form(struct web_ctx *c, int status, const char *kind, const char *msg)
{
	web_csrf_anon(c);
	web_page_begin(c, "Forgot your password?");
	html_addf(&c->out, "<section class=\"narrow\"><h1>Forgot your password?</h1>");
	if (msg)
		web_flash(c, kind, msg);
	html_addf(&c->out, "<form method=\"post\" action=\"/users/password\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<label for=\"user_email\">Email</label><input id=\"user_email\" "
		  "type=\"email\" name=\"user[email]\" autocomplete=\"email\" required autofocus>"
		  "<button type=\"submit\" class=\"primary\">Reset password</button></form>"
		  "<p><a href=\"/users/sign_in\">Sign in</a></p></section>");
	web_page_end(c, status);
}

/* Mails a link when the address is an active user's; says nothing either way. */
static void request_mail(struct web_ctx *c, const char *email)
{
	struct user *u = NULL;
	int ret = user_find_by_login(c->db, email, &u);

	/* The form asks for an address: a username finds no one here. */
	if (ret == 0 && (strcasecmp(u->email, email) || !user_is_active(u)))
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = notify_password_reset(c->db, &c->app->cfg, u);
	if (ret == 0 && u)
		log_info("web", "password reset mailed user_id=%lld", (long long)u->id);
	else if (ret == ERR_BUSY)
		log_info("web", "password reset refused user_id=%lld reason=too_many",
			 (long long)u->id);
	else if (ret != ERR_NOTFOUND && ret < 0)
		log_warn("web", "password reset failed error=%s", err_name(ret));
	user_free(u);
}

void web_password_new(struct web_ctx *c)
{
	const char *email = c->is_post ? web_form_get(c, "user[email]") : NULL;
	const char *addr = http_client_address(c->req);

	if (!c->is_post) {
		request_form(c, 200, NULL, NULL);
		return;
	}
	if (!email || !*email || strlen(email) > LIMIT_EMAIL || !strchr(email, '@')) {
		request_form(c, 422, "error", "Enter the email address of your account.");
		return;
	}
	/* Every request counts, known address or not, so the limit says
	 * nothing about accounts; it stops one client spraying addresses. */
	if (throttle_check(c->db, addr, RESET_THROTTLE_LOGIN) == ERR_BUSY) {
		http_add_header(c->req, "Retry-After", "60");
		web_error(c, 429, "Too many password reset requests. Wait a minute and try again.");
		return;
	}
	(void)throttle_fail(c->db, addr, RESET_THROTTLE_LOGIN);
	request_mail(c, email);
	request_form(c, 200, "notice", sent_text);
}

static void invalid_link(struct web_ctx *c)
{
	web_page_begin(c, "Change your password");
	html_addf(&c->out, "<section class=\"narrow\"><h1>Change your password</h1>");
	web_flash(c, "error", "This password reset link is invalid, was used already or has "
		  "expired.");
	html_addf(&c->out, "<p><a href=\"/users/password/new\">Request a new link</a></p>"
		  "</section>");
	web_page_end(c, 422);
}

static void edit_form(struct web_ctx *c, int status, const char *token, const char *error)
{
	web_csrf_anon(c);
	web_page_begin(c, "Change your password");
	html_addf(&c->out, "<section class=\"narrow\"><h1>Change your password</h1>");
	if (error)
		web_flash(c, "error", error);
	html_addf(&c->out, "<form method=\"post\" action=\"/users/password/edit\" class=\"stack\">");
	web_csrf_field(c);
	html_addf(&c->out, "<input type=\"hidden\" name=\"reset_password_token\" value=\"%s\">"
		  "<label for=\"pw-new\">New password</label><input id=\"pw-new\" type=\"password\" "
		  "name=\"user[password]\" autocomplete=\"new-password\" minlength=\"%d\" required>"
		  "<label for=\"pw-conf\">Confirm new password</label><input id=\"pw-conf\" "
		  "type=\"password\" name=\"user[password_confirmation]\" autocomplete=\"new-password\""
		  " required><button type=\"submit\" class=\"primary\">Change my password</button>"
		  "</form></section>", token, LIMIT_PASSWORD_MIN);
	web_page_end(c, status);
}

static void edit_post(struct web_ctx *c)
{
	const char *token = web_form_get(c, "reset_password_token");
	const char *pw = web_form_get(c, "user[password]");
	const char *conf = web_form_get(c, "user[password_confirmation]");
	struct buf err = BUF_INIT_MAX(512);
	int64_t user_id = 0;
	int ret;

	if (password_reset_check(c->db, token, &user_id) < 0) {
		invalid_link(c);
		goto out;
	}
	if (!pw || !conf || strcmp(pw, conf)) {
		edit_form(c, 422, token, "Password confirmation doesn't match the password.");
		goto out;
	}
	ret = password_reset_redeem(c->db, token, pw, &user_id, &err);
	if (ret == ERR_INVALID) {
		edit_form(c, 422, token, err.ptr);
		goto out;
	}
	if (ret == ERR_NOTFOUND) {
		invalid_link(c);
		goto out;
	}
	/* Whoever knew the old password is signed out everywhere. */
	if (ret == 0)
		ret = session_delete_user(c->db, user_id, 0);
	if (ret < 0) {
		web_fail(c, ret);
		goto out;
	}
	log_info("web", "password reset used user_id=%lld", (long long)user_id);
	web_csrf_anon(c);
	web_page_begin(c, "Password changed");
	html_addf(&c->out, "<section class=\"narrow\"><h1>Password changed</h1>");
	web_flash(c, "notice", "Your password has been changed. Sign in with the new one.");
	html_addf(&c->out, "<p><a href=\"/users/sign_in\">Sign in</a></p></section>");
	web_page_end(c, 200);
out:
	buf_release(&err);
}

void web_password_edit(struct web_ctx *c)
{
	const char *token = http_query(c->req, "reset_password_token");
	int64_t user_id = 0;

	if (c->is_post) {
		edit_post(c);
		return;
	}
	if (password_reset_check(c->db, token, &user_id) < 0) {
		invalid_link(c);
		return;
	}
	edit_form(c, 200, token, NULL);
}
