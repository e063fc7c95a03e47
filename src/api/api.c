/* The /api/v4 route: finds the endpoint, authenticates (token, sudo), checks
 * scopes and flags, then runs the handler with a borrowed database
 * connection. GitLab's order: unknown route 404, bad credentials 401, sudo,
 * insufficient scope 403, then the handler. */
#include "api.h"
#include "api_ctx.h"
#include "app.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "model/user.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define API_PREFIX "/api/v4"
#define API_MAX_SEGMENTS 16

/* Every resource's table, in match order. */
static const struct api_endpoint *const tables[] = {
	api_meta_endpoints,
	api_user_endpoints,
	api_token_endpoints,
	api_protected_branch_endpoints,
	api_commit_status_endpoints,
	api_key_endpoints,
	api_deploy_key_endpoints,
	api_deploy_token_endpoints,
	api_access_token_endpoints,
	api_namespace_endpoints,
	api_group_endpoints,
	api_member_endpoints,
	api_project_endpoints,
	api_project_extra_endpoints,
	api_repo_branch_endpoints,
	api_repo_tag_endpoints,
	api_repo_tree_endpoints,
	api_repo_file_endpoints,
	api_repo_commit_endpoints,
	api_repo_extra_endpoints,
	api_repo_compare_endpoints,
	api_repo_archive_endpoints,
	api_hook_endpoints,
	api_integration_endpoints,
	api_mirror_endpoints,
	api_application_endpoints,
	api_project_social_endpoints,
	api_transfer_endpoints,
	api_share_endpoints,
	api_user_admin_endpoints,
	api_upload_endpoints,
	NULL,
};

struct api_path {
	char *seg[API_MAX_SEGMENTS];	/* decoded, owned */
	int n;
};

static void api_path_release(struct api_path *ap)
{
	for (int i = 0; i < ap->n; i++)
		free(ap->seg[i]);
	ap->n = 0;
}

/* Splits the raw path below /api/v4 and decodes each segment on its own, so
 * that %2F inside an id never becomes a separator. ERR_INVALID for bad
 * escapes, NULs or too many segments. */
static int api_path_split(struct api_path *out, const char *raw)
{
	const char *p = raw + strlen(API_PREFIX);

	out->n = 0;
	if (*p != '/')
		return ERR_INVALID;
	p++;
	for (;;) {
		size_t n = strcspn(p, "/");
		struct buf seg = BUF_INIT_MAX(LIMIT_URL_PATH);

		if (out->n == API_MAX_SEGMENTS || parse_percent_decode(&seg, p, n) < 0 ||
		    buf_error(&seg)) {
			buf_release(&seg);
			api_path_release(out);
			return ERR_INVALID;
		}
		out->seg[out->n++] = buf_detach(&seg, NULL);
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* 1 when pattern matches the segments; captures :params into args. */
static int pattern_match(const char *pattern, const struct api_path *ap, const char **args)
{
	const char *p = pattern + 1;
	int i = 0, nargs = 0;

	for (;; i++) {
		size_t n = strcspn(p, "/");

		if (i >= ap->n)
			return 0;
		if (*p == ':') {
			if (!ap->seg[i][0] || nargs == API_MAX_ARGS)
				return 0;
			args[nargs++] = ap->seg[i];
		} else if (strlen(ap->seg[i]) != n || memcmp(p, ap->seg[i], n)) {
			return 0;
		}
		if (!p[n])
			return i + 1 == ap->n;
		p += n + 1;
	}
}

static int method_is(const char *method, const char *want)
{
	if (!strcmp(method, want))
		return 1;
	return !strcmp(want, "GET") && !strcmp(method, "HEAD");
}

/* The endpoint for method and path; *path_known says whether another method
 * would have matched (405 rather than 404). */
static const struct api_endpoint *endpoint_find(const char *method, const struct api_path *ap,
						const char **args, int *path_known)
{
	*path_known = 0;
	for (int t = 0; tables[t]; t++) {
		for (const struct api_endpoint *e = tables[t]; e->method; e++) {
			const char *tmp[API_MAX_ARGS] = { 0 };

			if (!pattern_match(e->pattern, ap, tmp))
				continue;
			if (!method_is(method, e->method)) {
				*path_known = 1;
				continue;
			}
			memcpy(args, tmp, sizeof(tmp));
			return e;
		}
	}
	return NULL;
}

static const char *bearer_token(const struct http_req *req)
{
	const char *h = http_header(req, "Authorization");

	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

/* The credential in GitLab's order of carriers; NULL when none. */
static const char *credential(struct api_ctx *c)
{
	const char *s = http_header(c->req, "PRIVATE-TOKEN");

	if (s && *s)
		return s;
	s = bearer_token(c->req);
	if (s)
		return s;
	s = api_param_peek(c, "private_token");
	if (s && *s)
		return s;
	s = api_param_peek(c, "access_token");
	return s && *s ? s : NULL;
}

static void respond_unauthorized(struct api_ctx *c)
{
	api_message(c, 401, "401 Unauthorized");
}

static int authenticate(struct api_ctx *c)
{
	const char *secret = credential(c);
	int ret;

	if (!secret)
		return 0;
	ret = authn_token(c->db, secret, &c->who);
	if (ret == ERR_AUTH)
		respond_unauthorized(c);
	else if (ret < 0)
		api_fail(c, ret, NULL, NULL);
	return ret;
}

static void respond_insufficient_scope(struct api_ctx *c, const char *scope)
{
	json_t *body;

	if (c->who.oauth_token_id)
		http_add_header(c->req, "WWW-Authenticate", "Bearer realm=\"Protected by OAuth 2.0\","
				" error=\"insufficient_scope\", error_description=\"The request"
				" requires higher privileges than provided by the access token.\"");
	body = json_pack("{s:s, s:s, s:s}", "error", "insufficient_scope",
				 "error_description", "The request requires higher privileges"
				 " than provided by the access token.", "scope", scope);

	api_json(c, 403, body);
}

/* sudo=<id|username> (parameter or Sudo header) by an admin token with the
 * sudo scope makes the request act as that user. */
static int apply_sudo(struct api_ctx *c)
{
	const char *who = http_header(c->req, "Sudo");
	struct user *u = NULL;
	struct buf msg = BUF_INIT_MAX(512);
	uint64_t id = 0;
	int ret;

	if (!who || !*who)
		who = api_param_peek(c, "sudo");
	if (!who || !*who)
		return 0;
	if (!c->who.user) {
		respond_unauthorized(c);
		return ERR_AUTH;
	}
	if (!c->who.user->is_admin) {
		api_message(c, 403, "403 Forbidden - Must be admin to use sudo");
		return ERR_DENIED;
	}
	if (!(c->who.scopes & SCOPE_SUDO)) {
		respond_insufficient_scope(c, "sudo");
		return ERR_DENIED;
	}
	if (parse_u64(who, INT64_MAX, &id) == 0)
		ret = user_find(c->db, (int64_t)id, &u);
	else
		ret = user_find_by_username(c->db, who, &u);
	if (ret == ERR_NOTFOUND) {
		buf_addstr(&msg, "404 User with ID or username '");
		buf_add_quoted(&msg, who, strlen(who), 255);
		buf_addstr(&msg, "' Not Found");
		api_message(c, 404, msg.ptr);
	} else if (ret < 0) {
		api_fail(c, ret, NULL, NULL);
	} else {
		user_free(c->who.user);
		c->who.user = u;
	}
	buf_release(&msg);
	return ret;
}

/* Scope and flag checks for the endpoint, after authentication. */
static int authorize(struct api_ctx *c)
{
	const struct api_endpoint *e = c->ep;
	int write = strcmp(e->method, "GET") != 0;
	unsigned need = write ? SCOPE_API : SCOPE_API | SCOPE_READ_API;

	if (!c->who.user) {
		if (e->flags & (API_AUTH | API_ADMIN) || write) {
			respond_unauthorized(c);
			return ERR_AUTH;
		}
		return 0;
	}
	if (e->flags & API_READ_USER && !write)
		need |= SCOPE_READ_USER;
	if ((c->who.token_id || c->who.oauth_token_id) && !(c->who.scopes & need)) {
		respond_insufficient_scope(c, write ? "api" : "read_api");
		return ERR_DENIED;
	}
	if (e->flags & API_ADMIN && !c->who.user->is_admin) {
		api_message(c, 403, "403 Forbidden");
		return ERR_DENIED;
	}
	return 0;
}

/* At most API_GATE_PER_CPU handlers per CPU run at once; the others wait
 * in arrival order. With one thread per connection, 32 busy connections on
 * two cores are 32 runnable threads: the scheduler slices them round-robin,
 * each request's latency stretches to the whole crowd's, and the client's
 * own threads starve. Waiting in line instead keeps the tail near the mean.
 * A handler that blocks (a slow disk, a big diff) must not hold the line: a
 * waiter goes ahead after API_GATE_MAX_WAIT_MS regardless. */
#define API_GATE_PER_CPU 4
#define API_GATE_MAX_WAIT_MS 20

struct gate_waiter {
	sem_t wake;		/* posted outside the lock: no wake-then-block */
	int granted;
	struct gate_waiter *next;
};

static struct {
	pthread_mutex_t lock;
	struct gate_waiter *head, *tail;
	int running, limit;
} gate = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void gate_unlink(struct gate_waiter *w)
{
	struct gate_waiter **pp = &gate.head, *prev = NULL;

	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (gate.tail == w)
		gate.tail = prev;
}

static void gate_deadline(struct timespec *until)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_nsec += API_GATE_MAX_WAIT_MS * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

static void gate_enter(void)
{
	struct gate_waiter w = { .granted = 0, .next = NULL };
	struct timespec until;
	int granted, rc;

	pthread_mutex_lock(&gate.lock);
	if (!gate.limit) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		gate.limit = API_GATE_PER_CPU * (n > 0 ? (int)n : 1);
	}
	if (!gate.head && gate.running < gate.limit) {
		gate.running++;
		pthread_mutex_unlock(&gate.lock);
		return;
	}
	sem_init(&w.wake, 0, 0);
	if (gate.tail)
		gate.tail->next = &w;
	else
		gate.head = &w;
	gate.tail = &w;
	pthread_mutex_unlock(&gate.lock);
	gate_deadline(&until);
	while ((rc = sem_clockwait(&w.wake, CLOCK_MONOTONIC, &until)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		pthread_mutex_lock(&gate.lock);
		granted = w.granted;
		if (!granted) {
			gate_unlink(&w);
			gate.running++;		/* over the limit: see above */
		}
		pthread_mutex_unlock(&gate.lock);
		/* Granted just as the wait ran out: the post is on its way;
		 * take it before the semaphore goes with this stack frame. */
		if (granted)
			while (sem_wait(&w.wake) < 0)
				;
	}
	sem_destroy(&w.wake);
}

static void gate_leave(void)
{
	struct gate_waiter *wake[8], *w;
	int n = 0;

	pthread_mutex_lock(&gate.lock);
	gate.running--;
	while (gate.running < gate.limit && n < 8 && (w = gate.head)) {
		gate.head = w->next;
		if (!gate.head)
			gate.tail = NULL;
		w->granted = 1;
		gate.running++;
		wake[n++] = w;
	}
	pthread_mutex_unlock(&gate.lock);
	for (int i = 0; i < n; i++)
		sem_post(&wake[i]->wake);
}

static void api_run(struct api_ctx *c)
{
	struct app *app = c->app;

	gate_enter();
	c->db = db_get(app->pool);
	if (!c->db) {
		api_message(c, 503, "503 Service Unavailable");
		gate_leave();
		return;
	}
	if (api_params_load(c) == 0 && authenticate(c) == 0 && apply_sudo(c) == 0 &&
	    authorize(c) == 0) {
		c->req->user_id = api_user_id(c);
		c->ep->handler(c);
		if (!http_responded(c->req)) {
			log_error("api", "handler gave no answer pattern=%s", c->ep->pattern);
			api_message(c, 500, "500 Internal Server Error");
		}
	}
	db_put(app->pool, c->db);
	c->db = NULL;
	gate_leave();
}

/* Query keys whose values never reach the log. */
static int api_secret_key(const char *k, size_t n)
{
	static const char *const words[] = { "token", "secret", "password", "code", "sudo",
					     "key", NULL };

	for (int i = 0; words[i]; i++) {
		size_t w = strlen(words[i]);

		for (size_t j = 0; j + w <= n; j++)
			if (!strncasecmp(k + j, words[i], w))
				return 1;
	}
	return 0;
}

/* A request no endpoint answers: one line an operator can grep for
 * (unmatched_route) to see what a client such as AWS CodeConnections asked
 * for. Query values of secret-looking keys are replaced. */
static void api_log_unmatched(struct http_req *req)
{
	struct buf q = BUF_INIT_MAX(2048);
	const char *p = req->raw_query;

	while (p && *p) {
		size_t n = strcspn(p, "&"), k = strcspn(p, "=");

		if (k > n)
			k = n;
		if (q.len)
			buf_addch(&q, '&');
		if (k < n && api_secret_key(p, k)) {
			buf_add(&q, p, k);
			buf_addstr(&q, "=[FILTERED]");
		} else {
			buf_add(&q, p, n);
		}
		p += n;
		p += *p == '&';
	}
	log_info("api", "unmatched_route method=%s path=\"%.512s\" query=\"%.1024s\"",
		 http_method(req), http_path(req), buf_error(&q) ? "[TOO LONG]" : q.ptr);
	buf_release(&q);
}

static int api_match(struct http_req *req)
{
	const char *p = http_path(req);

	return !strncmp(p, API_PREFIX "/", strlen(API_PREFIX) + 1) || !strcmp(p, API_PREFIX);
}

static void api_end(struct http_req *req)
{
	struct api_ctx c = { 0 };
	struct api_path ap = { 0 };
	int path_known = 0;

	c.req = req;
	c.app = req->app;
	if (api_path_split(&ap, http_path(req)) < 0) {
		api_error(&c, 404, "404 Not Found");
		return;
	}
	c.ep = endpoint_find(http_method(req), &ap, c.args, &path_known);
	if (!c.ep) {
		api_log_unmatched(req);
		api_error(&c, path_known ? 405 : 404, path_known ? "405 Not Allowed" : "404 Not Found");
	} else
		api_run(&c);
	principal_release(&c.who);
	json_decref(c.params);
	api_path_release(&ap);
}

/* POST /api/v4/projects/:id/uploads: attachments may be larger than other
 * API bodies, so this route claims them first with its own cap. */
static int api_upload_match(struct http_req *req)
{
	const char *p = http_path(req), *seg;
	size_t n = strlen(API_PREFIX "/projects/");

	if (strcmp(http_method(req), "POST") || strncmp(p, API_PREFIX "/projects/", n))
		return 0;
	seg = p + n;
	n = strcspn(seg, "/");
	return n && !strcmp(seg + n, "/uploads");
}

const struct http_route api_routes[] = {
	{ .name = "api_upload", .match = api_upload_match, .end = api_end,
	  .body_max = LIMIT_UPLOAD_BODY },
	{ .name = "api", .match = api_match, .end = api_end, .body_max = LIMIT_API_BODY },
};
