/* Building the one response of a request. */
#include "http.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_add_header(struct http_req *req, const char *name, const char *value)
{
	req->headers = xrealloc(req->headers, (req->nheaders + 1) * sizeof(*req->headers));
	req->headers[req->nheaders].name = xstrdup(name);
	req->headers[req->nheaders].value = xstrdup(value);
	req->nheaders++;
}

static int http_has_header(const struct http_req *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (!strcasecmp(req->headers[i].name, name))
			return 1;
	return 0;
}

void http_respond(struct http_req *req, int status, const char *content_type,
		  const char *body, size_t len)
{
	if (req->status)
		return;	/* one response per request: the first wins */
	req->status = status;
	if (content_type && !http_has_header(req, "Content-Type"))
		http_add_header(req, "Content-Type", content_type);
	buf_reset(&req->resp_body);
	buf_add(&req->resp_body, body, len);
}

void http_respond_buf(struct http_req *req, int status, const char *content_type,
		      struct buf *body)
{
	if (req->status) {
		buf_release(body);
		return;
	}
	req->status = status;
	if (content_type && !http_has_header(req, "Content-Type"))
		http_add_header(req, "Content-Type", content_type);
	buf_release(&req->resp_body);
	req->resp_body = *body;
	buf_init(body, body->max);
}

void http_respond_message(struct http_req *req, int status, const char *text)
{
	json_t *obj = json_pack("{s:s}", "message", text);
	char *s = json_dumps(obj, JSON_COMPACT);

	http_respond(req, status, "application/json", s, strlen(s));
	free(s);
	json_decref(obj);
}

void http_respond_stream(struct http_req *req, int status, const char *content_type,
			 http_stream_read_fn read, http_stream_free_fn free_fn, void *ctx)
{
	if (req->status) {
		if (free_fn)
			free_fn(ctx);
		return;
	}
	req->status = status;
	if (content_type && !http_has_header(req, "Content-Type"))
		http_add_header(req, "Content-Type", content_type);
	req->stream_read = read;
	req->stream_free = free_fn;
	req->stream_ctx = ctx;
}

int http_responded(const struct http_req *req)
{
	return req->status != 0;
}

int http_status_for(int err)
{
	switch (err) {
	case 0: return 200;
	case ERR_INVALID: return 400;
	case ERR_AUTH: return 401;
	case ERR_DENIED: return 403;
	case ERR_NOTFOUND: return 404;
	case ERR_EXISTS: return 409;
	case ERR_TOOBIG: return 413;
	case ERR_BUSY: return 429;
	case ERR_UNAVAILABLE: return 503;
	default: return 500;
	}
}
