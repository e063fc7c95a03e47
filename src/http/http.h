/* The HTTP layer as handlers see it: a request with its headers, query and
 * body, and one response per request (buffered or streamed). Built on
 * libmicrohttpd with a thread per connection, so handlers may block while
 * they stream to or from a git child. */
#ifndef KURA_HTTP_H
#define KURA_HTTP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

struct http_req;
struct http_server;

/* A route claims requests whose method and path it matches, then handles
 * them in up to three steps. Requests without a body call begin, then end. */
struct http_route {
	const char *name;	/* for logs and metrics: "git_upload_pack" */
	/* 1 to claim the request; may stash parsed URL parts in req->route_data. */
	int (*match)(struct http_req *req);
	/* After the headers: may respond at once (errors, redirects). */
	void (*begin)(struct http_req *req);
	/* Streams the body; NULL buffers it in req->body, up to body_max. Return
	 * 0, or a negative code to stop reading (respond before returning). */
	int (*body)(struct http_req *req, const char *data, size_t n);
	/* The body is complete: respond unless already done. */
	void (*end)(struct http_req *req);
	/* Frees route_data (also on client disconnect). */
	void (*cleanup)(struct http_req *req);
	size_t body_max;
};

/* Reads the next bytes of a streamed response into out: returns the count,
 * 0 at the end, -1 to abort the connection. */
typedef ssize_t (*http_stream_read_fn)(void *ctx, char *out, size_t max);
typedef void (*http_stream_free_fn)(void *ctx);

struct http_server_opts {
	const char *host;
	uint16_t port;
	const char *external_url;
	const struct http_route *routes;	/* terminated by a route with NULL match */
	void *app;				/* handed to handlers as req->app */
	/* Called after each request, for metrics. */
	void (*on_complete)(const struct http_req *req);
};

/* Binds and starts serving. ERR_UNAVAILABLE with a sentence when binding fails. */
int http_server_start(struct http_server **out, const struct http_server_opts *opts,
		      struct buf *err);
/* Stops accepting, waits up to deadline_ms for requests in flight, stops. */
void http_server_stop(struct http_server *srv, int64_t deadline_ms);
int http_server_active(const struct http_server *srv);

/* Request accessors. Strings are borrowed and live as long as the request. */
const char *http_method(const struct http_req *req);
const char *http_path(const struct http_req *req);	/* raw, still percent-encoded */
const char *http_header(const struct http_req *req, const char *name);
/* Percent-decoded query parameter, or NULL. A parameter given as key[] is
 * found under "key[]". */
const char *http_query(struct http_req *req, const char *name);
/* All query parameters in order, decoded; calls fn until it returns nonzero. */
int http_query_each(struct http_req *req, int (*fn)(const char *k, const char *v, void *ctx),
		    void *ctx);
const char *http_client_address(const struct http_req *req);
/* The connection's socket, for noticing a client that hangs up; -1 if unknown. */
int http_client_fd(const struct http_req *req);
const char *http_request_id(const struct http_req *req);
/* Basic credentials from Authorization; 0, or ERR_NOTFOUND when absent,
 * ERR_INVALID when malformed. Both strings belong to the request. */
int http_basic_auth(struct http_req *req, const char **user_out, const char **pass_out);
/* Keeps s until the request ends; returns it. */
char *http_keep(struct http_req *req, char *s);
/* External base URL without a trailing slash. */
const char *http_external_url(const struct http_req *req);

/* Responses: exactly one per request. Headers added before responding. */
void http_add_header(struct http_req *req, const char *name, const char *value);
void http_respond(struct http_req *req, int status, const char *content_type,
		  const char *body, size_t len);
void http_respond_buf(struct http_req *req, int status, const char *content_type,
		      struct buf *body);	/* takes the buffer's contents */
/* {"message": "<text>"} with Content-Type application/json. */
void http_respond_message(struct http_req *req, int status, const char *text);
/* Streams until read returns 0; free is called once, also on disconnect. */
void http_respond_stream(struct http_req *req, int status, const char *content_type,
			 http_stream_read_fn read, http_stream_free_fn free_fn, void *ctx);
int http_responded(const struct http_req *req);
/* Maps an ERR_* code to a status: 400, 401, 403, 404, 409, 413, 429, 503, 500. */
int http_status_for(int err);

/* Frees a request and all it kept (the server calls this). */
void http_req_free(struct http_req *req);

struct http_header_pair {
	char *name, *value;
};

/* One request. Handlers read and set the fields marked "handlers"; the rest
 * belongs to the server. */
struct http_req {
	void *app;			/* handlers: http_server_opts.app */
	void *route_data;		/* handlers: owned by the route, freed by cleanup */
	struct buf body;		/* handlers: buffered body (routes without body()) */
	int64_t user_id;		/* handlers: for the access log; 0 anonymous */
	const struct http_route *route;
	struct http_server *srv;
	const char *srv_external_url;
	void *conn;			/* struct MHD_Connection */
	const char *method;
	char *path;			/* raw path, without the query */
	char *raw_query;		/* after '?', still encoded; NULL when none */
	char request_id[40];
	char client_address[64];
	int64_t start_ms;
	int status;			/* 0 until responded */
	uint64_t bytes_out;
	int body_failed;		/* the body callback refused: ignore the rest */
	int queued;			/* the response went to MHD */
	uint64_t discarded;		/* body bytes dropped after an early answer */
	struct buf resp_body;
	int started;
	struct http_header_pair *headers;	/* response headers */
	size_t nheaders;
	char **kept;			/* strings freed with the request */
	size_t nkept;
	struct http_header_pair *query;	/* decoded query, parsed on first use */
	size_t nquery;
	int query_parsed;
	http_stream_read_fn stream_read;
	http_stream_free_fn stream_free;
	void *stream_ctx;
};

#endif
