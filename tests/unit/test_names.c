/* GitLab's path rules: allowed characters, reserved top-level names,
 * endings git and feeds would misread, traversal, non-ASCII bytes, length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "model/names.h"

#include <stdlib.h>
#include <string.h>

struct name_case {
	const char *in;
	int ret;
};

static void check_segments(const struct name_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct buf err = BUF_INIT;
		int ret = names_check_segment(cases[i].in, strlen(cases[i].in), "path", &err);

		if (ret != cases[i].ret)
			fail_msg("names_check_segment(\"%s\") = %d, want %d", cases[i].in, ret,
				 cases[i].ret);
		/* A refusal always comes with one sentence naming the field. */
		if (ret < 0) {
			assert_non_null(strstr(err.ptr, "path"));
			assert_null(strchr(err.ptr, '\n'));
		} else {
			assert_int_equal(err.len, 0);
		}
		buf_release(&err);
	}
}

static void test_names_segment(void **state)
{
	static const struct name_case cases[] = {
		{ "alice", 0 }, { "Alice", 0 }, { "a", 0 }, { "_x", 0 }, { "0day", 0 },
		{ "my-project", 0 }, { "my_project", 0 }, { "my.project", 0 },
		{ "a.b.c", 0 }, { "x-", 0 }, { "git", 0 }, { "atom", 0 }, { "a.gitx", 0 },
		{ "", ERR_INVALID },
		{ "-x", ERR_INVALID },			/* option injection */
		{ "-", ERR_INVALID },
		{ ".hidden", ERR_INVALID },
		{ ".", ERR_INVALID },
		{ "..", ERR_INVALID },
		{ "a..b", ERR_INVALID },
		{ "a.", ERR_INVALID },
		{ "repo.git", ERR_INVALID },
		{ "repo.GIT", ERR_INVALID },
		{ "feed.atom", ERR_INVALID },
		{ "feed.Atom", ERR_INVALID },
		{ ".git", ERR_INVALID },
		{ "a/b", ERR_INVALID },
		{ "a\\b", ERR_INVALID },
		{ "a b", ERR_INVALID },
		{ "a\tb", ERR_INVALID },
		{ "a\nb", ERR_INVALID },
		{ "a%2e", ERR_INVALID },
		{ "a:b", ERR_INVALID },
		{ "a@b", ERR_INVALID },
		{ "a~1", ERR_INVALID },
		{ "caf\xc3\xa9", ERR_INVALID },		/* é: ASCII only, no confusables */
		{ "\xd0\xb0" "dmin", ERR_INVALID },	/* Cyrillic a */
		{ "a\xe2\x80\xae" "b", ERR_INVALID },	/* right-to-left override */
		{ "\xff", ERR_INVALID },
	};

	(void)state;
	check_segments(cases, sizeof(cases) / sizeof(*cases));
}

static void test_names_segment_length(void **state)
{
	char s[LIMIT_PATH_SEGMENT + 2];
	struct buf err = BUF_INIT;

	(void)state;
	memset(s, 'a', sizeof(s));
	assert_int_equal(names_check_segment(s, LIMIT_PATH_SEGMENT, "path", &err), 0);
	assert_int_equal(names_check_segment(s, LIMIT_PATH_SEGMENT + 1, "path", &err),
			 ERR_INVALID);
	buf_release(&err);
}

static void test_names_segment_embedded_nul(void **state)
{
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(names_check_segment("ab\0cd", 5, "path", &err), ERR_INVALID);
	buf_release(&err);
}

static void test_names_reserved_top_level(void **state)
{
	static const struct name_case cases[] = {
		{ "api", ERR_INVALID }, { "API", ERR_INVALID }, { "Api", ERR_INVALID },
		{ "oauth", ERR_INVALID }, { "admin", ERR_INVALID }, { "-", ERR_INVALID },
		{ "users", ERR_INVALID }, { "groups", ERR_INVALID }, { "explore", ERR_INVALID },
		{ "help", ERR_INVALID }, { "uploads", ERR_INVALID }, { "assets", ERR_INVALID },
		{ "apis", 0 }, { "myapi", 0 }, { "alice", 0 }, { "root", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		int ret = names_check_top_level(cases[i].in, &err);

		if (ret != cases[i].ret)
			fail_msg("names_check_top_level(\"%s\") = %d", cases[i].in, ret);
		if (ret < 0)
			assert_non_null(strstr(err.ptr, "reserved"));
		buf_release(&err);
	}
}

static void test_names_full_path(void **state)
{
	static const struct name_case cases[] = {
		{ "alice", 0 }, { "group/sub", 0 }, { "a/b/c/d", 0 }, { "g/api", 0 },
		{ "", ERR_INVALID },
		{ "/", ERR_INVALID },
		{ "/a", ERR_INVALID },
		{ "a/", ERR_INVALID },
		{ "a//b", ERR_INVALID },
		{ "a/../b", ERR_INVALID },
		{ "../a", ERR_INVALID },
		{ "a/./b", ERR_INVALID },
		{ "a/-x", ERR_INVALID },
		{ "api/x", ERR_INVALID },		/* reserved at the top only */
		{ "API/x", ERR_INVALID },
		{ "a/b.git", ERR_INVALID },
		{ "a/b c", ERR_INVALID },
		{ "a/\xc3\xa9", ERR_INVALID },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		int ret = names_check_full_path(cases[i].in, &err);

		if (ret != cases[i].ret)
			fail_msg("names_check_full_path(\"%s\") = %d", cases[i].in, ret);
		if (ret < 0)
			assert_true(err.len > 0);
		buf_release(&err);
	}
}

static void test_names_full_path_depth_and_length(void **state)
{
	struct buf path = BUF_INIT, err = BUF_INIT;
	char *big;

	(void)state;
	/* As deep as groups may nest plus the project: accepted. */
	for (int i = 0; i <= LIMIT_NAMESPACE_DEPTH; i++)
		buf_addstr(&path, i ? "/g" : "g");
	assert_int_equal(names_check_full_path(path.ptr, &err), 0);
	/* Deeper: refused. */
	buf_addstr(&path, "/g");
	assert_int_equal(names_check_full_path(path.ptr, &err), ERR_INVALID);
	assert_non_null(strstr(err.ptr, "deeper"));
	buf_release(&path);
	buf_reset(&err);

	big = malloc(LIMIT_FULL_PATH + 2);
	memset(big, 'a', LIMIT_FULL_PATH + 1);
	big[LIMIT_FULL_PATH + 1] = '\0';
	assert_int_equal(names_check_full_path(big, &err), ERR_INVALID);
	free(big);
	buf_release(&err);
}

static void test_names_display(void **state)
{
	static const struct name_case cases[] = {
		{ "Alice Example", 0 }, { "Zoë", 0 }, { "a", 0 },
		{ "", ERR_INVALID }, { "a\nb", ERR_INVALID }, { "a\rb", ERR_INVALID },
		{ "\x1b[31mred", ERR_INVALID }, { "a\x7f", ERR_INVALID },
	};
	char big[LIMIT_NAME + 2];
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int ret = names_check_display(cases[i].in, "name", &err);

		if (ret != cases[i].ret)
			fail_msg("names_check_display(\"%s\") = %d", cases[i].in, ret);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(names_check_display(big, "name", &err), ERR_INVALID);
	big[LIMIT_NAME] = '\0';
	assert_int_equal(names_check_display(big, "name", &err), 0);
	buf_release(&err);
}

static void test_names_email(void **state)
{
	static const struct name_case cases[] = {
		{ "a@example.com", 0 }, { "first.last+tag@example.co.uk", 0 },
		{ "", ERR_INVALID }, { "a", ERR_INVALID }, { "@example.com", ERR_INVALID },
		{ "a@", ERR_INVALID }, { "a@@b", ERR_INVALID }, { "a@b@c", ERR_INVALID },
		{ "a b@c", ERR_INVALID }, { "a@b\n", ERR_INVALID },
		{ "a@b\r\nBcc: x@y", ERR_INVALID }, { "<a@b>", ERR_INVALID },
		{ "a@b,c@d", ERR_INVALID }, { "\"a\"@b", ERR_INVALID },
	};
	struct buf err = BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int ret = names_check_email(cases[i].in, &err);

		if (ret != cases[i].ret)
			fail_msg("names_check_email(\"%s\") = %d", cases[i].in, ret);
	}
	buf_release(&err);
}

static void test_names_visibility(void **state)
{
	(void)state;
	assert_int_equal(names_check_visibility("private"), 0);
	assert_int_equal(names_check_visibility("internal"), 0);
	assert_int_equal(names_check_visibility("public"), 0);
	assert_int_equal(names_check_visibility("Public"), ERR_INVALID);
	assert_int_equal(names_check_visibility(""), ERR_INVALID);
	assert_int_equal(names_check_visibility("secret"), ERR_INVALID);
	assert_int_equal(names_check_visibility("public "), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_segment),
		cmocka_unit_test(test_names_segment_length),
		cmocka_unit_test(test_names_segment_embedded_nul),
		cmocka_unit_test(test_names_reserved_top_level),
		cmocka_unit_test(test_names_full_path),
		cmocka_unit_test(test_names_full_path_depth_and_length),
		cmocka_unit_test(test_names_display),
		cmocka_unit_test(test_names_email),
		cmocka_unit_test(test_names_visibility),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
