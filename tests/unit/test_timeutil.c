/* Timestamps: GitLab's ISO-8601 with milliseconds, and YYYY-MM-DD dates
 * (token expiry) validated to the day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/timeutil.h"

#include <string.h>

static void test_time_format_iso8601(void **state)
{
	char out[32];

	(void)state;
	time_format_iso8601(out, sizeof(out), 0);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	time_format_iso8601(out, sizeof(out), 1669629600123LL);
	assert_string_equal(out, "2022-11-28T10:00:00.123Z");
	time_format_iso8601(out, sizeof(out), 951782400000LL + 86399999LL);
	assert_string_equal(out, "2000-02-29T23:59:59.999Z");
	assert_int_equal(strlen(out), 24);
}

static void test_time_format_date(void **state)
{
	char out[16];

	(void)state;
	time_format_date(out, sizeof(out), 1669629600123LL);
	assert_string_equal(out, "2022-11-28");
	time_format_date(out, sizeof(out), 0);
	assert_string_equal(out, "1970-01-01");
}

struct date_case {
	const char *in;
	int ret;
	int64_t ms;
};

static void test_time_parse_date(void **state)
{
	static const struct date_case cases[] = {
		{ "1970-01-01", 0, 0 },
		{ "2022-11-28", 0, 1669593600000LL },
		{ "2000-02-29", 0, 951782400000LL },		/* divisible by 400: leap */
		{ "2024-02-29", 0, 1709164800000LL },
		{ "2024-12-31", 0, 1735603200000LL },
		{ "2023-02-29", ERR_INVALID, 0 },
		{ "1900-02-29", ERR_INVALID, 0 },		/* divisible by 100: not leap */
		{ "2100-02-29", ERR_INVALID, 0 },
		{ "2024-02-30", ERR_INVALID, 0 },
		{ "2024-04-31", ERR_INVALID, 0 },
		{ "2024-13-01", ERR_INVALID, 0 },
		{ "2024-00-10", ERR_INVALID, 0 },
		{ "2024-01-00", ERR_INVALID, 0 },
		{ "2024-01-32", ERR_INVALID, 0 },
		{ "1969-12-31", ERR_INVALID, 0 },
		{ "", ERR_INVALID, 0 },
		{ "2024-1-01", ERR_INVALID, 0 },
		{ "2024-01-1", ERR_INVALID, 0 },
		{ "2024/01/01", ERR_INVALID, 0 },
		{ "2024-01-01T00:00:00Z", ERR_INVALID, 0 },
		{ "2024-01-01 ", ERR_INVALID, 0 },
		{ " 2024-01-01", ERR_INVALID, 0 },
		{ "-024-01-01", ERR_INVALID, 0 },
		{ "2024-0a-01", ERR_INVALID, 0 },
		{ "2024-+1-01", ERR_INVALID, 0 },
		{ "..........", ERR_INVALID, 0 },
		{ "tomorrow", ERR_INVALID, 0 },
		{ "99999-01-01", ERR_INVALID, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int64_t ms = -42;
		int ret = time_parse_date(cases[i].in, &ms);

		if (ret != cases[i].ret)
			fail_msg("time_parse_date(\"%s\") = %d", cases[i].in, ret);
		assert_int_equal(ms, ret == 0 ? cases[i].ms : -42);
	}
}

static void test_time_date_round_trip(void **state)
{
	(void)state;
	for (int64_t ms = 0; ms < 4102444800000LL; ms += 86400000LL * 37) {
		char s[16];
		int64_t back = 0;

		time_format_date(s, sizeof(s), ms);
		assert_int_equal(time_parse_date(s, &back), 0);
		assert_int_equal(back, ms - ms % 86400000LL);
	}
}

static void test_time_clocks(void **state)
{
	int64_t a = time_mono_ms(), b = time_mono_ms();

	(void)state;
	assert_true(b >= a);
	assert_true(time_now_ms() > 1600000000000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_format_iso8601),
		cmocka_unit_test(test_time_format_date),
		cmocka_unit_test(test_time_parse_date),
		cmocka_unit_test(test_time_date_round_trip),
		cmocka_unit_test(test_time_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
