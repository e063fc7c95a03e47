/* Account notices: password reset, welcome, token created and token about
 * to expire (see notify.h). */
#include "notify.h"
#include "mail.h"
#include "queue.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strvec.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "model/password_reset.h"
#include "model/pat.h"
#include "model/user.h"
#include "core/html.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct config *configured;

void notify_configure(const struct config *cfg)
{
	configured = cfg;
	/* Said once, by the server at start; commands stay quiet on stderr. */
	if (!cfg->smtp_url || !cfg->smtp_url[0])
		log_info("mail", "mail is off: smtp_url is not set, no mail is sent");
}

const struct config *notify_config(void)
{
	return configured;
}

int notify_enabled(const struct config *cfg)
{
	return cfg && cfg->smtp_url && cfg->smtp_url[0];
}

static int mail_queued(struct db *db, const char *key)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT id FROM jobs WHERE idempotency_key = $1", "s", key);

	db_stmt_free(st);
	return ret;
}

int notify_queue(struct db *db, const struct config *cfg, const struct notify_mail *m,
		 const char *key, struct buf *err)
{
	struct buf sender = BUF_INIT, msg = BUF_INIT;
	struct mail_smtp smtp;
	struct mail mm = { 0 };
	json_t *obj = NULL, *to;
	char *payload = NULL;
	int ret;

	if (!notify_enabled(cfg))
		return 0;
	ret = mail_smtp_from_config(cfg, &smtp, &sender);
	if (ret < 0)
		goto out;
	mm.from = m->from ? m->from : sender.ptr;
	mm.from_name = "Kura";
	mm.to = m->to;
	mm.subject = m->subject;
	mm.text = m->text;
	mm.html = m->html;
	ret = mail_compose(&msg, &mm, err);
	if (ret < 0)
		goto out;
	to = json_array();
	for (size_t i = 0; i < m->to->nr; i++)
		json_array_append_new(to, json_string(m->to->v[i]));
	/* The envelope sender stays the configured one (SPF, bounces) even
	 * when the From header names a committer. */
	obj = json_pack("{s:s, s:o, s:s}", "from", sender.ptr, "to", to, "message", msg.ptr);
	payload = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	if (!payload) {
		ret = ERR_INTERNAL;
		goto out;
	}
	ret = key ? mail_queued(db, key) : 0;
	if (ret == 0)
		ret = queue_enqueue(db, "mail", payload, key, NOTIFY_MAIL_ATTEMPTS, 0);
	else if (ret > 0)
		ret = 0;
out:
	free(payload);
	json_decref(obj);
	buf_release(&sender);
	buf_release(&msg);
	return ret;
}

/* Queues one mail to a user's address; logs the reason when it cannot. */
static int queue_to_user(struct db *db, const struct config *cfg, const struct user *u,
			 const char *what, const char *subject, const struct buf *text,
			 const struct buf *html, const char *key)
{
	struct strvec to = STRVEC_INIT;
	struct buf err = BUF_INIT_MAX(512);
	struct notify_mail m = { &to, NULL, subject, text->ptr, html->ptr };
	int ret;

	strvec_push(&to, u->email);
	ret = notify_queue(db, cfg, &m, key, &err);
	if (ret < 0)
		log_info("mail", "%s mail not queued user_id=%lld error=\"%s\"", what,
			 (long long)u->id, err.len ? err.ptr : err_name(ret));
	else
		log_debug("mail", "%s mail queued user_id=%lld", what, (long long)u->id);
	strvec_release(&to);
	buf_release(&err);
	return ret;
}

static void html_begin(struct buf *html)
{
	html_addf(html, "<!DOCTYPE html><html><body style=\"font-family: sans-serif\">");
}

static void html_end(struct buf *html, const char *url)
{
	html_addf(html, "<p style=\"color: #666; font-size: small\">Kura at "
		  "<a href=\"%s\">%s</a></p></body></html>\n", url, url);
}

/* The link to the set-password form carrying a fresh token. */
static int reset_link(struct db *db, const struct config *cfg, int64_t user_id, int64_t ttl,
		      struct buf *out)
{
	struct buf secret = BUF_INIT;
	int ret = password_reset_create(db, user_id, ttl, &secret);

	if (ret == 0)
		buf_addf(out, "%s/users/password/edit?reset_password_token=%s", cfg->external_url,
			 secret.ptr);
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	return ret;
}

static void wipe(struct buf *b)
{
	sodium_memzero(b->ptr, b->len);
	buf_release(b);
}

int notify_password_reset(struct db *db, const struct config *cfg, const struct user *u)
{
	struct buf link = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	int ret;

	if (!notify_enabled(cfg))
		return 0;
	ret = reset_link(db, cfg, u->id, PASSWORD_RESET_TTL_MS, &link);
	if (ret < 0)
		goto out;
	buf_addf(&text, "Hello %s,\n\nSomeone, hopefully you, asked to reset the password of "
		 "your account %s at %s.\nOpen this link within one hour to choose a new one "
		 "(it works once):\n\n%s\n\nIf you did not ask for this, ignore this mail: your "
		 "password stays as it is.\n", u->name, u->username, cfg->external_url, link.ptr);
	html_begin(&html);
	html_addf(&html, "<p>Hello %s,</p><p>Someone, hopefully you, asked to reset the password "
		  "of your account <b>%s</b>. Open this link within one hour to choose a new one "
		  "(it works once):</p><p><a href=\"%s\">Change my password</a></p><p>If you did "
		  "not ask for this, ignore this mail: your password stays as it is.</p>",
		  u->name, u->username, link.ptr);
	html_end(&html, cfg->external_url);
	ret = queue_to_user(db, cfg, u, "password reset", "Reset password instructions", &text,
			    &html, NULL);
out:
	wipe(&link);
	wipe(&text);
	wipe(&html);
	return ret;
}

int notify_user_created(struct db *db, const struct config *cfg, int64_t user_id)
{
	struct buf link = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
	struct user *u = NULL;
	int ret;

	if (!notify_enabled(cfg))
		return 0;
	ret = user_find(db, user_id, &u);
	if (ret == 0 && !u->password_hash)
		ret = reset_link(db, cfg, user_id, PASSWORD_RESET_WELCOME_TTL_MS, &link);
	if (ret < 0)
		goto out;
	buf_addf(&text, "Hello %s,\n\nAn administrator created the account %s for you at %s.\n\n",
		 u->name, u->username, cfg->external_url);
	html_begin(&html);
	html_addf(&html, "<p>Hello %s,</p><p>An administrator created the account <b>%s</b> for "
		  "you.</p>", u->name, u->username);
	if (link.len) {
		buf_addf(&text, "Choose your password within three days with this link (it works "
			 "once):\n\n%s\n", link.ptr);
		html_addf(&html, "<p>Choose your password within three days with this link (it "
			  "works once):</p><p><a href=\"%s\">Set my password</a></p>", link.ptr);
	} else {
		buf_addf(&text, "Sign in at %s/users/sign_in\n", cfg->external_url);
		html_addf(&html, "<p><a href=\"%s/users/sign_in\">Sign in</a></p>",
			  cfg->external_url);
	}
	html_end(&html, cfg->external_url);
	ret = queue_to_user(db, cfg, u, "welcome", "Account was created for you", &text, &html,
			    NULL);
out:
	user_free(u);
	wipe(&link);
	wipe(&text);
	wipe(&html);
	return ret;
}

/* The facts both token notices state, in both parts. */
static void pat_facts(struct buf *text, struct buf *html, const struct pat *t)
{
	struct buf scopes = BUF_INIT;
	char date[32] = "never";

	scopes_format(&scopes, t->scopes);
	if (t->expires_at)
		time_format_date(date, sizeof(date), t->expires_at);
	buf_addf(text, "  Name:    %s\n  Scopes:  %s\n  Expires: %s\n\n", t->name, scopes.ptr, date);
	html_addf(html, "<table><tr><th align=\"left\">Name</th><td>%s</td></tr>"
		  "<tr><th align=\"left\">Scopes</th><td>%s</td></tr>"
		  "<tr><th align=\"left\">Expires</th><td>%s</td></tr></table>", t->name,
		  scopes.ptr, date);
	buf_release(&scopes);
}

static int pat_notice(struct db *db, const struct config *cfg, int64_t pat_id, int expiring)
{
	struct buf text = BUF_INIT, html = BUF_INIT, url = BUF_INIT, key = BUF_INIT;
	struct pat *t = NULL;
	struct user *u = NULL;
	int ret;

	if (!notify_enabled(cfg))
		return 0;
	ret = pat_find(db, pat_id, &t);
	if (ret == 0)
		ret = user_find(db, t->user_id, &u);
	if (ret < 0)
		goto out;
	buf_addf(&url, "%s/-/profile/personal_access_tokens", cfg->external_url);
	buf_addf(&text, "Hello %s,\n\n", u->name);
	buf_addf(&text, "A personal access token %s your account %s.\n\n",
		 expiring ? "expires soon for" : "was created for", u->username);
	html_begin(&html);
	html_addf(&html, "<p>Hello %s,</p><p>A personal access token %s your account <b>%s</b>."
		  "</p>", u->name, expiring ? "expires soon for" : "was created for", u->username);
	pat_facts(&text, &html, t);
	if (expiring) {
		buf_addf(&text, "Create a new token before then if you still need one: %s\n",
			 url.ptr);
		html_addf(&html, "<p>Create a new token before then if you still need one: "
			  "<a href=\"%s\">%s</a></p>", url.ptr, url.ptr);
		buf_addf(&key, "pat-expiring-%lld", (long long)t->id);
	} else {
		buf_addf(&text, "If you did not create it, revoke it at %s and change your "
			 "password.\n", url.ptr);
		html_addf(&html, "<p>If you did not create it, revoke it at <a href=\"%s\">%s</a> "
			  "and change your password.</p>", url.ptr, url.ptr);
	}
	html_end(&html, cfg->external_url);
	ret = queue_to_user(db, cfg, u, expiring ? "token expiring" : "token created",
			    expiring ? "Your personal access token expires soon"
				     : "A personal access token was created",
			    &text, &html, key.len ? key.ptr : NULL);
out:
	pat_free(t);
	user_free(u);
	buf_release(&text);
	buf_release(&html);
	buf_release(&url);
	buf_release(&key);
	return ret;
}

int notify_pat_created(struct db *db, const struct config *cfg, int64_t pat_id)
{
	return pat_notice(db, cfg, pat_id, 0);
}

int notify_pat_expiring(struct db *db, const struct config *cfg, int64_t pat_id)
{
	return pat_notice(db, cfg, pat_id, 1);
}
