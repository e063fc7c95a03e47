/* Parsers of untrusted text: whole string or nothing, and the output is
 * untouched on failure. Each table has hostile rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"

#include <stdlib.h>
#include <string.h>

#define UNTOUCHED 4242

struct u64_case {
	const char *in;
	uint64_t max;
	int ret;
	uint64_t want;
};

static void test_parse_u64(void **state)
{
	static const struct u64_case cases[] = {
		{ "0", 10, 0, 0 },
		{ "7", 10, 0, 7 },
		{ "10", 10, 0, 10 },
		{ "11", 10, ERR_INVALID, 0 },
		{ "9", 5, ERR_INVALID, 0 },		/* one digit above a small max */
		{ "6", 5, ERR_INVALID, 0 },
		{ "5", 5, 0, 5 },
		{ "1", 0, ERR_INVALID, 0 },
		{ "0", 0, 0, 0 },
		{ "007", 10, 0, 7 },
		{ "65535", 65535, 0, 65535 },
		{ "65536", 65535, ERR_INVALID, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, ERR_INVALID, 0 },	/* overflow */
		{ "99999999999999999999", UINT64_MAX, ERR_INVALID, 0 },
		{ "000000000000000000001", UINT64_MAX, ERR_INVALID, 0 },	/* > 20 chars */
		{ "", 10, ERR_INVALID, 0 },
		{ "-1", 10, ERR_INVALID, 0 },
		{ "-x", 10, ERR_INVALID, 0 },
		{ "+1", 10, ERR_INVALID, 0 },
		{ " 1", 10, ERR_INVALID, 0 },
		{ "1 ", 10, ERR_INVALID, 0 },
		{ "1a", 10, ERR_INVALID, 0 },
		{ "0x1", 10, ERR_INVALID, 0 },
		{ "..", 10, ERR_INVALID, 0 },
		{ "1e3", 10000, ERR_INVALID, 0 },
		{ "\xd9\xa1", 10, ERR_INVALID, 0 },	/* Arabic-Indic digit one */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t v = UNTOUCHED;
		int ret = parse_u64(cases[i].in, cases[i].max, &v);

		if (ret != cases[i].ret)
			fail_msg("parse_u64(\"%s\", %llu) = %d, want %d", cases[i].in,
				 (unsigned long long)cases[i].max, ret, cases[i].ret);
		assert_int_equal(v, ret == 0 ? cases[i].want : UNTOUCHED);
	}
	{
		uint64_t v = UNTOUCHED;

		assert_int_equal(parse_u64(NULL, 10, &v), ERR_INVALID);
		assert_int_equal(v, UNTOUCHED);
	}
}

struct i64_case {
	const char *in;
	int64_t min, max;
	int ret;
	int64_t want;
};

static void test_parse_i64(void **state)
{
	static const struct i64_case cases[] = {
		{ "0", -10, 10, 0, 0 },
		{ "-10", -10, 10, 0, -10 },
		{ "-11", -10, 10, ERR_INVALID, 0 },
		{ "10", -10, 10, 0, 10 },
		{ "11", -10, 10, ERR_INVALID, 0 },
		{ "-0", -10, 10, 0, 0 },
		{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX },
		{ "9223372036854775808", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
		{ "-9223372036854775807", INT64_MIN, INT64_MAX, 0, -INT64_MAX },
		{ "-99999999999999999999", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
		{ "", -10, 10, ERR_INVALID, 0 },
		{ "-", -10, 10, ERR_INVALID, 0 },
		{ "--1", -10, 10, ERR_INVALID, 0 },
		{ "-x", -10, 10, ERR_INVALID, 0 },
		{ "+1", -10, 10, ERR_INVALID, 0 },
		{ "1-", -10, 10, ERR_INVALID, 0 },
		{ "..", -10, 10, ERR_INVALID, 0 },
		{ "5", 6, 10, ERR_INVALID, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int64_t v = UNTOUCHED;
		int ret = parse_i64(cases[i].in, cases[i].min, cases[i].max, &v);

		if (ret != cases[i].ret)
			fail_msg("parse_i64(\"%s\") = %d, want %d", cases[i].in, ret,
				 cases[i].ret);
		assert_int_equal(v, ret == 0 ? cases[i].want : UNTOUCHED);
	}
}

struct bool_case {
	const char *in;
	int ret, want;
};

static void test_parse_bool(void **state)
{
	static const struct bool_case cases[] = {
		{ "true", 0, 1 }, { "True", 0, 1 }, { "TRUE", 0, 1 }, { "1", 0, 1 },
		{ "yes", 0, 1 }, { "on", 0, 1 },
		{ "false", 0, 0 }, { "False", 0, 0 }, { "0", 0, 0 }, { "no", 0, 0 },
		{ "off", 0, 0 },
		{ "", ERR_INVALID, 0 }, { "t", ERR_INVALID, 0 }, { "2", ERR_INVALID, 0 },
		{ "true ", ERR_INVALID, 0 }, { " true", ERR_INVALID, 0 },
		{ "truex", ERR_INVALID, 0 }, { "-x", ERR_INVALID, 0 }, { "..", ERR_INVALID, 0 },
		{ "01", ERR_INVALID, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int v = UNTOUCHED;
		int ret = parse_bool(cases[i].in, &v);

		if (ret != cases[i].ret)
			fail_msg("parse_bool(\"%s\") = %d", cases[i].in, ret);
		assert_int_equal(v, ret == 0 ? cases[i].want : UNTOUCHED);
	}
	{
		int v = UNTOUCHED;

		assert_int_equal(parse_bool(NULL, &v), ERR_INVALID);
		assert_int_equal(v, UNTOUCHED);
	}
}

struct host_port_case {
	const char *in;
	int ret;
	const char *host;
	uint16_t port;
};

static void test_parse_host_port(void **state)
{
	static const struct host_port_case cases[] = {
		{ "127.0.0.1:8080", 0, "127.0.0.1", 8080 },
		{ "0.0.0.0:1", 0, "0.0.0.0", 1 },
		{ "localhost:65535", 0, "localhost", 65535 },
		{ "[::1]:443", 0, "[::1]", 443 },
		{ "host:0", ERR_INVALID, NULL, 0 },
		{ "host:65536", ERR_INVALID, NULL, 0 },
		{ "host:99999999999999999999999", ERR_INVALID, NULL, 0 },
		{ "host:-1", ERR_INVALID, NULL, 0 },
		{ "host:+80", ERR_INVALID, NULL, 0 },
		{ "host:80x", ERR_INVALID, NULL, 0 },
		{ "host: 80", ERR_INVALID, NULL, 0 },
		{ "host:", ERR_INVALID, NULL, 0 },
		{ ":8080", ERR_INVALID, NULL, 0 },
		{ "8080", ERR_INVALID, NULL, 0 },
		{ "", ERR_INVALID, NULL, 0 },
		{ "..", ERR_INVALID, NULL, 0 },
		{ "-x", ERR_INVALID, NULL, 0 },
		/* Host longer than the caller's buffer: refused, never truncated. */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:80", ERR_INVALID, NULL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char host[32] = "untouched";
		uint16_t port = 7;
		int ret = parse_host_port(cases[i].in, host, sizeof(host), &port);

		if (ret != cases[i].ret)
			fail_msg("parse_host_port(\"%s\") = %d", cases[i].in, ret);
		if (ret == 0) {
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].port);
		} else {
			assert_string_equal(host, "untouched");
			assert_int_equal(port, 7);
		}
	}
}

struct pct_case {
	const char *in;
	int ret;
	const char *want;
};

static void test_parse_percent_decode(void **state)
{
	static const struct pct_case cases[] = {
		{ "", 0, "" },
		{ "abc", 0, "abc" },
		{ "a%20b", 0, "a b" },
		{ "a+b", 0, "a+b" },			/* '+' is not a space in paths */
		{ "%2F", 0, "/" },
		{ "%2f%2E%2e", 0, "/.." },		/* decoding may yield "..": callers check */
		{ "%41%42", 0, "AB" },
		{ "%e2%80%ae", 0, "\xe2\x80\xae" },
		{ "%00", ERR_INVALID, NULL },		/* NUL never gets through */
		{ "a%00b", ERR_INVALID, NULL },
		{ "%", ERR_INVALID, NULL },
		{ "%4", ERR_INVALID, NULL },
		{ "a%4", ERR_INVALID, NULL },
		{ "%g1", ERR_INVALID, NULL },
		{ "%1g", ERR_INVALID, NULL },
		{ "%%41", ERR_INVALID, NULL },
		{ "%-1", ERR_INVALID, NULL },
		{ "% 1", ERR_INVALID, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf out = BUF_INIT;
		int ret = parse_percent_decode(&out, cases[i].in, strlen(cases[i].in));

		if (ret != cases[i].ret)
			fail_msg("parse_percent_decode(\"%s\") = %d", cases[i].in, ret);
		if (ret == 0)
			assert_string_equal(out.ptr, cases[i].want);
		buf_release(&out);
	}
}

static void test_parse_percent_decode_raw_nul(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	/* A literal NUL byte inside the counted input is refused too. */
	assert_int_equal(parse_percent_decode(&out, "a\0b", 3), ERR_INVALID);
	buf_release(&out);
}

static void test_parse_percent_decode_respects_cap(void **state)
{
	struct buf out = BUF_INIT_MAX(4);
	char huge[4096];

	(void)state;
	memset(huge, 'a', sizeof(huge));
	assert_int_equal(parse_percent_decode(&out, huge, sizeof(huge)), ERR_TOOBIG);
	assert_true(out.len <= 4);
	buf_release(&out);
}

static void test_parse_percent_decode_stops_at_n(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	/* Only n bytes are read: a '%' at the edge is malformed, not read past. */
	assert_int_equal(parse_percent_decode(&out, "ab%41", 3), ERR_INVALID);
	buf_reset(&out);
	assert_int_equal(parse_percent_decode(&out, "ab%41", 2), 0);
	assert_string_equal(out.ptr, "ab");
	buf_release(&out);
}

static void test_parse_form_decode(void **state)
{
	static const struct {
		const char *in;
		const char *out;	/* NULL: refused */
	} rows[] = {
		{ "", "" },
		{ "a+b", "a b" },
		{ "a%2Bb", "a+b" },
		{ "%2F%2e%2E", "/.." },
		{ "+++", "   " },
		{ "x%20y+z", "x y z" },
		{ "%", NULL },
		{ "%4", NULL },
		{ "%zz", NULL },
		{ "a%00b", NULL },
		{ "a+%0", NULL },
		{ "%E2%82%AC", "\xe2\x82\xac" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		char *got = parse_form_decode(rows[i].in, strlen(rows[i].in));

		if (!rows[i].out) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		assert_string_equal(got, rows[i].out);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_i64),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_host_port),
		cmocka_unit_test(test_parse_percent_decode),
		cmocka_unit_test(test_parse_percent_decode_raw_nul),
		cmocka_unit_test(test_parse_percent_decode_respects_cap),
		cmocka_unit_test(test_parse_percent_decode_stops_at_n),
		cmocka_unit_test(test_parse_form_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
