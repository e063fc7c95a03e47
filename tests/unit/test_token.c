/* Token secrets: recognisable prefix, fixed length, base62 body, distinct
 * every time; the stored hash is stable; scopes round-trip and bad ones are
 * named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"

#include <sodium.h>
#include <string.h>

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static int is_base62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void test_token_format(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	(void)state;
	token_generate(&a);
	token_generate(&b);
	assert_int_equal(a.len, TOKEN_SECRET_LEN);
	assert_int_equal(strlen(a.ptr), TOKEN_SECRET_LEN);
	assert_memory_equal(a.ptr, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
	for (size_t i = strlen(TOKEN_PREFIX); i < a.len; i++)
		assert_true(is_base62(a.ptr[i]));
	assert_string_not_equal(a.ptr, b.ptr);
	buf_release(&a);
	buf_release(&b);
}

static void test_token_hash_stable(void **state)
{
	struct buf h1 = BUF_INIT, h2 = BUF_INIT, h3 = BUF_INIT;

	(void)state;
	token_hash(&h1, "kpat-abc");
	token_hash(&h2, "kpat-abc");
	token_hash(&h3, "kpat-abd");
	assert_int_equal(h1.len, 64);
	assert_string_equal(h1.ptr, h2.ptr);
	assert_string_not_equal(h1.ptr, h3.ptr);
	buf_reset(&h3);
	/* SHA-256 of the empty string, a known vector. */
	token_hash(&h3, "");
	assert_string_equal(h3.ptr,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	buf_release(&h1);
	buf_release(&h2);
	buf_release(&h3);
}

struct scope_case {
	const char *in;
	int ret;
	unsigned flags;
	const char *canonical;
};

static void test_scopes_parse(void **state)
{
	static const struct scope_case cases[] = {
		{ "api", 0, SCOPE_API, "api" },
		{ "read_repository,api", 0, SCOPE_API | SCOPE_READ_REPOSITORY,
		  "api,read_repository" },
		{ "api, read_user", 0, SCOPE_API | SCOPE_READ_USER, "api,read_user" },
		{ "api,api", 0, SCOPE_API, "api" },
		{ "api,read_api,read_user,read_repository,write_repository,sudo,admin_mode", 0,
		  SCOPE_ALL, "api,read_api,read_user,read_repository,write_repository,sudo,"
		  "admin_mode" },
		{ "api,admin_mode", 0, SCOPE_API | SCOPE_ADMIN_MODE, "api,admin_mode" },
		{ "", ERR_INVALID, 0, NULL },
		{ ",", ERR_INVALID, 0, NULL },
		{ " ", ERR_INVALID, 0, NULL },
		{ "API", ERR_INVALID, 0, NULL },
		{ "apix", ERR_INVALID, 0, NULL },
		{ "ap", ERR_INVALID, 0, NULL },
		{ "api,bogus", ERR_INVALID, 0, NULL },
		{ "api;read_user", ERR_INVALID, 0, NULL },
		{ "-x", ERR_INVALID, 0, NULL },
		{ "..", ERR_INVALID, 0, NULL },
		{ "read_repository\n", ERR_INVALID, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT, out = BUF_INIT;
		unsigned flags = 0xdead;
		int ret = scopes_parse(cases[i].in, &flags, &err);

		if (ret != cases[i].ret)
			fail_msg("scopes_parse(\"%s\") = %d", cases[i].in, ret);
		if (ret == 0) {
			assert_int_equal(flags, cases[i].flags);
			scopes_format(&out, flags);
			assert_string_equal(out.ptr, cases[i].canonical);
		} else {
			assert_int_equal(flags, 0xdead);
			assert_true(err.len > 0);
			assert_null(strchr(err.ptr, '\n'));
		}
		buf_release(&err);
		buf_release(&out);
	}
}

static void test_scopes_error_names_the_scope(void **state)
{
	struct buf err = BUF_INIT;
	unsigned flags;

	(void)state;
	assert_int_equal(scopes_parse("api,wrte_repository", &flags, &err), ERR_INVALID);
	assert_non_null(strstr(err.ptr, "wrte_repository"));
	/* err may be NULL. */
	assert_int_equal(scopes_parse("nope", &flags, NULL), ERR_INVALID);
	buf_release(&err);
}

static void test_scopes_error_is_bounded(void **state)
{
	char big[5000];
	struct buf err = BUF_INIT;
	unsigned flags;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(scopes_parse(big, &flags, &err), ERR_INVALID);
	assert_true(err.len < 300);
	buf_release(&err);
}

static void test_scopes_round_trip_every_set(void **state)
{
	(void)state;
	for (unsigned f = 1; f <= SCOPE_ALL; f++) {
		struct buf s = BUF_INIT;
		unsigned back = 0;

		scopes_format(&s, f);
		assert_int_equal(scopes_parse(s.ptr, &back, NULL), 0);
		assert_int_equal(back, f);
		buf_release(&s);
	}
	assert_string_equal(scope_name(0), "api");
	assert_string_equal(scope_name(6), "admin_mode");
	assert_null(scope_name(7));
	assert_null(scope_name(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_format),
		cmocka_unit_test(test_token_hash_stable),
		cmocka_unit_test(test_scopes_parse),
		cmocka_unit_test(test_scopes_error_names_the_scope),
		cmocka_unit_test(test_scopes_error_is_bounded),
		cmocka_unit_test(test_scopes_round_trip_every_set),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
