/* Git's pkt-line framing (gitprotocol-common(5)): four hex digits giving
 * the length including themselves, then the payload; 0000 is a flush,
 * 0001 a delimiter, 0002 a response end. Pure functions on memory, for
 * the parts of the protocol kura answers itself. */
#ifndef KURA_PKTLINE_H
#define KURA_PKTLINE_H
#include <stddef.h>

struct buf;

/* The largest payload git writes or accepts in one packet. */
#define PKTLINE_MAX_DATA 65516

enum pktline_kind {
	PKTLINE_DATA,
	PKTLINE_FLUSH,
	PKTLINE_DELIM,
	PKTLINE_END,
};

struct pktline {
	enum pktline_kind kind;
	const char *data;	/* borrowed from the input; not NUL-terminated */
	size_t len;		/* payload length, without a trailing newline */
};

/* Reads the packet at *off in in[0..n) and advances *off past it. A data
 * packet's trailing '\n' is left out of len, as git's reader does.
 * ERR_NOTFOUND when the input ends before the packet does (ask for more
 * bytes), ERR_INVALID when the length is not hex, 3 or less but not a
 * special packet, or over the maximum. */
int pktline_next(const char *in, size_t n, size_t *off, struct pktline *out);

/* Appends one data packet holding fmt's expansion (callers keep it under
 * PKTLINE_MAX_DATA; a longer one marks out failed). */
void pktline_addf(struct buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends one data packet holding data[0..n) verbatim. */
void pktline_add(struct buf *out, const void *data, size_t n);
void pktline_flush(struct buf *out);
/* A packet built in place, for hot paths: pktline_start() reserves the
 * length and returns where the packet starts; append the payload to out,
 * then pktline_end() writes the length (or refuses the packet whole when
 * it is over the maximum, marking out failed). */
size_t pktline_start(struct buf *out);
void pktline_end(struct buf *out, size_t start);

#endif
