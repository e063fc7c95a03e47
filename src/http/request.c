/* Request accessors: headers, query parameters, Basic credentials. */
#include "http.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LIMIT_QUERY_PARAMS 200

const char *http_method(const struct http_req *req)
{
	return req->method;
}

const char *http_path(const struct http_req *req)
{
	return req->path;
}

const char *http_header(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_client_address(const struct http_req *req)
{
	return req->client_address;
}

int http_client_fd(const struct http_req *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	return ci ? ci->connect_fd : -1;
}

const char *http_request_id(const struct http_req *req)
{
	return req->request_id;
}

char *http_keep(struct http_req *req, char *s)
{
	req->kept = xrealloc(req->kept, (req->nkept + 1) * sizeof(*req->kept));
	req->kept[req->nkept++] = s;
	return s;
}

static void query_parse(struct http_req *req)
{
	const char *p = req->raw_query;

	req->query_parsed = 1;
	while (p && *p && req->nquery < LIMIT_QUERY_PARAMS) {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		size_t klen = eq ? (size_t)(eq - p) : n;
		char *k = parse_form_decode(p, klen);
		char *v = eq ? parse_form_decode(eq + 1, n - klen - 1) : xstrdup("");

		if (k && v && *k) {
			req->query = xrealloc(req->query, (req->nquery + 1) * sizeof(*req->query));
			req->query[req->nquery].name = k;
			req->query[req->nquery].value = v;
			req->nquery++;
		} else {
			/* Malformed escapes make the parameter absent, not garbled. */
			free(k);
			free(v);
		}
		p += n;
		if (*p == '&')
			p++;
	}
}

const char *http_query(struct http_req *req, const char *name)
{
	if (!req->query_parsed)
		query_parse(req);
	for (size_t i = 0; i < req->nquery; i++)
		if (!strcmp(req->query[i].name, name))
			return req->query[i].value;
	return NULL;
}

int http_query_each(struct http_req *req, int (*fn)(const char *k, const char *v, void *ctx),
		    void *ctx)
{
	int ret = 0;

	if (!req->query_parsed)
		query_parse(req);
	for (size_t i = 0; i < req->nquery && ret == 0; i++)
		ret = fn(req->query[i].name, req->query[i].value, ctx);
	return ret;
}

int http_basic_auth(struct http_req *req, const char **user_out, const char **pass_out)
{
	const char *h = http_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char *raw;
	size_t in_len, raw_len = 0;
	char *colon;

	if (!h)
		return ERR_NOTFOUND;
	if (strncasecmp(h, "Basic ", 6))
		return ERR_NOTFOUND;
	h += 6;
	while (*h == ' ')
		h++;
	in_len = strlen(h);
	if (in_len == 0 || in_len > 4096)
		return ERR_INVALID;
	raw = xmalloc(in_len);
	if (sodium_base642bin(raw, in_len, h, in_len, NULL, &raw_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    memchr(raw, '\0', raw_len)) {
		free(raw);
		return ERR_INVALID;
	}
	colon = memchr(raw, ':', raw_len);
	if (!colon) {
		free(raw);
		return ERR_INVALID;
	}
	*colon = '\0';
	*user_out = http_keep(req, xstrdup((char *)raw));
	*pass_out = http_keep(req, xstrndup(colon + 1, raw_len - (size_t)(colon + 1 - (char *)raw)));
	sodium_memzero(raw, raw_len);
	free(raw);
	return 0;
}

const char *http_external_url(const struct http_req *req)
{
	return req->srv_external_url;
}

void http_req_free(struct http_req *req)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	for (size_t i = 0; i < req->nquery; i++) {
		free(req->query[i].name);
		free(req->query[i].value);
	}
	for (size_t i = 0; i < req->nkept; i++) {
		/* Kept strings may be credentials. */
		sodium_memzero(req->kept[i], strlen(req->kept[i]));
		free(req->kept[i]);
	}
	free(req->headers);
	free(req->query);
	free(req->kept);
	free(req->path);
	free(req->raw_query);
	buf_release(&req->body);
	buf_release(&req->resp_body);
	free(req);
}
