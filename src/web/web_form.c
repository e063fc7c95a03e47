/* Form bodies, cookies and CSRF tokens. */
#include "web_ctx.h"
#include "app.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "http/http.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WEB_COOKIE_VALUE_MAX 256

int web_form_parse(struct web_ctx *c)
{
	struct buf *body = &c->req->body;
	const char *ctype = http_header(c->req, "Content-Type");
	const char *p = body->ptr, *end = body->ptr + body->len;

	if (!body->len)
		return 0;
	if (!ctype || strncasecmp(ctype, "application/x-www-form-urlencoded", 33))
		return ERR_INVALID;
	if (memchr(body->ptr, '\0', body->len))
		return ERR_INVALID;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);
		const char *eq = memchr(p, '=', n);
		size_t klen = eq ? (size_t)(eq - p) : n;
		char *k, *v;

		if (n) {
			if (c->nform >= WEB_FORM_FIELDS_MAX)
				return ERR_INVALID;
			k = parse_form_decode(p, klen);
			v = eq ? parse_form_decode(eq + 1, n - klen - 1) : xstrdup("");
			if (!k || !v) {
				free(k);
				free(v);
				return ERR_INVALID;
			}
			c->form = xrealloc(c->form, (c->nform + 1) * sizeof(*c->form));
			c->form[c->nform].name = k;
			c->form[c->nform].value = v;
			c->nform++;
		}
		p += n + (amp ? 1 : 0);
	}
	return 0;
}

const char *web_form_get(const struct web_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nform; i++)
		if (!strcmp(c->form[i].name, name))
			return c->form[i].value;
	return NULL;
}

/* Cookie: a=1; b=2. Values are kept only when short and of tame bytes: our
 * own cookies are hex. */
const char *web_cookie(struct web_ctx *c, const char *name)
{
	const char *h = http_header(c->req, "Cookie");
	size_t nlen = strlen(name);

	while (h && *h) {
		size_t n;

		while (*h == ' ' || *h == ';')
			h++;
		n = strcspn(h, ";");
		if (n > nlen && !strncmp(h, name, nlen) && h[nlen] == '=') {
			size_t vlen = n - nlen - 1;
			const char *v = h + nlen + 1;

			if (vlen == 0 || vlen > WEB_COOKIE_VALUE_MAX ||
			    strspn(v, "0123456789abcdefABCDEF") < vlen)
				return NULL;
			return http_keep(c->req, xstrndup(v, vlen));
		}
		h += n;
	}
	return NULL;
}

void web_set_cookie(struct web_ctx *c, const char *name, const char *value, int64_t max_age_s)
{
	struct buf h = BUF_INIT;
	const char *ext = http_external_url(c->req);

	buf_addf(&h, "%s=%s; Path=/; HttpOnly; SameSite=Lax", name, value);
	if (max_age_s >= 0)
		buf_addf(&h, "; Max-Age=%lld", (long long)max_age_s);
	if (ext && !strncasecmp(ext, "https://", 8))
		buf_addstr(&h, "; Secure");
	http_add_header(c->req, "Set-Cookie", h.ptr);
	buf_release(&h);
}

void web_csrf_anon(struct web_ctx *c)
{
	const char *have = web_cookie(c, WEB_CSRF_COOKIE);
	unsigned char raw[32];

	buf_reset(&c->csrf);
	if (have && strlen(have) == 64) {
		buf_addstr(&c->csrf, have);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	buf_add_hex(&c->csrf, raw, sizeof(raw));
	web_set_cookie(c, WEB_CSRF_COOKIE, c->csrf.ptr, -1);
}

int web_csrf_ok(struct web_ctx *c)
{
	const char *given = web_form_get(c, WEB_CSRF_FIELD);
	const char *want;
	size_t n;

	if (c->sess) {
		want = c->csrf.ptr;
	} else {
		want = web_cookie(c, WEB_CSRF_COOKIE);
		if (want && strlen(want) != 64)
			want = NULL;
	}
	if (!given || !want)
		return 0;
	n = strlen(want);
	return n && strlen(given) == n && sodium_memcmp(given, want, n) == 0;
}
