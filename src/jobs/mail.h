/* Mail: composing an RFC 5322 message (mail.c) and sending it over SMTP with
 * libcurl (mail_send.c). Composition is pure: the queue stores the composed
 * text in a job and a worker sends it, so a retry sends the same bytes with
 * the same Message-ID.
 *
 * Header injection: every header value (addresses, names, subject) is
 * refused when it contains CR, LF or another control byte; addresses must be
 * a plain local@domain. */
#ifndef KURA_MAIL_H
#define KURA_MAIL_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct config;
struct strvec;

#define MAIL_SUBJECT_MAX 998		/* bytes of subject before encoding */
#define MAIL_BODY_MAX (4 * 1024 * 1024)	/* text or HTML part, before encoding */
#define MAIL_RCPT_MAX 100		/* recipients of one message */
#define MAIL_CONNECT_TIMEOUT_MS 10000
#define MAIL_TIMEOUT_MS 60000

struct mail {
	const char *from;		/* local@domain */
	const char *from_name;		/* display name, NULL for none */
	const struct strvec *to;	/* one or more local@domain */
	const char *reply_to;		/* NULL for none */
	const char *subject;		/* UTF-8; RFC 2047-encoded when not plain ASCII */
	const char *text;		/* UTF-8 plain text part (required) */
	const char *html;		/* UTF-8 HTML part; NULL sends text only */
	int64_t date_ms;		/* 0: now */
	const char *message_id;		/* "<…@…>"; NULL generates one at the from domain */
};

/* 1 when s is an address we accept: local@domain, printable ASCII without
 * spaces, quotes, brackets, commas or semicolons, at most LIMIT_EMAIL bytes. */
int mail_address_ok(const char *s);

/* Appends the whole message (headers and body, CRLF line endings) to out.
 * ERR_INVALID with one sentence in err for a bad address, a control byte in a
 * header value, or a missing part; ERR_TOOBIG when the subject, a body or
 * the recipient list is over its limit. */
int mail_compose(struct buf *out, const struct mail *m, struct buf *err);

struct mail_smtp {
	const char *url;	/* smtp://host:587 (STARTTLS when offered) or smtps://host:465 */
	const char *user;	/* NULL or "": no AUTH */
	const char *password;
	long timeout_ms;	/* 0: MAIL_TIMEOUT_MS */
};

/* The SMTP settings of the configuration, borrowed from cfg, and the sender
 * address (smtp_from, else kura@<host of external_url>) appended to from_out.
 * ERR_NOTFOUND when smtp_url is unset (mail is off). */
int mail_smtp_from_config(const struct config *cfg, struct mail_smtp *out, struct buf *from_out);

/* Sends a composed message from `from` to each of rcpt.
 *   ERR_UNAVAILABLE  the server could not be reached, timed out, refused the
 *                    login or answered 4xx: keep the mail and retry later
 *   ERR_INVALID      the server answered 5xx (e.g. a recipient refused) or an
 *                    address is malformed: retrying will not help
 * One sentence in err; it never contains the password. */
int mail_send(const struct mail_smtp *s, const char *from, const struct strvec *rcpt,
	      const char *message, size_t len, struct buf *err);

#endif
