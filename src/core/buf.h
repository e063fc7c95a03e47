/* struct buf: a growable byte string that is always NUL-terminated and may
 * carry a maximum size. Once an append would exceed the maximum, the buffer is
 * marked failed, nothing partial is appended, and later appends do nothing:
 * callers check buf_error() once at the end.
 *
 * ptr is never NULL (it points at a shared empty string until the first
 * append) and may hold NULs; trust len. */
#ifndef KURA_BUF_H
#define KURA_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *ptr;
	size_t len;
	size_t alloc;	/* 0 while ptr is the shared empty string */
	size_t max;	/* content bytes allowed, excluding the NUL */
	int failed;
};

extern char buf_empty[1];

#define BUF_INIT_MAX(m) { buf_empty, 0, 0, (m), 0 }
#define BUF_INIT BUF_INIT_MAX(SIZE_MAX - 1)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);		/* frees and resets, keeps max */
void buf_reset(struct buf *b);			/* empties, keeps memory and max */
void buf_add(struct buf *b, const void *data, size_t n);
void buf_addstr(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
void buf_truncate(struct buf *b, size_t len);
/* 0, or ERR_TOOBIG once an append was refused. */
int buf_error(const struct buf *b);
/* Hands the string to the caller (free() it) and resets b. */
char *buf_detach(struct buf *b, size_t *len_out);
/* Appends s with JSON-unsafe and control bytes escaped and at most max bytes
 * kept, for logging client data. */
void buf_add_quoted(struct buf *b, const char *s, size_t n, size_t max);
/* Lowercase hex of n bytes. */
void buf_add_hex(struct buf *b, const unsigned char *data, size_t n);

#endif
