#include "multipart.h"
#include "core/err.h"

#include <string.h>
#include <strings.h>

#define BOUNDARY_MAX 70		/* RFC 2046 */
#define PART_HEADERS_MAX 8192	/* a part's header block */

/* The boundary parameter of the content type, unquoted, into out. */
static int boundary_of(const char *ct, char *out)
{
	const char *b;
	size_t n;

	if (!ct || strncasecmp(ct, "multipart/form-data", 19))
		return ERR_INVALID;
	b = strcasestr(ct, "boundary=");
	if (!b)
		return ERR_INVALID;
	b += 9;
	if (*b == '"') {
		b++;
		n = strcspn(b, "\"");
		if (b[n] != '"')
			return ERR_INVALID;
	} else {
		n = strcspn(b, "; \t");
	}
	if (!n || n > BOUNDARY_MAX)
		return ERR_INVALID;
	memcpy(out, "--", 2);
	memcpy(out + 2, b, n);
	out[n + 2] = '\0';
	return 0;
}

/* The value of key="..." (or key=token) in a Content-Disposition line. */
static const char *disposition_param(const char *line, size_t n, const char *key,
				     size_t *len_out)
{
	size_t k = strlen(key);

	for (size_t i = 0; i + k + 1 < n; i++) {
		const char *v;
		size_t m = 0;

		if ((i && line[i - 1] != ' ' && line[i - 1] != ';') ||
		    strncasecmp(line + i, key, k) || line[i + k] != '=')
			continue;
		v = line + i + k + 1;
		if (v < line + n && *v == '"') {
			v++;
			while (v + m < line + n && v[m] != '"')
				m++;
			if (v + m >= line + n)
				return NULL;
		} else {
			while (v + m < line + n && v[m] != ';' && v[m] != ' ')
				m++;
		}
		*len_out = m;
		return v;
	}
	return NULL;
}

/* Reads one part's headers: 1 when its name is field (filename filled). */
static int part_headers(const char *h, size_t n, const char *field, struct multipart_part *p)
{
	int match = 0;

	while (n) {
		const char *eol = memmem(h, n, "\r\n", 2);
		size_t line = eol ? (size_t)(eol - h) : n;
		const char *name;
		size_t name_len = 0;

		if (line > 20 && !strncasecmp(h, "Content-Disposition:", 20)) {
			name = disposition_param(h, line, "name", &name_len);
			if (name && name_len == strlen(field) && !memcmp(name, field, name_len))
				match = 1;
			p->filename = disposition_param(h, line, "filename", &p->filename_len);
		}
		if (!eol)
			break;
		n -= line + 2;
		h += line + 2;
	}
	return match;
}

int multipart_find(const char *content_type, const char *body, size_t len, const char *field,
		   struct multipart_part *out)
{
	char delim[BOUNDARY_MAX + 3];
	char sep[BOUNDARY_MAX + 5];
	const char *p, *end = body + len;
	size_t dl;

	if (boundary_of(content_type, delim) < 0)
		return ERR_INVALID;
	dl = strlen(delim);
	memcpy(sep, "\r\n", 2);
	memcpy(sep + 2, delim, dl + 1);
	/* The first delimiter may follow a preamble. */
	p = len >= dl && !memcmp(body, delim, dl) ? body : memmem(body, len, sep, dl + 2);
	if (!p)
		return ERR_INVALID;
	p += p == body ? dl : dl + 2;
	for (;;) {
		struct multipart_part part = { 0 };
		const char *hend, *data, *next;

		if (end - p >= 2 && !memcmp(p, "--", 2))
			return ERR_NOTFOUND;	/* the closing delimiter */
		if (end - p < 2 || memcmp(p, "\r\n", 2))
			return ERR_INVALID;
		p += 2;
		/* Headers end at an empty line; a part may have none. */
		if (end - p >= 2 && !memcmp(p, "\r\n", 2)) {
			hend = p;
			data = p + 2;
		} else {
			hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
			data = hend ? hend + 4 : NULL;
		}
		if (!hend || hend - p > PART_HEADERS_MAX)
			return ERR_INVALID;
		next = memmem(data, (size_t)(end - data), sep, dl + 2);
		if (!next)
			return ERR_INVALID;
		if (part_headers(p, (size_t)(hend - p), field, &part)) {
			part.data = data;
			part.len = (size_t)(next - data);
			*out = part;
			return 0;
		}
		p = next + dl + 2;
	}
}
