/* struct buf: the cap is sticky, nothing partial is ever appended, detach
 * hands over ownership, and the quoting used for logs escapes what JSON and
 * terminals must not see raw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

static void test_buf_init_is_empty_string(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_error(&b), 0);
	buf_release(&b);
	assert_string_equal(b.ptr, "");
}

static void test_buf_cap_is_sticky(void **state)
{
	struct buf b = BUF_INIT_MAX(4);

	(void)state;
	buf_addstr(&b, "abc");
	buf_addstr(&b, "de");			/* would exceed 4 */
	assert_int_equal(buf_error(&b), ERR_TOOBIG);
	assert_int_equal(b.len, 3);		/* nothing partial was appended */
	assert_string_equal(b.ptr, "abc");
	buf_addch(&b, 'x');			/* would fit, but the buffer has failed */
	buf_addf(&b, "%d", 1);
	buf_add(&b, "", 0);
	assert_int_equal(b.len, 3);
	assert_int_equal(buf_error(&b), ERR_TOOBIG);
	buf_release(&b);
}

static void test_buf_exact_cap_fits(void **state)
{
	struct buf b = BUF_INIT_MAX(4);

	(void)state;
	buf_addstr(&b, "abcd");
	assert_int_equal(buf_error(&b), 0);
	assert_string_equal(b.ptr, "abcd");
	buf_addch(&b, 'e');
	assert_int_equal(buf_error(&b), ERR_TOOBIG);
	assert_string_equal(b.ptr, "abcd");
	buf_release(&b);
}

static void test_buf_addf_over_cap_appends_nothing(void **state)
{
	struct buf b = BUF_INIT_MAX(8);

	(void)state;
	buf_addf(&b, "%s", "0123456789");
	assert_int_equal(buf_error(&b), ERR_TOOBIG);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	buf_release(&b);
}

static void test_buf_huge_length_refused(void **state)
{
	struct buf b = BUF_INIT_MAX(16);

	(void)state;
	buf_addstr(&b, "ab");
	/* A length that would wrap len + n must be refused, not allocated. */
	buf_add(&b, "x", SIZE_MAX - 1);
	assert_int_equal(buf_error(&b), ERR_TOOBIG);
	assert_int_equal(b.len, 2);
	buf_release(&b);
}

static void test_buf_reset_clears_failure(void **state)
{
	struct buf b = BUF_INIT_MAX(2);

	(void)state;
	buf_addstr(&b, "abc");
	assert_int_equal(buf_error(&b), ERR_TOOBIG);
	buf_reset(&b);
	assert_int_equal(buf_error(&b), 0);
	buf_addstr(&b, "ab");
	assert_string_equal(b.ptr, "ab");
	buf_release(&b);
}

static void test_buf_holds_nul_bytes(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.ptr, "a\0b", 4);	/* still NUL-terminated */
	buf_release(&b);
}

static void test_buf_grows_across_many_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	for (int i = 0; i < 10000; i++)
		buf_addch(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 10000);
	assert_int_equal(b.ptr[9999], 'a' + 9999 % 26);
	assert_int_equal(b.ptr[10000], '\0');
	buf_release(&b);
}

static void test_buf_detach(void **state)
{
	struct buf b = BUF_INIT_MAX(100);
	size_t n = 0;
	char *s;

	(void)state;
	buf_addstr(&b, "hello");
	s = buf_detach(&b, &n);
	assert_string_equal(s, "hello");
	assert_int_equal(n, 5);
	/* b is reset and usable, and keeps its cap. */
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	assert_int_equal(b.max, 100);
	buf_addstr(&b, "again");
	assert_string_equal(b.ptr, "again");
	assert_ptr_not_equal(b.ptr, s);
	free(s);
	buf_release(&b);
}

static void test_buf_detach_empty_is_owned(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	s = buf_detach(&b, NULL);
	assert_non_null(s);
	assert_ptr_not_equal(s, buf_empty);
	assert_string_equal(s, "");
	free(s);			/* must be a real allocation */
}

static void test_buf_truncate(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_truncate(&b, 5);		/* on the shared empty string: no write */
	buf_addstr(&b, "abcdef");
	buf_truncate(&b, 10);
	assert_string_equal(b.ptr, "abcdef");
	buf_truncate(&b, 2);
	assert_string_equal(b.ptr, "ab");
	assert_int_equal(b.len, 2);
	buf_release(&b);
}

struct quoted_case {
	const char *in;
	size_t n, max;
	const char *want;
};

static void test_buf_add_quoted(void **state)
{
	static const struct quoted_case cases[] = {
		{ "plain", 5, 100, "plain" },
		{ "", 0, 100, "" },
		{ "a\"b", 3, 100, "a\\\"b" },
		{ "a\\b", 3, 100, "a\\\\b" },
		{ "a\nb", 3, 100, "a\\u000ab" },
		{ "\r\t\x1b", 3, 100, "\\u000d\\u0009\\u001b" },
		{ "a\0b", 3, 100, "a\\u0000b" },
		{ "\x7f", 1, 100, "\\u007f" },
		{ "abcdef", 6, 3, "abc..." },
		{ "abc", 3, 3, "abc" },
		{ "\xc3\xa9", 2, 100, "\xc3\xa9" },	/* UTF-8 passes through */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf b = BUF_INIT;

		buf_add_quoted(&b, cases[i].in, cases[i].n, cases[i].max);
		assert_string_equal(b.ptr, cases[i].want);
		buf_release(&b);
	}
}

static void test_buf_add_hex(void **state)
{
	static const unsigned char data[] = { 0x00, 0x0f, 0xa5, 0xff };
	struct buf b = BUF_INIT;

	(void)state;
	buf_add_hex(&b, data, sizeof(data));
	assert_string_equal(b.ptr, "000fa5ff");
	buf_reset(&b);
	buf_add_hex(&b, data, 0);
	assert_string_equal(b.ptr, "");
	buf_release(&b);
}

static void test_buf_hex_respects_cap(void **state)
{
	static const unsigned char data[] = { 1, 2, 3 };
	struct buf b = BUF_INIT_MAX(4);

	(void)state;
	buf_add_hex(&b, data, sizeof(data));
	assert_int_equal(buf_error(&b), ERR_TOOBIG);
	assert_true(b.len <= 4);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init_is_empty_string),
		cmocka_unit_test(test_buf_cap_is_sticky),
		cmocka_unit_test(test_buf_exact_cap_fits),
		cmocka_unit_test(test_buf_addf_over_cap_appends_nothing),
		cmocka_unit_test(test_buf_huge_length_refused),
		cmocka_unit_test(test_buf_reset_clears_failure),
		cmocka_unit_test(test_buf_holds_nul_bytes),
		cmocka_unit_test(test_buf_grows_across_many_appends),
		cmocka_unit_test(test_buf_detach),
		cmocka_unit_test(test_buf_detach_empty_is_owned),
		cmocka_unit_test(test_buf_truncate),
		cmocka_unit_test(test_buf_add_quoted),
		cmocka_unit_test(test_buf_add_hex),
		cmocka_unit_test(test_buf_hex_respects_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
