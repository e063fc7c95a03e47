#include "buf.h"
#include "err.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->ptr = buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->failed = 0;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->ptr);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->alloc)
		b->ptr[0] = '\0';
}

/* Makes room for n more bytes plus the NUL; 0 or ERR_TOOBIG. */
static int buf_grow(struct buf *b, size_t n)
{
	size_t want;

	if (b->failed)
		return ERR_TOOBIG;
	if (n > b->max || b->len > b->max - n) {
		b->failed = 1;
		return ERR_TOOBIG;
	}
	want = b->len + n + 1;
	if (want <= b->alloc)
		return 0;
	if (want < b->alloc * 2)
		want = b->alloc * 2;
	if (want < 64)
		want = 64;
	if (b->alloc) {
		b->ptr = xrealloc(b->ptr, want);
	} else {
		b->ptr = xmalloc(want);
		b->ptr[0] = '\0';
	}
	b->alloc = want;
	return 0;
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (buf_grow(b, n) < 0)
		return;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || buf_grow(b, (size_t)n) < 0)
		return;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

int buf_error(const struct buf *b)
{
	return b->failed ? ERR_TOOBIG : 0;
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *p;

	if (!b->alloc)
		p = xstrdup("");
	else
		p = b->ptr;
	if (len_out)
		*len_out = b->len;
	buf_init(b, b->max);
	return p;
}

void buf_add_quoted(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			buf_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\u%04x", c);
		else
			buf_addch(b, (char)c);
	}
	if (n > max)
		buf_addstr(b, "...");
}

void buf_add_hex(struct buf *b, const unsigned char *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		buf_addch(b, digits[data[i] >> 4]);
		buf_addch(b, digits[data[i] & 15]);
	}
}
