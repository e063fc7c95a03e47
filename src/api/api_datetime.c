/* Date-time parameters as GitLab's DateTime type takes them: "2030-01-31",
 * "2030-01-31T12:00:00Z" or with milliseconds; UTC only. */
#include "api_ctx.h"
#include "api_keys.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"

#include <string.h>

static int two_digits(const char *s, int max, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return ERR_INVALID;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return *out <= max ? 0 : ERR_INVALID;
}

static int datetime_parse(const char *s, int64_t *out)
{
	char day[11];
	int h = 0, m = 0, sec = 0;
	size_t n = strlen(s);
	int64_t ms = 0;

	if (n < 10)
		return ERR_INVALID;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (time_parse_date(day, &ms) < 0)
		return ERR_INVALID;
	s += 10;
	if (*s == 'T' || *s == ' ') {
		if (strlen(s) < 9 || two_digits(s + 1, 23, &h) < 0 || s[3] != ':' ||
		    two_digits(s + 4, 59, &m) < 0 || s[6] != ':' || two_digits(s + 7, 59, &sec) < 0)
			return ERR_INVALID;
		s += 9;
		if (*s == '.') {
			s++;
			if (strspn(s, "0123456789") < 1 || strspn(s, "0123456789") > 9)
				return ERR_INVALID;
			s += strspn(s, "0123456789");
		}
		if (!strcmp(s, "Z") || !strcmp(s, "+00:00"))
			s += strlen(s);
	}
	if (*s)
		return ERR_INVALID;
	*out = ms + ((int64_t)h * 3600 + m * 60 + sec) * 1000;
	return 0;
}

int api_param_datetime(struct api_ctx *c, const char *name, int64_t *out)
{
	const char *s = NULL;
	int ret = api_param_str(c, name, &s);

	if (ret <= 0 || !*s)
		return ret < 0 ? ret : 0;
	if (datetime_parse(s, out) < 0) {
		struct buf msg = BUF_INIT_MAX(128);

		buf_addf(&msg, "%.64s is invalid", name);
		api_error(c, 400, msg.ptr);
		buf_release(&msg);
		return ERR_INVALID;
	}
	return 1;
}
