#include "parse.h"
#include "buf.h"
#include "err.h"

#include <string.h>
#include <strings.h>

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s || strlen(s) > 20)
		return ERR_INVALID;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return ERR_INVALID;
		d = (unsigned)(*s - '0');
		/* d > max first: max - d would wrap and let any digit through. */
		if (d > max || v > (max - d) / 10)
			return ERR_INVALID;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	uint64_t u;
	int neg = s && *s == '-';

	if (parse_u64(s + neg, (uint64_t)INT64_MAX, &u) < 0)
		return ERR_INVALID;
	int64_t v = neg ? -(int64_t)u : (int64_t)u;
	if (v < min || v > max)
		return ERR_INVALID;
	*out = v;
	return 0;
}

int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };

	if (!s)
		return ERR_INVALID;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return ERR_INVALID;
}

int parse_host_port(const char *s, char *host_out, size_t hsize, uint16_t *port_out)
{
	const char *colon = strrchr(s, ':');
	uint64_t port;
	size_t hlen;

	if (!colon || colon == s)
		return ERR_INVALID;
	hlen = (size_t)(colon - s);
	if (hlen >= hsize)
		return ERR_INVALID;
	if (parse_u64(colon + 1, 65535, &port) < 0 || port == 0)
		return ERR_INVALID;
	memcpy(host_out, s, hlen);
	host_out[hlen] = '\0';
	*port_out = (uint16_t)port;
	return 0;
}

int parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_percent_decode(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return ERR_INVALID;
			hi = parse_hex_digit(s[i + 1]);
			lo = parse_hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return ERR_INVALID;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return ERR_INVALID;
		buf_addch(out, c);
	}
	return buf_error(out);
}

char *parse_form_decode(const char *s, size_t n)
{
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			buf_addch(&out, ' ');
			continue;
		}
		/* One run of non-'+' bytes at a time through the percent decoder. */
		size_t run = 0;

		while (i + run < n && s[i + run] != '+')
			run++;
		if (parse_percent_decode(&out, s + i, run) < 0) {
			buf_release(&out);
			return NULL;
		}
		i += run - 1;
	}
	return buf_detach(&out, NULL);
}
