/* libmicrohttpd glue: one thread per connection (handlers stream to and from
 * git children with blocking I/O), request lifecycle, access log. */
#include "http.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_server_opts opts;
	atomic_int active;	/* requests between first byte and completion */
};

/* Response headers that would let a browser sniff or frame our pages. */
static void add_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

/* The unescape callback leaves the URL alone: paths and query values are
 * decoded by kura where it knows what each piece means (%2F in a project id
 * must not become a path separator). */
static size_t unescape_nothing(void *cls, struct MHD_Connection *c, char *uri)
{
	(void)cls;
	(void)c;
	return strlen(uri);
}

/* Called first for every request with the raw URI: the request starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	struct http_req *req = xcalloc(1, sizeof(*req));
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);

	(void)conn;
	req->srv = srv;
	req->app = srv->opts.app;
	req->srv_external_url = srv->opts.external_url;
	req->start_ms = time_mono_ms();
	req->path = xstrndup(uri, plen);
	req->raw_query = q ? xstrdup(q + 1) : NULL;
	buf_init(&req->body, LIMIT_API_BODY);
	buf_init(&req->resp_body, SIZE_MAX - 1);
	atomic_fetch_add(&srv->active, 1);
	return req;
}

static void set_request_id(struct http_req *req)
{
	const char *given = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Request-Id");
	unsigned char raw[12];
	struct buf id = BUF_INIT_MAX(sizeof(req->request_id) - 1);
	size_t n = given ? strlen(given) : 0;

	/* Keep a load balancer's id when it is short and tame, so one request
	 * can be followed across systems. */
	if (n > 0 && n < sizeof(req->request_id) && strspn(given,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n) {
		memcpy(req->request_id, given, n + 1);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	buf_add_hex(&id, raw, sizeof(raw));
	memcpy(req->request_id, id.ptr, id.len + 1);
	buf_release(&id);
}

static void set_client_address(struct http_req *req)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	req->client_address[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  req->client_address, sizeof(req->client_address));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  req->client_address, sizeof(req->client_address));
}

static const struct http_route *route_find(struct http_req *req)
{
	for (const struct http_route *r = req->srv->opts.routes; r->match; r++)
		if (r->match(req))
			return r;
	return NULL;
}

struct stream_wrap {
	struct http_req *req;	/* only touched while the connection reads */
	http_stream_read_fn read;
	http_stream_free_fn free_fn;
	void *ctx;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream_wrap *w = cls;
	ssize_t n;

	(void)pos;
	n = w->read(w->ctx, out, max);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	w->req->bytes_out += (uint64_t)n;
	return n;
}

static void stream_free(void *cls)
{
	struct stream_wrap *w = cls;

	if (w->free_fn)
		w->free_fn(w->ctx);
	free(w);
}

/* Hands the response the handler built to MHD. */
static enum MHD_Result queue_response(struct http_req *req)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (req->stream_read) {
		struct stream_wrap *w = xcalloc(1, sizeof(*w));

		w->req = req;
		w->read = req->stream_read;
		w->free_fn = req->stream_free;
		w->ctx = req->stream_ctx;
		req->stream_read = NULL;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, LIMIT_GIT_PIPE_CHUNK,
							 stream_read, w, stream_free);
	} else {
		size_t len = 0;
		char *data = buf_detach(&req->resp_body, &len);

		req->bytes_out = len;
		resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	}
	if (!resp)
		return MHD_NO;
	for (size_t i = 0; i < req->nheaders; i++)
		MHD_add_response_header(resp, req->headers[i].name, req->headers[i].value);
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	add_security_headers(resp);
	ret = MHD_queue_response(req->conn, (unsigned)req->status, resp);
	MHD_destroy_response(resp);
	req->queued = 1;
	return ret;
}

static void check_declared_length(struct http_req *req)
{
	const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	size_t max = req->route && !req->route->body ? req->route->body_max : 0;
	unsigned long long n = 0;

	if (!cl || !max)
		return;
	for (const char *p = cl; *p >= '0' && *p <= '9' && n <= max; p++)
		n = n * 10 + (unsigned long long)(*p - '0');
	if (n > max)
		http_respond_message(req, 413, "413 Request Entity Too Large");
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version,
				 const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static const char not_found[] = "{\"error\":\"404 Not Found\"}";
	struct http_req *req = *con_cls;

	(void)cls;
	(void)url;
	(void)version;
	if (!req)
		return MHD_NO;
	if (!req->started) {
		req->started = 1;
		req->conn = conn;
		req->method = method;
		set_request_id(req);
		set_client_address(req);
		log_set_request_id(req->request_id);
		req->route = route_find(req);
		if (!req->route) {
			http_respond(req, 404, "application/json", not_found, strlen(not_found));
		} else {
			if (req->route->body_max && !req->route->body)
				buf_init(&req->body, req->route->body_max);
			check_declared_length(req);
			if (!req->status && req->route->begin)
				req->route->begin(req);
		}
		return req->status ? queue_response(req) : MHD_YES;
	}
	log_set_request_id(req->request_id);
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (req->queued)
			return MHD_YES;
		if (req->status || req->body_failed) {
			/* Already answered: drop what is still arriving, but not
			 * forever. */
			req->discarded += n;
			return req->discarded > LIMIT_API_BODY ? MHD_NO : MHD_YES;
		}
		if (req->route->body) {
			if (req->route->body(req, upload_data, n) < 0)
				req->body_failed = 1;
		} else {
			buf_add(&req->body, upload_data, n);
			if (buf_error(&req->body)) {
				req->body_failed = 1;
				http_respond_message(req, 413, "413 Request Entity Too Large");
			}
		}
		return MHD_YES;
	}
	if (req->queued)
		return MHD_YES;
	if (!req->status && req->route && req->route->end)
		req->route->end(req);
	if (!req->status)
		http_respond_message(req, 500, "500 Internal Server Error");
	return queue_response(req);
}

static void access_log(const struct http_req *req, enum MHD_RequestTerminationCode toe)
{
	struct buf line = BUF_INIT_MAX(4096);
	char when[40];

	time_format_iso8601(when, sizeof(when), time_now_ms());
	buf_addf(&line, "{\"time\":\"%s\",\"level\":\"info\",\"request_id\":\"%s\","
		 "\"component\":\"http\",\"method\":\"", when, req->request_id);
	buf_add_quoted(&line, req->method ? req->method : "", req->method ? strlen(req->method) : 0, 16);
	buf_addstr(&line, "\",\"path\":\"");
	buf_add_quoted(&line, req->path, strlen(req->path), 512);
	buf_addf(&line, "\",\"status\":%d,\"bytes\":%llu,\"duration_ms\":%lld,\"user_id\":%lld,"
		 "\"remote\":\"%s\",\"route\":\"%s\"%s}\n", req->status,
		 (unsigned long long)req->bytes_out, (long long)(time_mono_ms() - req->start_ms),
		 (long long)req->user_id, req->client_address,
		 req->route ? req->route->name : "none",
		 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ",\"aborted\":true");
	log_write_line(line.ptr, line.len);
	buf_release(&line);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct http_req *req = *con_cls;

	(void)conn;
	if (!req)
		return;
	*con_cls = NULL;
	log_set_request_id(req->request_id);
	if (req->route && req->route->cleanup)
		req->route->cleanup(req);
	if (req->started)
		access_log(req, toe);
	if (srv->opts.on_complete)
		srv->opts.on_complete(req);
	if (req->stream_read && req->stream_free)	/* never handed to MHD */
		req->stream_free(req->stream_ctx);
	http_req_free(req);
	log_set_request_id(NULL);
	atomic_fetch_sub(&srv->active, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT_MAX(1024);

	(void)cls;
	buf_vaddf(&msg, fmt, ap);
	while (msg.len && msg.ptr[msg.len - 1] == '\n')
		buf_truncate(&msg, msg.len - 1);
	log_debug("mhd", "%s", msg.ptr);
	buf_release(&msg);
}

static int resolve_listen(const char *host, uint16_t port, struct sockaddr_storage *out,
			  struct buf *err)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char portstr[8];
	int rc;

	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0 || !res) {
		buf_addf(err, "listen: cannot resolve '%s': %s", host, gai_strerror(rc));
		return ERR_INVALID;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

int http_server_start(struct http_server **out, const struct http_server_opts *opts,
		      struct buf *err)
{
	struct http_server *srv;
	struct sockaddr_storage addr;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG | MHD_USE_ITC;

	if (resolve_listen(opts->host, opts->port, &addr, err) < 0)
		return ERR_INVALID;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv = xcalloc(1, sizeof(*srv));
	srv->opts = *opts;
	srv->daemon = MHD_start_daemon(flags, opts->port, NULL, NULL, on_access, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)LIMIT_HTTP_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)LIMIT_HTTP_IDLE_SECONDS,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LIMIT_HTTP_HEADER_BYTES,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_nothing, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_END);
	if (!srv->daemon) {
		buf_addf(err, "cannot listen on %s:%u (address in use or not local?)", opts->host,
			 opts->port);
		free(srv);
		return ERR_UNAVAILABLE;
	}
	*out = srv;
	return 0;
}

int http_server_active(const struct http_server *srv)
{
	return atomic_load(&((struct http_server *)srv)->active);
}

void http_server_stop(struct http_server *srv, int64_t deadline_ms)
{
	int64_t until = time_mono_ms() + deadline_ms;
	MHD_socket fd;

	if (!srv)
		return;
	/* Stop accepting first, so the load balancer's retries go elsewhere,
	 * then let requests in flight finish. */
	fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (atomic_load(&srv->active) > 0 && time_mono_ms() < until)
		usleep(20 * 1000);
	if (atomic_load(&srv->active) > 0)
		log_warn("http", "shutdown deadline passed active=%d", atomic_load(&srv->active));
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
