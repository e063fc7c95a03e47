/* Configuration: defaults, the INI file, environment overrides, and one
 * sentence naming the problem for every bad key or value. Each test starts
 * from an environment without KURA_* variables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static char ini_path[64];

/* Removes every KURA_* variable (the test runner itself may set some). */
static void env_clear(void)
{
	for (;;) {
		char name[256];
		char **e;

		for (e = environ; *e; e++)
			if (!strncmp(*e, "KURA_", 5))
				break;
		if (!*e)
			return;
		size_t n = strcspn(*e, "=");
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, *e, n);
		name[n] = '\0';
		unsetenv(name);
	}
}

static int setup(void **state)
{
	(void)state;
	env_clear();
	ini_path[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	env_clear();
	if (ini_path[0])
		unlink(ini_path);
	return 0;
}

static const char *write_ini(const char *text)
{
	int fd;
	size_t n = strlen(text);

	snprintf(ini_path, sizeof(ini_path), "/tmp/kura-test-config-XXXXXX");
	fd = mkstemp(ini_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return ini_path;
}

/* Loads and expects failure: the sentence must name needle, be one line. */
static void expect_invalid(const char *file, const char *needle)
{
	struct config cfg;
	struct buf err = BUF_INIT;
	int ret;

	memset(&cfg, 0x5a, sizeof(cfg));
	ret = config_load(&cfg, file, &err);
	if (ret != ERR_INVALID)
		fail_msg("config_load succeeded or failed oddly (%d); want error naming '%s'",
			 ret, needle);
	if (!strstr(err.ptr, needle))
		fail_msg("error '%s' does not name '%s'", err.ptr, needle);
	assert_null(strchr(err.ptr, '\n'));
	buf_release(&err);
}

static void load_ok(struct config *cfg, const char *file)
{
	struct buf err = BUF_INIT;
	int ret = config_load(cfg, file, &err);

	if (ret != 0)
		fail_msg("config_load failed: %s", err.ptr);
	assert_int_equal(err.len, 0);
	buf_release(&err);
}

static void test_config_defaults(void **state)
{
	struct config cfg;
	char cwd[PATH_MAX];
	struct buf want = BUF_INIT;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	load_ok(&cfg, NULL);
	assert_string_equal(cfg.listen_host, "127.0.0.1");
	assert_int_equal(cfg.listen_port, 8080);
	buf_addf(&want, "%s/./data", cwd);
	assert_string_equal(cfg.data_dir, want.ptr);
	buf_reset(&want);
	buf_addf(&want, "sqlite://%s/./data/kura.db", cwd);
	assert_string_equal(cfg.database_url, want.ptr);
	assert_string_equal(cfg.external_url, "http://127.0.0.1:8080");
	assert_null(cfg.smtp_url);
	assert_string_equal(cfg.git_path, "/usr/bin/git");
	buf_release(&want);
	config_release(&cfg);
}

static void test_config_file_top_level_and_section(void **state)
{
	struct config cfg;
	struct buf host = BUF_INIT;

	(void)state;
	load_ok(&cfg, write_ini("listen = 0.0.0.0:9000\n"
				"[kura]\n"
				"data_dir = /srv/kura\n"
				"external_url = https://git.example.com///\n"));
	assert_string_equal(cfg.listen_host, "0.0.0.0");
	assert_int_equal(cfg.listen_port, 9000);
	assert_string_equal(cfg.data_dir, "/srv/kura");
	assert_string_equal(cfg.database_url, "sqlite:///srv/kura/kura.db");
	assert_string_equal(cfg.external_url, "https://git.example.com");
	config_external_host(&cfg, &host);
	assert_string_equal(host.ptr, "git.example.com");
	buf_release(&host);
	config_release(&cfg);
}

static void test_config_env_beats_file(void **state)
{
	struct config cfg;

	(void)state;
	setenv("KURA_LISTEN", "127.0.0.1:7001", 1);
	setenv("KURA_DATA_DIR", "/env/data", 1);
	load_ok(&cfg, write_ini("listen = 127.0.0.1:9000\ndata_dir = /file/data\n"));
	assert_int_equal(cfg.listen_port, 7001);
	assert_string_equal(cfg.data_dir, "/env/data");
	/* The derived external URL follows the winning listen address. */
	assert_string_equal(cfg.external_url, "http://127.0.0.1:7001");
	config_release(&cfg);
}

static void test_config_kura_config_env_names_the_file(void **state)
{
	struct config cfg;

	(void)state;
	setenv("KURA_CONFIG", write_ini("listen = 127.0.0.1:9123\n"), 1);
	load_ok(&cfg, NULL);
	assert_int_equal(cfg.listen_port, 9123);
	config_release(&cfg);
}

static void test_config_unknown_key_in_file(void **state)
{
	(void)state;
	expect_invalid(write_ini("listen = 127.0.0.1:9000\nlisten_adress = x\n"), "listen_adress");
}

static void test_config_unknown_section(void **state)
{
	(void)state;
	expect_invalid(write_ini("[server]\nlisten = 127.0.0.1:9000\n"), "[server]");
}

static void test_config_syntax_error(void **state)
{
	(void)state;
	expect_invalid(write_ini("listen = 127.0.0.1:9000\nthis line has no equals sign\n"),
		       "line 2");
}

static void test_config_missing_file(void **state)
{
	(void)state;
	expect_invalid("/nonexistent/kura.ini", "/nonexistent/kura.ini");
}

static void test_config_unknown_env_typo(void **state)
{
	(void)state;
	setenv("KURA_LISTNE", "127.0.0.1:9000", 1);
	expect_invalid(NULL, "KURA_LISTNE");
}

static void test_config_unknown_env_lowercase_typo(void **state)
{
	(void)state;
	setenv("KURA_data_dirr", "/x", 1);
	expect_invalid(NULL, "KURA_data_dirr");
}

struct bad_env {
	const char *name, *value, *needle;
};

static void test_config_bad_values(void **state)
{
	static const struct bad_env cases[] = {
		{ "KURA_LISTEN", "", "listen" },
		{ "KURA_LISTEN", "8080", "listen" },
		{ "KURA_LISTEN", "127.0.0.1", "listen" },
		{ "KURA_LISTEN", "127.0.0.1:0", "listen" },
		{ "KURA_LISTEN", "127.0.0.1:65536", "listen" },
		{ "KURA_LISTEN", "127.0.0.1:-1", "listen" },
		{ "KURA_LISTEN", "127.0.0.1:80x", "listen" },
		{ "KURA_LISTEN", ":8080", "listen" },
		{ "KURA_EXTERNAL_URL", "ftp://git.example.com", "external_url" },
		{ "KURA_EXTERNAL_URL", "git.example.com", "external_url" },
		{ "KURA_EXTERNAL_URL", "javascript:alert(1)", "external_url" },
		{ "KURA_EXTERNAL_URL", "http://", "external_url" },
		{ "KURA_EXTERNAL_URL", "https:///path", "external_url" },
		{ "KURA_EXTERNAL_URL", "http://exa mple.com", "external_url" },
		{ "KURA_EXTERNAL_URL", "", "external_url" },
		{ "KURA_DATABASE_URL", "mysql://localhost/kura", "database_url" },
		{ "KURA_DATABASE_URL", "", "database_url" },
		{ "KURA_DATA_DIR", "", "data_dir" },
		{ "KURA_SMTP_URL", "http://mail", "smtp_url" },
		{ "KURA_GIT_PATH", "git", "git_path" },
		{ "KURA_GIT_PATH", "/nonexistent/git", "git_path" },
		{ "KURA_LOG_LEVEL", "verbose", "log_level" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		env_clear();
		setenv(cases[i].name, cases[i].value, 1);
		expect_invalid(NULL, cases[i].needle);
	}
}

static void test_config_malformed_listen_in_file(void **state)
{
	(void)state;
	expect_invalid(write_ini("listen = nowhere\n"), "listen");
}

static void test_config_overlong_value(void **state)
{
	char *big = malloc(8192);

	(void)state;
	memset(big, 'a', 8191);
	big[8191] = '\0';
	setenv("KURA_SMTP_FROM", big, 1);
	free(big);
	expect_invalid(NULL, "smtp_from");
}

static void test_config_env_newline_refused(void **state)
{
	(void)state;
	setenv("KURA_SMTP_FROM", "kura@example.com\nBcc: victim@example.com", 1);
	expect_invalid(NULL, "smtp_from");
}

static void test_config_release_twice_is_safe(void **state)
{
	struct config cfg;

	(void)state;
	load_ok(&cfg, NULL);
	config_release(&cfg);
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file_top_level_and_section, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_env_beats_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_kura_config_env_names_the_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_key_in_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_syntax_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_env_typo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_env_lowercase_typo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_bad_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_malformed_listen_in_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_overlong_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_env_newline_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_release_twice_is_safe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
