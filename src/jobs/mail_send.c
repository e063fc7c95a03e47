/* Sending composed mail over SMTP with libcurl (see mail.h). The relay is
 * the administrator's choice, so the outbound address policy does not apply;
 * only smtp and smtps are allowed and nothing is followed elsewhere. */
#include "jobs/mail.h"

#include <curl/curl.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strvec.h"
#include "core/xalloc.h"
#include "jobs/outbound.h"

int mail_smtp_from_config(const struct config *cfg, struct mail_smtp *out, struct buf *from_out)
{
	if (!cfg->smtp_url || !cfg->smtp_url[0])
		return ERR_NOTFOUND;
	out->url = cfg->smtp_url;
	out->user = cfg->smtp_user;
	out->password = cfg->smtp_password;
	out->timeout_ms = 0;
	if (cfg->smtp_from && cfg->smtp_from[0]) {
		buf_addstr(from_out, cfg->smtp_from);
	} else {
		buf_addstr(from_out, "kura@");
		config_external_host(cfg, from_out);
	}
	return 0;
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t upload_read(char *dst, size_t size, size_t nmemb, void *userp)
{
	struct upload *u = userp;
	size_t n = size * nmemb;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(dst, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* Network trouble, a refused login and 4xx answers pass; 5xx answers are
 * the server's final word about this message. */
static int send_result(CURL *c, CURLcode rc, long timeout_ms, struct buf *err)
{
	long code = 0;

	if (rc == CURLE_OK)
		return 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		buf_addstr(err, "The SMTP server refused the login; check smtp_user and "
			   "smtp_password.");
		return ERR_UNAVAILABLE;
	case CURLE_OPERATION_TIMEDOUT:
		buf_addf(err, "The SMTP server did not answer within %ld ms.", timeout_ms);
		return ERR_UNAVAILABLE;
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		buf_addf(err, "TLS with the SMTP server failed: %s.", curl_easy_strerror(rc));
		return ERR_UNAVAILABLE;
	default:
		break;
	}
	if (code >= 500 && code <= 599) {
		buf_addf(err, "The SMTP server refused the mail with %ld.", code);
		return ERR_INVALID;
	}
	if (code >= 400 && code <= 499)
		buf_addf(err, "The SMTP server deferred the mail with %ld.", code);
	else
		buf_addf(err, "Sending mail failed: %s.", curl_easy_strerror(rc));
	return ERR_UNAVAILABLE;
}

static int rcpt_build(struct curl_slist **out, const char *from, const struct strvec *rcpt,
		      struct buf *err)
{
	struct curl_slist *list = NULL, *next;
	struct buf line = BUF_INIT;

	if (!mail_address_ok(from) || !rcpt || rcpt->nr == 0 || rcpt->nr > MAIL_RCPT_MAX) {
		buf_addstr(err, "The sender or recipient list of the mail is not valid.");
		return ERR_INVALID;
	}
	for (size_t i = 0; i < rcpt->nr; i++) {
		if (!mail_address_ok(rcpt->v[i])) {
			buf_addstr(err, "A recipient is not a valid email address.");
			curl_slist_free_all(list);
			buf_release(&line);
			return ERR_INVALID;
		}
		buf_reset(&line);
		buf_addf(&line, "<%s>", rcpt->v[i]);
		next = curl_slist_append(list, line.ptr);
		if (!next)
			BUG("curl_slist_append: out of memory");
		list = next;
	}
	buf_release(&line);
	*out = list;
	return 0;
}

int mail_send(const struct mail_smtp *s, const char *from, const struct strvec *rcpt,
	      const char *message, size_t len, struct buf *err)
{
	struct upload up = { message, len, 0 };
	struct curl_slist *rcpts = NULL;
	struct buf mail_from = BUF_INIT;
	long timeout = s->timeout_ms > 0 ? s->timeout_ms : MAIL_TIMEOUT_MS;
	int implicit_tls = !strncmp(s->url, "smtps://", 8);
	CURL *c;
	CURLcode rc;
	int ret;

	if (!implicit_tls && strncmp(s->url, "smtp://", 7)) {
		buf_addstr(err, "smtp_url must start with smtp:// or smtps://.");
		return ERR_INVALID;
	}
	ret = rcpt_build(&rcpts, from, rcpt, err);
	if (ret < 0)
		return ret;
	outbound_global_init();
	c = curl_easy_init();
	if (!c)
		BUG("curl_easy_init failed");
	buf_addf(&mail_from, "<%s>", from);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* smtp:// upgrades with STARTTLS when the server offers it (the
	 * documented contract); smtps:// is TLS from the first byte. */
	curl_easy_setopt(c, CURLOPT_USE_SSL, implicit_tls ? (long)CURLUSESSL_ALL
							  : (long)CURLUSESSL_TRY);
	if (s->user && s->user[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout < MAIL_CONNECT_TIMEOUT_MS ? timeout : (long)MAIL_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.ptr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	rc = curl_easy_perform(c);
	ret = send_result(c, rc, timeout, err);
	log_debug("mail", "smtp send rcpts=%zu bytes=%zu ret=%s", rcpt->nr, len, err_name(ret));
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpts);
	buf_release(&mail_from);
	return ret;
}
