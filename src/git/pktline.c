#include "pktline.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/parse.h"

#include <stdarg.h>
#include <stdio.h>

int pktline_next(const char *in, size_t n, size_t *off, struct pktline *out)
{
	size_t at = *off, len = 0;

	if (n - at < 4)
		return ERR_NOTFOUND;
	for (int i = 0; i < 4; i++) {
		int v = parse_hex_digit(in[at + i]);

		if (v < 0)
			return ERR_INVALID;
		len = len * 16 + (size_t)v;
	}
	if (len < 4) {
		if (len == 3)
			return ERR_INVALID;
		out->kind = len == 0 ? PKTLINE_FLUSH : len == 1 ? PKTLINE_DELIM : PKTLINE_END;
		out->data = in + at;
		out->len = 0;
		*off = at + 4;
		return 0;
	}
	if (len - 4 > PKTLINE_MAX_DATA)
		return ERR_INVALID;
	if (n - at < len)
		return ERR_NOTFOUND;
	out->kind = PKTLINE_DATA;
	out->data = in + at + 4;
	out->len = len - 4;
	if (out->len && out->data[out->len - 1] == '\n')
		out->len--;
	*off = at + len;
	return 0;
}

size_t pktline_start(struct buf *out)
{
	size_t start = out->len;

	buf_add(out, "0000", 4);
	return start;
}

/* Writes the length of the packet that starts at start, now that it is known. */
void pktline_end(struct buf *out, size_t start)
{
	size_t len = out->len - start;
	char hex[5];

	if (buf_error(out))
		return;
	if (len - 4 > PKTLINE_MAX_DATA) {
		buf_truncate(out, start);
		out->failed = 1;
		return;
	}
	snprintf(hex, sizeof(hex), "%04zx", len);
	for (int i = 0; i < 4; i++)
		out->ptr[start + i] = hex[i];
}

void pktline_addf(struct buf *out, const char *fmt, ...)
{
	size_t start = pktline_start(out);
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(out, fmt, ap);
	va_end(ap);
	pktline_end(out, start);
}

void pktline_add(struct buf *out, const void *data, size_t n)
{
	size_t start = pktline_start(out);

	buf_add(out, data, n);
	pktline_end(out, start);
}

void pktline_flush(struct buf *out)
{
	buf_add(out, "0000", 4);
}
