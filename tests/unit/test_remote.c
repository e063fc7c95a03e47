/* Import and mirror URLs: parsing keeps credentials out of the URL, refuses
 * other transports and hostile spellings, and scrubbing removes userinfo
 * from git's messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "import/remote.h"

#include <stdlib.h>
#include <string.h>

static void test_remote_parse_splits_credentials(void **state)
{
	struct remote r = REMOTE_INIT;
	struct buf err = BUF_INIT, masked = BUF_INIT;

	(void)state;
	assert_int_equal(remote_parse(&r, "https://al%40ice:p%3Ass@git.example.com/a/b.git",
				      NULL, NULL, &err), 0);
	assert_string_equal(r.url, "https://git.example.com/a/b.git");
	assert_string_equal(r.username, "al@ice");
	assert_string_equal(r.password, "p:ss");
	assert_string_equal(r.port, "443");
	remote_url_masked(&masked, &r);
	assert_string_equal(masked.ptr, "https://*****:*****@git.example.com/a/b.git");
	remote_release(&r);
	/* A token alone gets a placeholder username; URL credentials win. */
	assert_int_equal(remote_parse(&r, "http://h:8080/x.git", NULL, "tok", &err), 0);
	assert_string_equal(r.url, "http://h:8080/x.git");
	assert_string_equal(r.username, "oauth2");
	remote_release(&r);
	assert_int_equal(remote_parse(&r, "http://u:p@h/x.git", "other", "secret", &err), 0);
	assert_string_equal(r.username, "u");
	assert_string_equal(r.password, "p");
	remote_release(&r);
	buf_release(&err);
	buf_release(&masked);
}

static void test_remote_parse_refuses_hostile_urls(void **state)
{
	static const char *const bad[] = {
		"", "file:///etc/passwd", "ext::sh -c id", "-uhttp://x/y", "ssh://h/x.git",
		"http://h/x.git?token=1", "http://h/x.git#frag", "http://a b/", "http://h/\nx",
		"git://h/x.git", "http://u:p%0a@h/x.git", "//h/x.git",
	};
	struct buf err = BUF_INIT;
	char *huge = malloc(REMOTE_URL_MAX + 20);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct remote r = REMOTE_INIT;

		buf_reset(&err);
		if (remote_parse(&r, bad[i], NULL, NULL, &err) != ERR_INVALID)
			fail_msg("accepted %s", bad[i]);
		assert_true(err.len > 0);
		assert_null(strstr(err.ptr, "p%0a"));
	}
	memcpy(huge, "http://h/", 9);
	memset(huge + 9, 'a', REMOTE_URL_MAX);
	huge[REMOTE_URL_MAX + 9] = '\0';
	{
		struct remote r = REMOTE_INIT;

		assert_int_equal(remote_parse(&r, huge, NULL, NULL, &err), ERR_INVALID);
		assert_int_equal(remote_parse(&r, "http://h/x", "u\nx", NULL, &err), ERR_INVALID);
	}
	free(huge);
	buf_release(&err);
}

static void test_remote_scrub_removes_userinfo(void **state)
{
	struct buf t = BUF_INIT;

	(void)state;
	buf_addstr(&t, "fatal: unable to access 'https://u:secret@h/x.git/': 403\n"
		   "see http://a@b and ftp://no-at-here/x");
	remote_scrub(&t);
	assert_null(strstr(t.ptr, "secret"));
	assert_non_null(strstr(t.ptr, "'https://h/x.git/'"));
	assert_non_null(strstr(t.ptr, "http://b"));
	assert_non_null(strstr(t.ptr, "ftp://no-at-here/x"));
	buf_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_parse_splits_credentials),
		cmocka_unit_test(test_remote_parse_refuses_hostile_urls),
		cmocka_unit_test(test_remote_scrub_removes_userinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
