/* Passwords: the length policy, argon2id round trip, wrong and missing
 * hashes never verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/password.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void test_password_policy(void **state)
{
	char big[LIMIT_PASSWORD_MAX + 2];
	struct buf err = BUF_INIT;

	(void)state;
	assert_int_equal(password_check_policy("", &err), ERR_INVALID);
	assert_non_null(strstr(err.ptr, "too short"));
	buf_reset(&err);
	assert_int_equal(password_check_policy("1234567", &err), ERR_INVALID);
	buf_reset(&err);
	assert_int_equal(password_check_policy("12345678", &err), 0);
	assert_int_equal(err.len, 0);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(password_check_policy(big, &err), ERR_INVALID);
	assert_non_null(strstr(err.ptr, "too long"));
	big[LIMIT_PASSWORD_MAX] = '\0';
	buf_reset(&err);
	assert_int_equal(password_check_policy(big, &err), 0);
	buf_release(&err);
}

static void test_password_round_trip(void **state)
{
	char *hash = NULL, *hash2 = NULL;

	(void)state;
	assert_int_equal(password_hash(&hash, "correct horse battery"), 0);
	assert_non_null(hash);
	assert_memory_equal(hash, "$argon2id$", 10);
	assert_null(strstr(hash, "correct horse"));
	assert_int_equal(password_verify(hash, "correct horse battery"), 0);
	assert_int_equal(password_verify(hash, "correct horse batterY"), ERR_AUTH);
	assert_int_equal(password_verify(hash, ""), ERR_AUTH);
	assert_int_equal(password_verify(hash, "correct horse battery "), ERR_AUTH);
	/* Salted: the same password hashes differently each time. */
	assert_int_equal(password_hash(&hash2, "correct horse battery"), 0);
	assert_string_not_equal(hash, hash2);
	free(hash);
	free(hash2);
}

static void test_password_null_or_garbage_hash(void **state)
{
	(void)state;
	assert_int_equal(password_verify(NULL, "anything-at-all"), ERR_AUTH);
	assert_int_equal(password_verify(NULL, ""), ERR_AUTH);
	assert_int_equal(password_verify("", "anything-at-all"), ERR_AUTH);
	assert_int_equal(password_verify("not-a-hash", "not-a-hash"), ERR_AUTH);
	assert_int_equal(password_verify("$argon2id$v=19$m=1,t=1,p=1$", "x"), ERR_AUTH);
}

static void test_password_overlong_never_verifies(void **state)
{
	char big[LIMIT_PASSWORD_MAX + 2];
	char *hash = NULL;

	(void)state;
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(password_hash(&hash, "pppppppp"), 0);
	assert_int_equal(password_verify(hash, big), ERR_AUTH);
	free(hash);
}

static void test_password_random(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	(void)state;
	password_random(&a);
	password_random(&b);
	assert_int_equal(a.len, 24);
	assert_string_not_equal(a.ptr, b.ptr);
	assert_int_equal(password_check_policy(a.ptr, &b), 0);
	for (size_t i = 0; i < a.len; i++)
		assert_true((a.ptr[i] >= 'A' && a.ptr[i] <= 'Z') ||
			    (a.ptr[i] >= 'a' && a.ptr[i] <= 'z') ||
			    (a.ptr[i] >= '2' && a.ptr[i] <= '9'));
	buf_release(&a);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_policy),
		cmocka_unit_test(test_password_round_trip),
		cmocka_unit_test(test_password_null_or_garbage_hash),
		cmocka_unit_test(test_password_overlong_never_verifies),
		cmocka_unit_test(test_password_random),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
