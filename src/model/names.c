#include "names.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"

#include <string.h>
#include <strings.h>

/* Top-level names that would shadow kura's routes or confuse users. */
static const char *const reserved_top_level[] = {
	"-", ".well-known", "admin", "api", "assets", "dashboard", "explore", "favicon.ico",
	"groups", "health_check", "help", "import", "login", "logout", "oauth", "profile",
	"projects", "public", "robots.txt", "s", "search", "sign_in", "sign_up", "snippets",
	"static", "uploads", "user", "users",
};

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && !strncasecmp(s + n - m, suffix, m);
}

int names_check_segment(const char *s, size_t n, const char *what, struct buf *err)
{
	if (n == 0 || n > LIMIT_PATH_SEGMENT) {
		buf_addf(err, "%s must be 1 to %d characters", what, LIMIT_PATH_SEGMENT);
		return ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
			buf_addf(err, "%s can contain only letters, digits, '_', '-' and '.'", what);
			return ERR_INVALID;
		}
		if (c == '.' && i + 1 < n && s[i + 1] == '.') {
			buf_addf(err, "%s cannot contain consecutive dots", what);
			return ERR_INVALID;
		}
	}
	if (!is_alnum(s[0]) && s[0] != '_') {
		buf_addf(err, "%s must start with a letter, digit or '_'", what);
		return ERR_INVALID;
	}
	if (s[n - 1] == '.' || ends_with(s, n, ".git") || ends_with(s, n, ".atom")) {
		buf_addf(err, "%s cannot end in '.', '.git' or '.atom'", what);
		return ERR_INVALID;
	}
	return 0;
}

int names_check_top_level(const char *s, struct buf *err)
{
	for (size_t i = 0; i < sizeof(reserved_top_level) / sizeof(*reserved_top_level); i++) {
		if (!strcasecmp(s, reserved_top_level[i])) {
			buf_addf(err, "'%s' is a reserved name", reserved_top_level[i]);
			return ERR_INVALID;
		}
	}
	return 0;
}

int names_check_full_path(const char *s, struct buf *err)
{
	size_t len = strlen(s);
	int depth = 0;

	if (len == 0 || len > LIMIT_FULL_PATH) {
		buf_addf(err, "path must be 1 to %d characters", LIMIT_FULL_PATH);
		return ERR_INVALID;
	}
	for (const char *p = s;; depth++) {
		size_t n = strcspn(p, "/");

		if (names_check_segment(p, n, "path", err) < 0)
			return ERR_INVALID;
		if (depth == 0) {
			struct buf first = BUF_INIT;
			int ret;

			buf_add(&first, p, n);
			ret = names_check_top_level(first.ptr, err);
			buf_release(&first);
			if (ret < 0)
				return ret;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	if (depth + 1 > LIMIT_NAMESPACE_DEPTH + 1) {
		buf_addf(err, "path is nested deeper than %d levels", LIMIT_NAMESPACE_DEPTH);
		return ERR_INVALID;
	}
	return 0;
}

int names_check_display(const char *s, const char *what, struct buf *err)
{
	size_t n = strlen(s);

	if (n == 0 || n > LIMIT_NAME) {
		buf_addf(err, "%s must be 1 to %d characters", what, LIMIT_NAME);
		return ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			buf_addf(err, "%s cannot contain control characters", what);
			return ERR_INVALID;
		}
	}
	return 0;
}

int names_check_email(const char *s, struct buf *err)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);

	if (n == 0 || n > LIMIT_EMAIL || !at || at == s || !at[1] || strchr(at + 1, '@')) {
		buf_addstr(err, "email is invalid");
		return ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == '"') {
			buf_addstr(err, "email is invalid");
			return ERR_INVALID;
		}
	}
	return 0;
}

int names_check_visibility(const char *s)
{
	if (!strcmp(s, "private") || !strcmp(s, "internal") || !strcmp(s, "public"))
		return 0;
	return ERR_INVALID;
}
