/* The outbound request policy: CIDR and allow-list parsing, the address
 * classification (every refused range, IPv4-mapped forms, the metadata
 * addresses), URL checks with alternate IP spellings, and real deliveries.
 *
 * The delivery tests need a receiver: tests/e2e/test_outbound.py starts one
 * on loopback and runs this binary with KURA_TEST_HTTP_URL set; without it
 * they are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"
#include "jobs/outbound.h"
#include "jobs/webhook_deliver.h"

/* ---- CIDR parsing ---- */

static void test_cidr_parse_good(void **state)
{
	struct outbound_cidr c;
	(void)state;

	assert_int_equal(outbound_cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(outbound_cidr_parse("10.1.2.3/8", &c), 0);
	assert_int_equal(c.addr[1], 0);			/* host bits cleared */
	assert_int_equal(outbound_cidr_parse("192.0.2.7", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(outbound_cidr_parse("fd00::/8", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 8);
	assert_int_equal(outbound_cidr_parse("::1", &c), 0);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(outbound_cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(outbound_cidr_parse("::/0", &c), 0);
}

static void test_cidr_parse_hostile(void **state)
{
	static const char *bad[] = {
		"10.0.0.0/33", "::1/129", "abc", "", "1.2.3.4/ 8", "1.2.3.4 /8", " 1.2.3.4",
		"1.2.3.4/", "/8", "1.2.3.4/-1", "1.2.3.4/+8", "1.2.3.4/8/8", "1.2.3.4/08x",
		"127.1", "0177.0.0.1", "0x7f000001", "2130706433", "1.2.3.4.5", "256.0.0.1",
		"fe80::1%eth0", "[::1]", "::1/", "1.2.3.4/99999999999999999999",
		"1111111111111111111111111111111111111111111111111111111111111111/8",
	};
	struct outbound_cidr c = { .family = 77 };
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (outbound_cidr_parse(bad[i], &c) != ERR_INVALID)
			fail_msg("accepted %s", bad[i]);
		assert_int_equal(c.family, 77);		/* untouched */
	}
}

static void test_allow_parse(void **state)
{
	struct outbound_allow a = OUTBOUND_ALLOW_INIT;
	struct buf err = BUF_INIT;
	static const char *bad[] = { ",", "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/8,,::1",
				     "10.0.0.0/8, abc", "10.0.0.0/33" };
	(void)state;

	assert_int_equal(outbound_allow_parse(&a, NULL, &err), 0);
	assert_int_equal(a.nr, 0);
	assert_int_equal(outbound_allow_parse(&a, "", &err), 0);
	assert_int_equal(a.nr, 0);
	assert_int_equal(outbound_allow_parse(&a, " 127.0.0.0/8 , ::1/128,10.0.0.0/8", &err), 0);
	assert_int_equal(a.nr, 3);
	outbound_allow_release(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		buf_reset(&err);
		if (outbound_allow_parse(&a, bad[i], &err) != ERR_INVALID)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err.ptr, "outbound_allow_cidrs"));
		assert_null(strchr(err.ptr, '\n'));
		assert_int_equal(a.nr, 0);
	}
	buf_release(&err);
}

/* ---- the address policy ---- */

static int check(const char *allow_list, const char *addr, struct buf *err)
{
	struct outbound_allow a = OUTBOUND_ALLOW_INIT;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct buf ignored = BUF_INIT;
	int ret = 0;

	assert_int_equal(outbound_allow_parse(&a, allow_list, &ignored), 0);
	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1)
		ret = outbound_addr_check(&a, (struct sockaddr *)&s4, err);
	else if (inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1)
		ret = outbound_addr_check(&a, (struct sockaddr *)&s6, err);
	else
		fail_msg("test address %s", addr);
	outbound_allow_release(&a);
	buf_release(&ignored);
	return ret;
}

static void test_addr_refused(void **state)
{
	static const char *refused[] = {
		"127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "172.31.255.255",
		"192.168.1.1", "169.254.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255",
		"0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255",
		"240.0.0.1", "192.0.2.1", "198.18.0.1", "::1", "::", "fc00::1", "fd12:3456::1",
		"fd00:ec2::254", "fe80::1", "febf::1", "fec0::1", "ff02::1", "2001:db8::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		"::ffff:192.168.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
		"2002:7f00:1::1", "2002:a00:1::", "64:ff9b:1::1", "100::1",
	};
	struct buf err = BUF_INIT;
	(void)state;

	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		buf_reset(&err);
		if (check(NULL, refused[i], &err) != ERR_DENIED)
			fail_msg("allowed %s", refused[i]);
		assert_non_null(strstr(err.ptr, refused[i]));	/* names the address */
		assert_null(strchr(err.ptr, '\n'));
	}
	buf_release(&err);
}

static void test_addr_public_allowed(void **state)
{
	static const char *ok[] = {
		"1.1.1.1", "8.8.8.8", "172.15.255.255", "172.32.0.0", "100.63.255.255",
		"100.128.0.0", "169.253.255.255", "192.169.0.0", "11.0.0.1", "223.255.255.255",
		"2606:4700::1111", "2a00:1450::1", "::ffff:8.8.8.8", "64:ff9b::808:808",
		"2002:808:808::1",
	};
	struct buf err = BUF_INIT;
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (check(NULL, ok[i], &err) != 0)
			fail_msg("refused %s: %s", ok[i], err.ptr);
	buf_release(&err);
}

static void test_addr_allow_list(void **state)
{
	struct buf err = BUF_INIT;
	(void)state;

	assert_int_equal(check("127.0.0.0/8", "127.0.0.1", &err), 0);
	assert_int_equal(check("127.0.0.0/8", "::ffff:127.0.0.1", &err), 0);
	assert_int_equal(check("127.0.0.0/8", "::1", &err), ERR_DENIED);
	assert_int_equal(check("::1/128", "::1", &err), 0);
	assert_int_equal(check("10.1.0.0/16", "10.1.200.3", &err), 0);
	assert_int_equal(check("10.1.0.0/16", "10.2.0.1", &err), ERR_DENIED);
	assert_int_equal(check("10.0.0.0/9", "10.127.255.255", &err), 0);
	assert_int_equal(check("10.0.0.0/9", "10.128.0.0", &err), ERR_DENIED);
	assert_int_equal(check("fd00::/8", "fd12::1", &err), 0);
	/* A covering range never opens the metadata service ... */
	buf_reset(&err);
	assert_int_equal(check("169.254.0.0/16", "169.254.169.254", &err), ERR_DENIED);
	assert_non_null(strstr(err.ptr, "metadata"));
	assert_int_equal(check("0.0.0.0/0", "169.254.169.254", &err), ERR_DENIED);
	assert_int_equal(check("0.0.0.0/0", "::ffff:169.254.169.254", &err), ERR_DENIED);
	assert_int_equal(check("fd00::/8", "fd00:ec2::254", &err), ERR_DENIED);
	assert_int_equal(check("::/0", "fd00:ec2::254", &err), ERR_DENIED);
	assert_int_equal(check("169.254.0.0/16", "169.254.1.1", &err), 0);
	/* ... an entry naming it exactly does. */
	assert_int_equal(check("169.254.169.254/32", "169.254.169.254", &err), 0);
	assert_int_equal(check("169.254.169.254", "::ffff:169.254.169.254", &err), 0);
	assert_int_equal(check("fd00:ec2::254/128", "fd00:ec2::254", &err), 0);
	buf_release(&err);
}

/* ---- URLs ---- */

static void expect_url(const char *url, int code, const char *needle)
{
	struct buf err = BUF_INIT;
	int ret = outbound_check_url(url, NULL, &err);

	if (ret != code)
		fail_msg("%s: got %d (%s), want %d", url, ret, err.ptr, code);
	if (needle && !strstr(err.ptr, needle))
		fail_msg("%s: %s lacks %s", url, err.ptr, needle);
	assert_null(strchr(err.ptr, '\n'));
	assert_null(strstr(err.ptr, "s3cret"));		/* userinfo never echoed */
	buf_release(&err);
}

static void test_check_url_refusals(void **state)
{
	(void)state;
	expect_url("http://127.0.0.1/hook", ERR_DENIED, "loopback");
	expect_url("http://10.0.0.1/hook", ERR_DENIED, "private");
	expect_url("http://169.254.169.254/latest/meta-data/", ERR_DENIED, "metadata");
	expect_url("http://[::1]:8080/hook", ERR_DENIED, "loopback");
	expect_url("http://[fd00:ec2::254]/", ERR_DENIED, "metadata");
	expect_url("http://localhost:9/hook", ERR_DENIED, "loopback");
	expect_url("http://user:s3cret@127.0.0.1/hook", ERR_DENIED, "loopback");
	/* Alternate spellings reach the same address and get the same answer. */
	expect_url("http://2130706433/", ERR_DENIED, "127.0.0.1");
	expect_url("http://0177.0.0.1/", ERR_DENIED, "127.0.0.1");
	expect_url("http://0x7f000001/", ERR_DENIED, "127.0.0.1");
	expect_url("http://127.1/", ERR_DENIED, "127.0.0.1");
	expect_url("http://[::ffff:127.0.0.1]/", ERR_DENIED, "loopback");
	expect_url("http://[::ffff:a9fe:a9fe]/", ERR_DENIED, "metadata");
	expect_url("http://0/", ERR_DENIED, "0.0.0.0");
}

static void test_check_url_malformed(void **state)
{
	char huge[5000];
	(void)state;

	expect_url("ftp://example.com/", ERR_INVALID, "http and https");
	expect_url("file:///etc/passwd", ERR_INVALID, NULL);
	expect_url("gopher://127.0.0.1:6379/_INFO", ERR_INVALID, NULL);
	expect_url("dict://127.0.0.1:11211/", ERR_INVALID, NULL);
	expect_url("", ERR_INVALID, NULL);
	expect_url("example.com/hook", ERR_INVALID, NULL);
	expect_url("http://", ERR_INVALID, NULL);
	expect_url("http://exa mple.com/", ERR_INVALID, NULL);
	expect_url("http://example.com/\r\nX-Injected: 1", ERR_INVALID, NULL);
	expect_url("http://user:s3cret@no-such-host.invalid/", ERR_INVALID, "could not be resolved");
	memset(huge, 'a', sizeof(huge) - 1);
	memcpy(huge, "http://", 7);
	huge[sizeof(huge) - 1] = '\0';
	expect_url(huge, ERR_INVALID, "longer");
}

static void test_check_url_allowed(void **state)
{
	struct outbound_allow a = OUTBOUND_ALLOW_INIT;
	struct buf err = BUF_INIT;
	(void)state;

	assert_int_equal(outbound_allow_parse(&a, "127.0.0.0/8,::1/128", &err), 0);
	assert_int_equal(outbound_check_url("http://127.0.0.1:1/x", &a, &err), 0);
	assert_int_equal(outbound_check_url("https://u:p@[::1]/x", &a, &err), 0);
	assert_int_equal(outbound_check_url("http://10.0.0.1/x", &a, &err), ERR_DENIED);
	outbound_allow_release(&a);
	buf_release(&err);
}

static void test_url_for_log(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;

	outbound_url_for_log(&b, "https://user:s3cret@hooks.example.com/p/a?token=s3cret#f");
	assert_string_equal(b.ptr, "https://hooks.example.com/p/a");
	buf_reset(&b);
	outbound_url_for_log(&b, "http://example.com:8080");
	assert_string_equal(b.ptr, "http://example.com:8080/");
	buf_reset(&b);
	outbound_url_for_log(&b, "not a url s3cret");
	assert_string_equal(b.ptr, "(invalid URL)");
	buf_release(&b);
}

static void test_hook_state(void **state)
{
	int64_t ms;
	(void)state;

	assert_int_equal(webhook_hook_state_after(0, &ms), WEBHOOK_HOOK_ACTIVE);
	assert_int_equal(webhook_hook_state_after(3, &ms), WEBHOOK_HOOK_ACTIVE);
	assert_int_equal(ms, 0);
	assert_int_equal(webhook_hook_state_after(4, &ms), WEBHOOK_HOOK_TEMP_DISABLED);
	assert_int_equal(ms, 60 * 1000);
	assert_int_equal(webhook_hook_state_after(5, &ms), WEBHOOK_HOOK_TEMP_DISABLED);
	assert_int_equal(ms, 120 * 1000);
	assert_int_equal(webhook_hook_state_after(15, &ms), WEBHOOK_HOOK_TEMP_DISABLED);
	assert_int_equal(ms, 24 * 60 * 60 * 1000);		/* capped */
	assert_int_equal(webhook_hook_state_after(39, &ms), WEBHOOK_HOOK_TEMP_DISABLED);
	assert_int_equal(webhook_hook_state_after(40, &ms), WEBHOOK_HOOK_PERM_DISABLED);
	assert_int_equal(ms, 0);
}

/* ---- real deliveries (KURA_TEST_HTTP_URL) ---- */

static const char *receiver(void)
{
	const char *base = getenv("KURA_TEST_HTTP_URL");

	if (!base || !*base)
		skip();
	return base;
}

/* 127.0.0.0/8 allowed; skips first (before allocating) unless the test
 * works without a receiver. */
static struct outbound_allow loopback_allowed(int need_receiver)
{
	struct outbound_allow a = OUTBOUND_ALLOW_INIT;
	struct buf err = BUF_INIT;

	if (need_receiver)
		(void)receiver();

	assert_int_equal(outbound_allow_parse(&a, "127.0.0.0/8", &err), 0);
	buf_release(&err);
	return a;
}

static int deliver(const char *path, const struct outbound_allow *allow, const char *token,
		   struct webhook_result *out)
{
	struct buf url = BUF_INIT;
	struct webhook_target t = {
		.token = token, .hook_uuid = "6b7c0f1e-0000-4000-8000-000000000001",
		.instance_url = "https://git.example.com", .verify_tls = 1, .allow = allow,
		.timeout_ms = 2000,
	};
	int ret;

	buf_addf(&url, "%s%s", receiver(), path);
	t.url = url.ptr;
	ret = webhook_deliver(&t, "Push Hook", "{\"object_kind\":\"push\"}",
			      "a1b2c3d4-0000-4000-8000-00000000000a",
			      "e1e2e3e4-0000-4000-8000-00000000000b", out);
	buf_release(&url);
	return ret;
}

static void test_deliver_headers_and_body(void **state)
{
	struct outbound_allow a = loopback_allowed(1);
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	json_t *echo, *h;
	(void)state;

	assert_int_equal(deliver("/echo", &a, "tok-123", &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.duration_ms >= 0);
	echo = json_loads(r.response.ptr, 0, NULL);
	assert_non_null(echo);
	h = json_object_get(echo, "headers");
	assert_string_equal(json_string_value(json_object_get(echo, "method")), "POST");
	assert_string_equal(json_string_value(json_object_get(echo, "body")),
			    "{\"object_kind\":\"push\"}");
	assert_string_equal(json_string_value(json_object_get(h, "content-type")),
			    "application/json");
	assert_string_equal(json_string_value(json_object_get(h, "x-gitlab-event")), "Push Hook");
	assert_string_equal(json_string_value(json_object_get(h, "x-gitlab-token")), "tok-123");
	assert_string_equal(json_string_value(json_object_get(h, "x-gitlab-instance")),
			    "https://git.example.com");
	assert_string_equal(json_string_value(json_object_get(h, "x-gitlab-webhook-uuid")),
			    "6b7c0f1e-0000-4000-8000-000000000001");
	assert_string_equal(json_string_value(json_object_get(h, "x-gitlab-event-uuid")),
			    "e1e2e3e4-0000-4000-8000-00000000000b");
	assert_string_equal(json_string_value(json_object_get(h, "idempotency-key")),
			    "a1b2c3d4-0000-4000-8000-00000000000a");
	assert_string_equal(json_string_value(json_object_get(h, "user-agent")),
			    WEBHOOK_USER_AGENT);
	assert_null(json_object_get(h, "expect"));
	json_decref(echo);
	/* No token: no header at all. */
	assert_int_equal(deliver("/echo", &a, NULL, &r), 0);
	echo = json_loads(r.response.ptr, 0, NULL);
	assert_null(json_object_get(json_object_get(echo, "headers"), "x-gitlab-token"));
	json_decref(echo);
	webhook_result_release(&r);
	outbound_allow_release(&a);
}

static void test_deliver_statuses(void **state)
{
	struct outbound_allow a = loopback_allowed(1);
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	(void)state;

	assert_int_equal(deliver("/status/500", &a, NULL, &r), ERR_UNAVAILABLE);
	assert_int_equal(r.status, 500);
	assert_true(r.retryable);
	assert_non_null(strstr(r.error.ptr, "500"));
	assert_int_equal(deliver("/status/429", &a, NULL, &r), ERR_UNAVAILABLE);
	assert_true(r.retryable);
	assert_int_equal(deliver("/status/404", &a, NULL, &r), ERR_INVALID);
	assert_int_equal(r.status, 404);
	assert_false(r.retryable);
	assert_int_equal(deliver("/status/201", &a, NULL, &r), 0);
	assert_int_equal(r.error.len, 0);
	webhook_result_release(&r);
	outbound_allow_release(&a);
}

static void test_deliver_redirect_not_followed(void **state)
{
	struct outbound_allow a = loopback_allowed(1);
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	(void)state;

	/* The receiver records hits on /target; the pytest wrapper checks it
	 * saw none. */
	assert_int_equal(deliver("/redirect", &a, NULL, &r), ERR_INVALID);
	assert_int_equal(r.status, 302);
	assert_false(r.retryable);
	assert_non_null(strstr(r.error.ptr, "redirects are not followed"));
	assert_non_null(strstr(r.error.ptr, "/target"));
	assert_null(strstr(r.error.ptr, "s3cret"));	/* the Location's query is dropped */
	webhook_result_release(&r);
	outbound_allow_release(&a);
}

static void test_deliver_refused_without_allowance(void **state)
{
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	struct webhook_target t = { .hook_uuid = "u", .verify_tls = 1, .timeout_ms = 2000 };
	static const char *urls[] = {
		"http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/",
		"http://[::1]:9/hook", "http://0x7f000001:9/hook", "http://localhost:9/",
	};
	(void)state;

	/* The receiver itself, on loopback, without an allowance. */
	assert_int_equal(deliver("/target", NULL, NULL, &r), ERR_DENIED);
	assert_int_equal(r.status, 0);
	assert_false(r.retryable);
	assert_non_null(strstr(r.error.ptr, "127.0.0.1"));
	assert_non_null(strstr(r.error.ptr, "outbound_allow_cidrs"));
	for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
		t.url = urls[i];
		if (webhook_deliver(&t, "Push Hook", "{}", "k", "e", &r) != ERR_DENIED)
			fail_msg("%s: %s", urls[i], r.error.ptr);
		assert_false(r.retryable);
	}
	webhook_result_release(&r);
}

static void test_deliver_caps_and_timeouts(void **state)
{
	struct outbound_allow a = loopback_allowed(1);
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	(void)state;

	/* A body far past the cap: the kept part is exactly the cap. */
	assert_int_equal(deliver("/big", &a, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.response.len, WEBHOOK_RESPONSE_MAX);
	/* A receiver that never answers costs the timeout, then a retry. */
	assert_int_equal(deliver("/slow", &a, NULL, &r), ERR_UNAVAILABLE);
	assert_true(r.retryable);
	assert_true(r.duration_ms >= 1900 && r.duration_ms < 5000);
	assert_non_null(strstr(r.error.ptr, "did not answer"));
	webhook_result_release(&r);
	outbound_allow_release(&a);
}

static void test_deliver_hostile_headers(void **state)
{
	struct outbound_allow a = loopback_allowed(1);
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	(void)state;

	assert_int_equal(deliver("/echo", &a, "tok\r\nX-Evil: 1", &r), ERR_INVALID);
	assert_non_null(strstr(r.error.ptr, "line break"));
	assert_null(strstr(r.error.ptr, "tok"));	/* the token is not echoed */
	assert_int_equal(r.status, 0);
	webhook_result_release(&r);
	outbound_allow_release(&a);
}

static void test_deliver_connection_refused(void **state)
{
	struct outbound_allow a = loopback_allowed(0);
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	struct webhook_target t = { .url = "http://127.0.0.1:1/hook", .allow = &a,
				    .timeout_ms = 2000 };
	(void)state;

	assert_int_equal(webhook_deliver(&t, "Push Hook", "{}", "k", "e", &r), ERR_UNAVAILABLE);
	assert_true(r.retryable);
	assert_int_equal(r.status, 0);
	webhook_result_release(&r);
	outbound_allow_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse_good),
		cmocka_unit_test(test_cidr_parse_hostile),
		cmocka_unit_test(test_allow_parse),
		cmocka_unit_test(test_addr_refused),
		cmocka_unit_test(test_addr_public_allowed),
		cmocka_unit_test(test_addr_allow_list),
		cmocka_unit_test(test_check_url_refusals),
		cmocka_unit_test(test_check_url_malformed),
		cmocka_unit_test(test_check_url_allowed),
		cmocka_unit_test(test_url_for_log),
		cmocka_unit_test(test_hook_state),
		cmocka_unit_test(test_deliver_connection_refused),
		cmocka_unit_test(test_deliver_headers_and_body),
		cmocka_unit_test(test_deliver_statuses),
		cmocka_unit_test(test_deliver_redirect_not_followed),
		cmocka_unit_test(test_deliver_refused_without_allowance),
		cmocka_unit_test(test_deliver_caps_and_timeouts),
		cmocka_unit_test(test_deliver_hostile_headers),
	};

	outbound_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
