/* HTML output: the only way kura writes markup. Every string that did not
 * come from a literal in our own source goes through one of the escapers;
 * html_addf makes escaping the default and raw output a visible exception.
 *
 * html_addf conversions:
 *   %s  text or attribute value, escaped (& < > " ')      NULL prints nothing
 *   %u  a URL path: bytes outside [A-Za-z0-9-._~/] percent-encoded, so the
 *       result is safe inside a quoted attribute
 *   %q  a URL query component: as %u, and '/' encoded too
 *   %r  raw markup that kura itself produced (the exception, greppable)
 *   %d  int   %D int64_t   %z size_t   %%  a percent sign
 * Anything else is a bug and aborts. */
#ifndef KURA_HTML_H
#define KURA_HTML_H
#include <stddef.h>

struct buf;

/* Text and attribute values: & < > " ' become entities; NUL and other C0
 * controls except tab and newline become U+FFFD's entity. */
void html_txt(struct buf *out, const char *s);
void html_txt_n(struct buf *out, const char *s, size_t n);
void html_attr(struct buf *out, const char *s);
/* A URL path (keep_slash) or query component, percent-encoded. */
void html_url(struct buf *out, const char *s, int keep_slash);
void html_addf(struct buf *out, const char *fmt, ...);

/* 1 when target is a local path this site may redirect to: starts with one
 * '/', not "//" or "/\", no control bytes or backslashes. */
int html_local_path(const char *target);

#endif
