/* Escaping for HTML text, attributes and URLs, and the formatter that
 * applies them by default. */
#include "html.h"
#include "core/buf.h"
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

void html_txt_n(struct buf *out, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;

		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				rep = "&#xfffd;";
		}
		if (!rep)
			continue;
		buf_add(out, s + start, i - start);
		buf_addstr(out, rep);
		start = i + 1;
	}
	buf_add(out, s + start, n - start);
}

void html_txt(struct buf *out, const char *s)
{
	if (s)
		html_txt_n(out, s, strlen(s));
}

void html_attr(struct buf *out, const char *s)
{
	html_txt(out, s);
}

void html_url(struct buf *out, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
			buf_addch(out, (char)c);
		} else {
			buf_addch(out, '%');
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		}
	}
}

void html_addf(struct buf *out, const char *fmt, ...)
{
	va_list ap;
	const char *p = fmt;

	va_start(ap, fmt);
	while (*p) {
		const char *pct = strchr(p, '%');

		if (!pct) {
			buf_addstr(out, p);
			break;
		}
		buf_add(out, p, (size_t)(pct - p));
		switch (pct[1]) {
		case 's': html_txt(out, va_arg(ap, const char *)); break;
		case 'u': html_url(out, va_arg(ap, const char *), 1); break;
		case 'q': html_url(out, va_arg(ap, const char *), 0); break;
		case 'r': {
			const char *raw = va_arg(ap, const char *);

			if (raw)
				buf_addstr(out, raw);
			break;
		}
		case 'd': buf_addf(out, "%d", va_arg(ap, int)); break;
		case 'D': buf_addf(out, "%lld", (long long)va_arg(ap, int64_t)); break;
		case 'z': buf_addf(out, "%zu", va_arg(ap, size_t)); break;
		case '%': buf_addch(out, '%'); break;
		default: BUG("html_addf: bad conversion in \"%s\"", fmt);
		}
		p = pct + 2;
	}
	va_end(ap);
}

int html_local_path(const char *target)
{
	if (!target || target[0] != '/' || target[1] == '/' || target[1] == '\\')
		return 0;
	for (const char *p = target; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	return 1;
}
