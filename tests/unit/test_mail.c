/* Mail composition (headers, RFC 2047 subjects, quoted-printable bodies,
 * multipart/alternative, CRLF, header injection, limits) and, when
 * tests/e2e/test_outbound.py provides an aiosmtpd sink in
 * KURA_TEST_SMTP_URL, sending with AUTH and the error classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/strvec.h"
#include "jobs/mail.h"

#define NOV_14_2023 1700000000000LL	/* Tue, 14 Nov 2023 22:13:20 +0000 */

static struct strvec one_rcpt(const char *addr)
{
	struct strvec v = STRVEC_INIT;

	strvec_push(&v, addr);
	return v;
}

static int compose(struct buf *out, struct mail *m, struct buf *err)
{
	buf_reset(out);
	buf_reset(err);
	return mail_compose(out, m, err);
}

/* The value of header name (first line only). */
static void header(struct buf *out, const char *msg, const char *name)
{
	struct buf key = BUF_INIT;
	const char *p;

	buf_addf(&key, "\r\n%s: ", name);
	p = strstr(msg, key.ptr);
	if (!p && !strncmp(msg, key.ptr + 2, key.len - 2))
		p = msg - 2;
	assert_non_null(p);
	p += key.len;
	buf_reset(out);
	buf_add(out, p, strcspn(p, "\r\n"));
	buf_release(&key);
}

/* Decodes quoted-printable text (soft breaks joined, CRLF kept as "\n"). */
static void qp_decode(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=' && i + 2 < n) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			buf_addch(out, (char)strtoul(hex, NULL, 16));
			i += 2;
		} else if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_addch(out, '\n');
			i++;
		} else {
			buf_addch(out, s[i]);
		}
	}
}

/* Every line ends in CRLF and none is longer than limit. */
static void assert_lines(const struct buf *msg, size_t limit)
{
	size_t col = 0;

	for (size_t i = 0; i < msg->len; i++) {
		if (msg->ptr[i] == '\n') {
			assert_true(i > 0 && msg->ptr[i - 1] == '\r');
			col = 0;
		} else if (msg->ptr[i] != '\r') {
			col++;
			if (col > limit)
				fail_msg("line over %zu: %.80s", limit, msg->ptr + i - col + 1);
		} else {
			assert_true(i + 1 < msg->len && msg->ptr[i + 1] == '\n');
		}
	}
}

static void test_compose_multipart(void **state)
{
	struct strvec to = one_rcpt("dev@example.com");
	struct mail m = {
		.from = "kura@git.example.com", .from_name = "Kura \"Bot\"", .to = &to,
		.reply_to = "help@example.com", .subject = "Your password was reset",
		.text = "Hello,\nline two.\n", .html = "<p>Hello</p>\n", .date_ms = NOV_14_2023,
	};
	struct buf out = BUF_INIT, err = BUF_INIT, v = BUF_INIT, body = BUF_INIT;
	const char *ct, *b, *part;
	(void)state;

	assert_int_equal(compose(&out, &m, &err), 0);
	assert_lines(&out, 998);
	header(&v, out.ptr, "From");
	assert_string_equal(v.ptr, "\"Kura \\\"Bot\\\"\" <kura@git.example.com>");
	header(&v, out.ptr, "To");
	assert_string_equal(v.ptr, "<dev@example.com>");
	header(&v, out.ptr, "Reply-To");
	assert_string_equal(v.ptr, "<help@example.com>");
	header(&v, out.ptr, "Subject");
	assert_string_equal(v.ptr, "Your password was reset");
	header(&v, out.ptr, "Date");
	assert_string_equal(v.ptr, "Tue, 14 Nov 2023 22:13:20 +0000");
	header(&v, out.ptr, "Message-ID");
	assert_true(v.ptr[0] == '<' && strstr(v.ptr, "@git.example.com>"));
	assert_int_equal(v.len, strlen("<") + 32 + strlen("@git.example.com>"));
	header(&v, out.ptr, "MIME-Version");
	assert_string_equal(v.ptr, "1.0");
	header(&v, out.ptr, "Content-Type");
	ct = strstr(v.ptr, "boundary=\"");
	assert_non_null(strstr(v.ptr, "multipart/alternative"));
	assert_non_null(ct);
	b = ct + 10;
	/* Both parts, in order, each introduced by the boundary. */
	part = strstr(out.ptr, "Content-Type: text/plain; charset=UTF-8");
	assert_non_null(part);
	assert_non_null(strstr(part, "Content-Type: text/html; charset=UTF-8"));
	assert_non_null(strstr(out.ptr, "Content-Transfer-Encoding: quoted-printable"));
	buf_reset(&v);
	buf_addf(&v, "--%.*s--\r\n", (int)strcspn(b, "\""), b);
	assert_non_null(strstr(out.ptr, v.ptr));
	part = strstr(part, "\r\n\r\n") + 4;
	qp_decode(&body, part, strcspn(part, "-") - 2);
	assert_string_equal(body.ptr, "Hello,\nline two.\n");
	strvec_release(&to);
	buf_release(&out);
	buf_release(&err);
	buf_release(&v);
	buf_release(&body);
}

static void test_compose_text_only(void **state)
{
	struct strvec to = one_rcpt("dev@example.com");
	struct mail m = { .from = "kura@example.com", .to = &to, .subject = "Hi", .text = "x" };
	struct buf out = BUF_INIT, err = BUF_INIT, v = BUF_INIT;
	(void)state;

	assert_int_equal(compose(&out, &m, &err), 0);
	assert_null(strstr(out.ptr, "multipart"));
	assert_null(strstr(out.ptr, "Reply-To"));
	header(&v, out.ptr, "Content-Type");
	assert_string_equal(v.ptr, "text/plain; charset=UTF-8");
	header(&v, out.ptr, "From");
	assert_string_equal(v.ptr, "<kura@example.com>");
	strvec_release(&to);
	buf_release(&out);
	buf_release(&err);
	buf_release(&v);
}

/* Decodes a Subject made of RFC 2047 B-words and checks each word's limits. */
static void decode_words(struct buf *out, const char *msg)
{
	const char *p = strstr(msg, "\r\nSubject: ") + 11;

	for (;;) {
		unsigned char bin[128];
		size_t n, len;
		const char *end;

		assert_memory_equal(p, "=?UTF-8?B?", 10);
		end = strstr(p, "?=");
		assert_true(end - p + 2 <= 75);			/* RFC 2047 word limit */
		assert_int_equal(sodium_base642bin(bin, sizeof(bin), p + 10, (size_t)(end - p - 10),
						   NULL, &len, NULL,
						   sodium_base64_VARIANT_ORIGINAL), 0);
		assert_true((bin[0] & 0xc0) != 0x80);		/* no split character */
		buf_add(out, bin, len);
		p = end + 2;
		n = strlen("\r\n ");
		if (strncmp(p, "\r\n ", n))
			break;
		p += n;
	}
}

static void test_subject_encoding(void **state)
{
	struct strvec to = one_rcpt("dev@example.com");
	const char *subjects[] = {
		"Grüße aus Köln",
		"日本語のとても長い件名です。日本語のとても長い件名です。日本語のとても長い件名です。",
		"émoji 🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉 end",
		"looks =?UTF-8?B?ZXZpbA==?= encoded",
	};
	struct mail m = { .from = "kura@example.com", .to = &to, .text = "x" };
	struct buf out = BUF_INIT, err = BUF_INIT, dec = BUF_INIT;
	(void)state;

	for (size_t i = 0; i < sizeof(subjects) / sizeof(*subjects); i++) {
		m.subject = subjects[i];
		assert_int_equal(compose(&out, &m, &err), 0);
		assert_lines(&out, 998);
		buf_reset(&dec);
		decode_words(&dec, out.ptr);
		assert_string_equal(dec.ptr, subjects[i]);
	}
	strvec_release(&to);
	buf_release(&out);
	buf_release(&err);
	buf_release(&dec);
}

static void test_quoted_printable(void **state)
{
	struct strvec to = one_rcpt("dev@example.com");
	struct buf text = BUF_INIT, out = BUF_INIT, err = BUF_INIT, dec = BUF_INIT;
	struct mail m = { .from = "kura@example.com", .to = &to, .subject = "qp" };
	const char *body;
	(void)state;

	buf_addstr(&text, ".leading dot\nFrom the start\ntrailing space \n");
	buf_addstr(&text, "a=b café\r\ntab\tin\n");
	for (int i = 0; i < 50; i++)
		buf_addstr(&text, "long-line-");
	buf_addstr(&text, "\n\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
		   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\n");
	m.text = text.ptr;
	assert_int_equal(compose(&out, &m, &err), 0);
	body = strstr(out.ptr, "\r\n\r\n") + 4;
	assert_lines(&out, 998);
	/* Body lines obey QP's 76 columns. */
	for (const char *p = body; *p; p += strcspn(p, "\n") + 1)
		assert_true(strcspn(p, "\r") <= 76);
	assert_non_null(strstr(body, "=2Eleading dot\r\n"));
	assert_non_null(strstr(body, "=46rom the start\r\n"));
	assert_non_null(strstr(body, "trailing space=20\r\n"));
	assert_non_null(strstr(body, "a=3Db caf=C3=A9\r\n"));
	assert_non_null(strstr(body, "tab\tin\r\n"));
	qp_decode(&dec, body, strlen(body));
	buf_reset(&text);
	buf_addstr(&text, ".leading dot\nFrom the start\ntrailing space \na=b café\ntab\tin\n");
	assert_memory_equal(dec.ptr, text.ptr, text.len);
	strvec_release(&to);
	buf_release(&text);
	buf_release(&out);
	buf_release(&err);
	buf_release(&dec);
}

static void test_address_ok(void **state)
{
	static const char *good[] = { "a@b", "first.last+tag@sub.example.com", "x_y-z@example.io" };
	static const char *bad[] = {
		"", "plain", "@example.com", "a@", "a@@b", "a@b@c", "a b@example.com",
		"a@example.com\r\nBcc: x@y", "a@example.com\n", "<a@example.com>", "a,b@example.com",
		"a;b@example.com", "\"a\"@example.com", "a@[127.0.0.1]", "-oQ/tmp@example.com",
		"a@-example.com", "caf\xc3\xa9@example.com", "a\t@example.com", "a@b\x7f",
	};
	char huge[300];
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (!mail_address_ok(good[i]))
			fail_msg("refused %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (mail_address_ok(bad[i]))
			fail_msg("accepted %s", bad[i]);
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	huge[10] = '@';
	assert_false(mail_address_ok(huge));
}

static void expect_refused(struct mail *m, int code)
{
	struct buf out = BUF_INIT, err = BUF_INIT;

	assert_int_equal(compose(&out, m, &err), code);
	assert_int_equal(out.len, 0);			/* nothing half-written */
	assert_true(err.len > 0);
	assert_null(strchr(err.ptr, '\n'));
	buf_release(&out);
	buf_release(&err);
}

static void test_header_injection_and_limits(void **state)
{
	struct strvec to = one_rcpt("dev@example.com"), bad_to = one_rcpt("dev@example.com>\r\nX:"),
		      many = STRVEC_INIT, none = STRVEC_INIT;
	struct mail ok = { .from = "kura@example.com", .to = &to, .subject = "s", .text = "t" };
	struct mail m;
	char *big = malloc(MAIL_BODY_MAX + 2);
	(void)state;

	m = ok, m.subject = "Hi\r\nBcc: victim@example.com";
	expect_refused(&m, ERR_INVALID);
	m = ok, m.subject = "Hi\nBcc: victim@example.com";
	expect_refused(&m, ERR_INVALID);
	m = ok, m.subject = "nul\x01byte";
	expect_refused(&m, ERR_INVALID);
	m = ok, m.from_name = "Eve\r\nBcc: victim@example.com";
	expect_refused(&m, ERR_INVALID);
	m = ok, m.reply_to = "a@example.com\r\nBcc: v@example.com";
	expect_refused(&m, ERR_INVALID);
	m = ok, m.from = "kura@example.com\n";
	expect_refused(&m, ERR_INVALID);
	m = ok, m.message_id = "<x@y>\r\nBcc: v@example.com";
	expect_refused(&m, ERR_INVALID);
	m = ok, m.to = &bad_to;
	expect_refused(&m, ERR_INVALID);
	m = ok, m.to = &none;
	expect_refused(&m, ERR_INVALID);
	m = ok, m.subject = NULL;
	expect_refused(&m, ERR_INVALID);
	m = ok, m.text = NULL;
	expect_refused(&m, ERR_INVALID);
	for (int i = 0; i <= MAIL_RCPT_MAX; i++)
		strvec_pushf(&many, "user%d@example.com", i);
	m = ok, m.to = &many;
	expect_refused(&m, ERR_TOOBIG);
	memset(big, 'x', MAIL_BODY_MAX + 1);
	big[MAIL_BODY_MAX + 1] = '\0';
	m = ok, m.text = big;
	expect_refused(&m, ERR_TOOBIG);
	big[MAIL_SUBJECT_MAX + 1] = '\0';
	m = ok, m.subject = big;
	expect_refused(&m, ERR_TOOBIG);
	free(big);
	strvec_release(&to);
	strvec_release(&bad_to);
	strvec_release(&many);
}

static void test_smtp_from_config(void **state)
{
	struct config cfg = { .external_url = "https://git.example.com:8443" };
	struct mail_smtp s;
	struct buf from = BUF_INIT;
	(void)state;

	assert_int_equal(mail_smtp_from_config(&cfg, &s, &from), ERR_NOTFOUND);
	cfg.smtp_url = "smtp://relay:587";
	assert_int_equal(mail_smtp_from_config(&cfg, &s, &from), 0);
	assert_string_equal(from.ptr, "kura@git.example.com");
	assert_string_equal(s.url, "smtp://relay:587");
	buf_reset(&from);
	cfg.smtp_from = "noreply@example.com";
	assert_int_equal(mail_smtp_from_config(&cfg, &s, &from), 0);
	assert_string_equal(from.ptr, "noreply@example.com");
	buf_release(&from);
}

/* ---- sending (KURA_TEST_SMTP_URL: an aiosmtpd sink accepting kura/s3cret;
 * recipients at refused.example get 550, at defer.example 451) ---- */

static int send_one(const char *url, const char *user, const char *password, const char *rcpt,
		    const char *subject, struct buf *err)
{
	struct strvec to = one_rcpt(rcpt);
	struct mail m = {
		.from = "kura@git.example.com", .from_name = "Kura", .to = &to,
		.reply_to = "help@example.com", .subject = subject,
		.text = "Commits pushed:\n.dot line\nCaf\xc3\xa9\n",
		.html = "<p>Commits pushed: <b>caf\xc3\xa9</b></p>\n",
	};
	struct mail_smtp s = { url, user, password, 5000 };
	struct buf msg = BUF_INIT;
	int ret;

	assert_int_equal(mail_compose(&msg, &m, err), 0);
	ret = mail_send(&s, m.from, &to, msg.ptr, msg.len, err);
	buf_release(&msg);
	strvec_release(&to);
	return ret;
}

static const char *sink(void)
{
	const char *url = getenv("KURA_TEST_SMTP_URL");

	if (!url || !*url)
		skip();
	return url;
}

static void test_send_delivered(void **state)
{
	struct buf err = BUF_INIT;
	(void)state;

	if (send_one(sink(), "kura", "s3cret", "dev@example.com",
		     "Push to grp/app: 3 commits \xe2\x80\x94 \xc3\xbc", &err) != 0)
		fail_msg("%s", err.ptr);
	assert_int_equal(send_one(sink(), NULL, NULL, "ops@example.com", "No auth", &err), 0);
	buf_release(&err);
}

static void test_send_errors(void **state)
{
	const char *down = getenv("KURA_TEST_SMTP_DOWN_URL");
	struct buf err = BUF_INIT;
	(void)state;

	assert_int_equal(send_one(sink(), "kura", "wrong-pass", "dev@example.com", "x", &err),
			 ERR_UNAVAILABLE);
	assert_null(strstr(err.ptr, "wrong-pass"));
	buf_reset(&err);
	assert_int_equal(send_one(sink(), NULL, NULL, "nobody@refused.example", "x", &err),
			 ERR_INVALID);
	assert_non_null(strstr(err.ptr, "550"));
	buf_reset(&err);
	assert_int_equal(send_one(sink(), NULL, NULL, "later@defer.example", "x", &err),
			 ERR_UNAVAILABLE);
	assert_non_null(strstr(err.ptr, "451"));
	if (down && *down) {
		buf_reset(&err);
		assert_int_equal(send_one(down, NULL, NULL, "dev@example.com", "x", &err),
				 ERR_UNAVAILABLE);
	}
	buf_reset(&err);
	assert_int_equal(send_one("http://127.0.0.1:1/", NULL, NULL, "dev@example.com", "x",
				  &err), ERR_INVALID);
	buf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose_multipart),
		cmocka_unit_test(test_compose_text_only),
		cmocka_unit_test(test_subject_encoding),
		cmocka_unit_test(test_quoted_printable),
		cmocka_unit_test(test_address_ok),
		cmocka_unit_test(test_header_injection_and_limits),
		cmocka_unit_test(test_smtp_from_config),
		cmocka_unit_test(test_send_delivered),
		cmocka_unit_test(test_send_errors),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
