/* Composing RFC 5322 / MIME messages (see mail.h). */
#include "jobs/mail.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/strvec.h"
#include "core/timeutil.h"
#include "core/xalloc.h"

#define QP_LINE 76	/* RFC 2045: encoded lines at most 76 characters */
#define EW_CHUNK 45	/* bytes per encoded word: 60 base64 chars, under 75 with the wrapper */

int mail_address_ok(const char *s)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (!n || n > LIMIT_EMAIL || !at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"(),:;<>[\\]", *p))
			return 0;
	return s[0] != '.' && s[0] != '-' && at[1] != '.' && at[1] != '-';
}

/* A header value may not break the header (CR, LF) or carry other controls. */
static int header_value_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static int is_plain_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x7f)
			return 0;
	return 1;
}

/* RFC 2047 "B" encoded words of at most EW_CHUNK bytes each, never splitting
 * a UTF-8 sequence, folded onto continuation lines. */
static void add_encoded_words(struct buf *out, const char *s)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t take = n - i < EW_CHUNK ? n - i : EW_CHUNK;
		char b64[sodium_base64_ENCODED_LEN(EW_CHUNK, sodium_base64_VARIANT_ORIGINAL)];

		while (i + take < n && take > 1 && ((unsigned char)s[i + take] & 0xc0) == 0x80)
			take--;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s + i, take,
				  sodium_base64_VARIANT_ORIGINAL);
		buf_addf(out, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", b64);
		i += take;
	}
}

/* Plain ASCII stays readable; anything else, or a line too long, is encoded. */
static void add_header_text(struct buf *out, const char *s)
{
	if (is_plain_ascii(s) && strlen(s) <= 900 && !strstr(s, "=?"))
		buf_addstr(out, s);
	else
		add_encoded_words(out, s);
}

/* "Name" <addr>, the name quoted or encoded. */
static void add_mailbox(struct buf *out, const char *name, const char *addr)
{
	if (name && *name) {
		if (is_plain_ascii(name) && !strstr(name, "=?")) {
			buf_addch(out, '"');
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_addch(out, '\\');
				buf_addch(out, *p);
			}
			buf_addch(out, '"');
		} else {
			add_encoded_words(out, name);
		}
		buf_addch(out, ' ');
	}
	buf_addf(out, "<%s>", addr);
}

/* "Tue, 14 Nov 2023 22:13:20 +0000" in English whatever the locale. */
static void add_date(struct buf *out, int64_t ms)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	buf_addf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void add_random_hex(struct buf *out, size_t bytes)
{
	unsigned char r[32];

	if (sodium_init() < 0)
		BUG("sodium_init failed");
	randombytes_buf(r, bytes);
	buf_add_hex(out, r, bytes);
}

/* Quoted-printable (RFC 2045) with CRLF hard breaks. A leading '.' and
 * "From " are encoded too, so no relay ever dot-stuffs or mangles a line.
 * No CRLF is added at the end: before a MIME boundary it belongs to the
 * delimiter. */
static void add_qp(struct buf *out, const char *s)
{
	size_t col = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char enc[4];
		size_t w;
		int is_ws = *p == ' ' || *p == '\t';
		int line_end = p[1] == '\n' || (p[1] == '\r' && p[2] == '\n') || !p[1];

		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n') {
			buf_addstr(out, "\r\n");
			col = 0;
			continue;
		}
		if ((*p >= 33 && *p <= 126 && *p != '=' && !(col == 0 && *p == '.') &&
		     !(col == 0 && *p == 'F' && !strncmp((const char *)p, "From ", 5))) ||
		    (is_ws && !line_end)) {
			enc[0] = (char)*p;
			w = 1;
		} else {
			snprintf(enc, sizeof(enc), "=%02X", *p);
			w = 3;
		}
		/* Leave room for the soft break's '='. */
		if (col + w > QP_LINE - 1) {
			buf_addstr(out, "=\r\n");
			col = 0;
		}
		buf_add(out, enc, w);
		col += w;
	}
}

static void add_part(struct buf *out, const char *type, const char *body)
{
	buf_addf(out, "Content-Type: %s; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n\r\n", type);
	add_qp(out, body);
}

static int mail_check(const struct mail *m, struct buf *err)
{
	if (!m->from || !mail_address_ok(m->from) ||
	    (m->reply_to && !mail_address_ok(m->reply_to))) {
		buf_addstr(err, "The sender or reply-to address is not a valid email address.");
		return ERR_INVALID;
	}
	if (!m->to || m->to->nr == 0) {
		buf_addstr(err, "A mail needs at least one recipient.");
		return ERR_INVALID;
	}
	if (m->to->nr > MAIL_RCPT_MAX) {
		buf_addf(err, "A mail may have at most %d recipients.", MAIL_RCPT_MAX);
		return ERR_TOOBIG;
	}
	for (size_t i = 0; i < m->to->nr; i++)
		if (!mail_address_ok(m->to->v[i])) {
			buf_addstr(err, "A recipient is not a valid email address.");
			return ERR_INVALID;
		}
	if (!m->subject || !m->text || !header_value_ok(m->subject) ||
	    (m->from_name && !header_value_ok(m->from_name)) ||
	    (m->message_id && (!header_value_ok(m->message_id) || strchr(m->message_id, ' ')))) {
		buf_addstr(err, "The subject, sender name or message id is missing or contains "
			   "a line break or control character.");
		return ERR_INVALID;
	}
	if (strlen(m->subject) > MAIL_SUBJECT_MAX || strlen(m->text) > MAIL_BODY_MAX ||
	    (m->html && strlen(m->html) > MAIL_BODY_MAX)) {
		buf_addstr(err, "The subject or body of the mail is too long.");
		return ERR_TOOBIG;
	}
	return 0;
}

static void add_headers(struct buf *out, const struct mail *m)
{
	buf_addstr(out, "From: ");
	add_mailbox(out, m->from_name, m->from);
	buf_addstr(out, "\r\nTo: ");
	for (size_t i = 0; i < m->to->nr; i++)
		buf_addf(out, "%s<%s>", i ? ",\r\n " : "", m->to->v[i]);
	if (m->reply_to)
		buf_addf(out, "\r\nReply-To: <%s>", m->reply_to);
	buf_addstr(out, "\r\nSubject: ");
	add_header_text(out, m->subject);
	buf_addstr(out, "\r\nDate: ");
	add_date(out, m->date_ms ? m->date_ms : time_now_ms());
	buf_addstr(out, "\r\nMessage-ID: ");
	if (m->message_id) {
		buf_addstr(out, m->message_id);
	} else {
		buf_addch(out, '<');
		add_random_hex(out, 16);
		buf_addf(out, "@%s>", strchr(m->from, '@') + 1);
	}
	buf_addstr(out, "\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
}

int mail_compose(struct buf *out, const struct mail *m, struct buf *err)
{
	struct buf boundary = BUF_INIT;
	int ret = mail_check(m, err);

	if (ret < 0)
		return ret;
	add_headers(out, m);
	if (!m->html) {
		add_part(out, "text/plain", m->text);
		if (out->len >= 2 && memcmp(out->ptr + out->len - 2, "\r\n", 2))
			buf_addstr(out, "\r\n");
		return 0;
	}
	/* Random, and made of characters quoted-printable output never has in
	 * this order ("=_" starts no QP escape), so no body line can match it. */
	buf_addstr(&boundary, "=_kura_");
	add_random_hex(&boundary, 12);
	buf_addf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
		 "This is a multi-part message in MIME format.\r\n", boundary.ptr);
	buf_addf(out, "\r\n--%s\r\n", boundary.ptr);
	add_part(out, "text/plain", m->text);
	buf_addf(out, "\r\n--%s\r\n", boundary.ptr);
	add_part(out, "text/html", m->html);
	buf_addf(out, "\r\n--%s--\r\n", boundary.ptr);
	buf_release(&boundary);
	return 0;
}
