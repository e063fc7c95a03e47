#include "smart_http.h"
#include "app.h"
#include "gitproc.h"
#include "ref_advert.h"
#include "repo_store.h"
#include "auth/authn.h"
#include "auth/perms.h"
#include "auth/throttle.h"
#include "hooks/hook.h"
#include "hooks/hook_service.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "model/names.h"
#include "model/project.h"
#include "model/user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum smart_service { SVC_UPLOAD_PACK, SVC_RECEIVE_PACK };

static const char *const service_names[] = { "upload-pack", "receive-pack" };

/* One Git HTTP request; owned by the route until the response stream takes it. */
struct smart_rpc {
	struct app *app;
	struct gitproc proc;
	enum smart_service svc;
	int advertise;
	int64_t project_id;
	struct buf prefix;	/* "# service=…" advertisement header */
	size_t prefix_off;
	z_stream zs;
	int gzip;
	int input_closed;	/* git stopped reading: drop the rest of the body */
	int sniff;		/* v2 upload-pack: the command decides who answers */
	int answered;		/* prefix holds the whole response; git never ran */
	struct buf head;	/* a sniffed request body, inflated, until decided */
	struct buf answer;	/* what kura answers itself (ref_advert.h) */
	char hook_token[65];	/* receive-pack: its hooks' token (hook_service.h) */
	uint64_t body_raw, body_in, body_max;
};

static void smart_rpc_free(void *ctx)
{
	struct smart_rpc *rpc = ctx;

	if (!rpc)
		return;
	gitproc_release(&rpc->proc);	/* git and its hooks are done */
	if (rpc->hook_token[0])
		hook_service_unregister(rpc->hook_token);
	if (rpc->gzip)
		inflateEnd(&rpc->zs);
	buf_release(&rpc->prefix);
	buf_release(&rpc->head);
	buf_release(&rpc->answer);
	free(rpc);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static int match_info_refs(struct http_req *req)
{
	return !strcmp(req->method, "GET") && ends_with(req->path, "/info/refs");
}

static int match_upload_pack(struct http_req *req)
{
	return !strcmp(req->method, "POST") && ends_with(req->path, "/git-upload-pack");
}

static int match_receive_pack(struct http_req *req)
{
	return !strcmp(req->method, "POST") && ends_with(req->path, "/git-receive-pack");
}

/* "/a/b/c.git/info/refs" → "a/b/c". The URL is never decoded: real
 * project paths need no escapes, so '%' simply fails validation. */
static int project_path_from_url(struct buf *out, const char *path, const char *suffix)
{
	size_t n = strlen(path) - strlen(suffix);
	struct buf err = BUF_INIT_MAX(256);
	int ret;

	if (path[0] != '/' || n < 2 || n > LIMIT_FULL_PATH + 5)
		return ERR_NOTFOUND;
	buf_add(out, path + 1, n - 1);
	if (ends_with(out->ptr, ".git"))
		buf_truncate(out, out->len - 4);
	ret = names_check_full_path(out->ptr, &err) < 0 || !strchr(out->ptr, '/') ?
	      ERR_NOTFOUND : 0;
	buf_release(&err);
	return ret;
}

static void respond_text(struct http_req *req, int status, const char *text)
{
	http_respond(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void respond_unauthorized(struct http_req *req)
{
	http_add_header(req, "WWW-Authenticate", "Basic realm=\"kura\"");
	respond_text(req, 401, "HTTP Basic: Access denied\n");
}

/* Credentials are optional (public reads); bad ones are always refused,
 * and repeated failures for one address and login are throttled. */
static int smart_authenticate(struct http_req *req, struct db *db, const struct project *p,
			      struct principal *who)
{
	const char *login = NULL, *secret = NULL;
	int ret = http_basic_auth(req, &login, &secret);

	if (ret == ERR_NOTFOUND)
		return 0;
	if (ret < 0) {
		respond_unauthorized(req);
		return ret;
	}
	ret = throttle_check(db, req->client_address, login);
	if (ret == ERR_BUSY) {
		http_add_header(req, "Retry-After", "60");
		respond_text(req, 429, "Too many failed authentication attempts; retry later\n");
		return ret;
	}
	if (ret == 0)
		ret = authn_basic(db, login, secret, who);
	/* GitLab's last resort: a deploy token of this project or its groups. */
	if (ret == ERR_AUTH && p)
		ret = authn_deploy_token(db, login, secret, p->id, p->namespace_id, who);
	if (ret == ERR_AUTH) {
		(void)throttle_fail(db, req->client_address, login);
		log_info("git_http", "authentication failed login=\"%.64s\"", login);
		respond_unauthorized(req);
		return ret;
	}
	if (ret < 0) {
		respond_text(req, http_status_for(ret), "Service unavailable, retry later\n");
		return ret;
	}
	(void)throttle_clear(db, req->client_address, login);
	req->user_id = who->user ? who->user->id : 0;
	return 0;
}

/* GitLab's outcomes: anonymous callers are asked for credentials whatever
 * the reason, so that nothing about private projects leaks; signed-in
 * callers get 404 for what they cannot see and 403 for what they cannot do. */
static int smart_authorize(struct http_req *req, struct db *db, const struct principal *who,
			   const struct project *p, enum smart_service svc)
{
	int ret = p ? (svc == SVC_UPLOAD_PACK ? perms_git_pull(db, who, p)
					      : perms_git_push(db, who, p))
		    : ERR_NOTFOUND;

	if (ret == 0)
		return 0;
	if (!who->user && !who->deploy_token_id && (ret == ERR_NOTFOUND || ret == ERR_DENIED))
		respond_unauthorized(req);
	else if (ret == ERR_NOTFOUND)
		respond_text(req, 404, "The project you were looking for could not be found or "
				       "you don't have permission to view it.\n");
	else if (ret == ERR_DENIED)
		respond_text(req, 403, svc == SVC_UPLOAD_PACK ?
			     "You are not allowed to download code from this project.\n" :
			     "You are not allowed to push code to this project.\n");
	else
		respond_text(req, http_status_for(ret), "Service unavailable, retry later\n");
	return ret;
}

/* receive-pack's hooks ask this server (hook_service.h) when it listens;
 * the variables above let them start kura instead when it does not. */
static void smart_hook_service_env(struct smart_rpc *rpc, const struct principal *who)
{
	struct hook_context ctx = { rpc->project_id, who->user ? who->user->id : 0,
				    who->deploy_token_id };
	const char *sock = hook_service_socket();

	gitproc_env(&rpc->proc, "KURA_HOOK_BINARY", repo_store_exe());
	if (sock && hook_service_register(&ctx, rpc->hook_token, sizeof(rpc->hook_token)) == 0) {
		gitproc_env(&rpc->proc, "KURA_HOOK_SOCKET", sock);
		gitproc_env(&rpc->proc, "KURA_HOOK_TOKEN", rpc->hook_token);
	}
}

/* Starts git for rpc; who is needed for receive-pack only (NULL otherwise). */
static int smart_spawn(struct http_req *req, struct smart_rpc *rpc, const struct principal *who)
{
	struct buf dir = BUF_INIT;
	char id[32];
	int ret;

	/* git treats a missing hook as no hook: a push must never run
	 * without the pre-receive that enforces protected branches. */
	if (rpc->svc == SVC_RECEIVE_PACK && !rpc->advertise && !repo_store_hooks_ready()) {
		log_error("git_http", "hooks missing in %s: refusing pushes", repo_store_hooks_dir());
		respond_text(req, 503, "Pushes are unavailable right now; retry later\n");
		return ERR_UNAVAILABLE;
	}
	repo_store_path(&dir, rpc->project_id);
	gitproc_arg(&rpc->proc, service_names[rpc->svc]);
	gitproc_arg(&rpc->proc, "--stateless-rpc");
	if (rpc->advertise)
		gitproc_arg(&rpc->proc, "--advertise-refs");
	if (rpc->svc == SVC_UPLOAD_PACK)
		gitproc_arg(&rpc->proc, "--strict");
	gitproc_arg_value(&rpc->proc, dir.ptr);
	gitproc_env_protocol(&rpc->proc, http_header(req, "Git-Protocol"));
	/* Hooks learn who pushes only from what kura sets here. */
	if (rpc->svc == SVC_RECEIVE_PACK) {
		snprintf(id, sizeof(id), "%lld", (long long)rpc->project_id);
		gitproc_env(&rpc->proc, "KURA_HOOK_PROJECT_ID", id);
		snprintf(id, sizeof(id), "%lld", (long long)(who->user ? who->user->id : 0));
		gitproc_env(&rpc->proc, "KURA_HOOK_USER_ID", id);
		snprintf(id, sizeof(id), "%lld", (long long)who->deploy_token_id);
		gitproc_env(&rpc->proc, "KURA_HOOK_DEPLOY_TOKEN_ID", id);
		gitproc_env(&rpc->proc, "KURA_HOOK_PROTOCOL", "http");
		gitproc_env(&rpc->proc, "KURA_HOOK_DATABASE_URL", rpc->app->cfg.database_url);
		gitproc_env(&rpc->proc, "KURA_HOOK_DATA_DIR", rpc->app->cfg.data_dir);
		smart_hook_service_env(rpc, who);
	}
	rpc->proc.watch_fd = http_client_fd(req);
	ret = gitproc_start(&rpc->proc, LIMIT_GIT_RPC_MS, 30 * 1000);
	if (ret == ERR_BUSY) {
		http_add_header(req, "Retry-After", "5");
		respond_text(req, 503, "Too many git operations in progress; retry later\n");
	} else if (ret < 0) {
		respond_text(req, 500, "Internal error\n");
	} else {
		log_info("git_http", "start service=%s project_id=%lld user_id=%lld",
			 service_names[rpc->svc], (long long)rpc->project_id,
			 (long long)req->user_id);
	}
	buf_release(&dir);
	return ret;
}

/* The protocol git would speak for a Git-Protocol header, when kura may
 * answer in its place: 0 or 2. -1 leaves version 1 to git (it adds a line
 * for it). A header gitproc refuses reaches git as none, so v0. */
static int smart_inproc_version(const char *header)
{
	int version = gitproc_protocol_version(header);

	if (version < 0)
		return 0;
	return version == 1 ? -1 : version;
}

/* info/refs from kura's own process when it can match git exactly; 0 when
 * rpc->answer holds the advertisement. receive-pack knows no v2: git
 * answers a v2 request with v0, and so does kura. */
static int smart_advertise(struct http_req *req, struct smart_rpc *rpc)
{
	int version = smart_inproc_version(http_header(req, "Git-Protocol"));
	int ret;

	if (version < 0)
		return ERR_UNAVAILABLE;
	if (rpc->svc == SVC_RECEIVE_PACK)
		ret = ref_advert_receive_v0(&rpc->answer, rpc->project_id);
	else if (version == 2)
		ret = ref_advert_upload_v2(&rpc->answer);
	else
		ret = ref_advert_upload_v0(&rpc->answer, rpc->project_id);
	if (ret < 0) {
		buf_reset(&rpc->answer);
		return ret;
	}
	rpc->answered = 1;
	return 0;
}

static int smart_setup_body(struct http_req *req, struct smart_rpc *rpc)
{
	const char *ctype = http_header(req, "Content-Type");
	const char *enc = http_header(req, "Content-Encoding");
	char want[64];

	snprintf(want, sizeof(want), "application/x-git-%s-request", service_names[rpc->svc]);
	if (!ctype || strcmp(ctype, want)) {
		respond_text(req, 415, "Unsupported Content-Type\n");
		return ERR_INVALID;
	}
	rpc->body_max = rpc->svc == SVC_UPLOAD_PACK ? LIMIT_GIT_REQUEST_BODY_UPLOAD
						    : LIMIT_GIT_REQUEST_BODY_RECEIVE;
	if (enc && (!strcmp(enc, "gzip") || !strcmp(enc, "x-gzip"))) {
		memset(&rpc->zs, 0, sizeof(rpc->zs));
		if (inflateInit2(&rpc->zs, 15 + 16) != Z_OK) {
			respond_text(req, 500, "Internal error\n");
			return ERR_INTERNAL;
		}
		rpc->gzip = 1;
	} else if (enc && strcmp(enc, "identity")) {
		respond_text(req, 415, "Unsupported Content-Encoding\n");
		return ERR_INVALID;
	}
	return 0;
}

static void smart_begin_service(struct http_req *req, enum smart_service svc, int advertise,
				const char *suffix)
{
	struct app *app = req->app;
	struct principal who = PRINCIPAL_INIT;
	struct project *p = NULL;
	struct buf full = BUF_INIT;
	struct smart_rpc *rpc;
	struct db *db = NULL;
	int ret;

	if (project_path_from_url(&full, req->path, suffix) < 0) {
		respond_text(req, 404, "Not Found\n");
		goto out;
	}
	db = db_get(app->pool);
	if (!db) {
		respond_text(req, 503, "Service unavailable, retry later\n");
		goto out;
	}
	ret = project_find_by_full_path(db, full.ptr, &p);
	if (ret < 0 && ret != ERR_NOTFOUND) {
		respond_text(req, http_status_for(ret), "Service unavailable, retry later\n");
		goto out;
	}
	/* The project first: a deploy token is only valid for its own. */
	if (smart_authenticate(req, db, p, &who) < 0)
		goto out;
	if (smart_authorize(req, db, &who, p, svc) < 0)
		goto out;
	rpc = xcalloc(1, sizeof(*rpc));
	rpc->proc = (struct gitproc)GITPROC_INIT;
	buf_init(&rpc->prefix, SIZE_MAX - 1);	/* the service line, then any in-process answer */
	buf_init(&rpc->head, LIMIT_GIT_LS_REFS_BODY);
	buf_init(&rpc->answer, SIZE_MAX - 1);
	rpc->app = app;
	rpc->svc = svc;
	rpc->advertise = advertise;
	rpc->project_id = p->id;
	req->route_data = rpc;
	if (!advertise && smart_setup_body(req, rpc) < 0)
		goto out;
	/* The database connection goes back before git runs for minutes. */
	db_put(app->pool, db);
	db = NULL;
	if (advertise && smart_advertise(req, rpc) == 0)
		goto out;
	/* A v2 request names its command first: ls-refs kura may answer. */
	if (!advertise && svc == SVC_UPLOAD_PACK &&
	    smart_inproc_version(http_header(req, "Git-Protocol")) == 2) {
		rpc->sniff = 1;
		goto out;
	}
	(void)smart_spawn(req, rpc, &who);
out:
	db_put(app->pool, db);
	project_free(p);
	principal_release(&who);
	buf_release(&full);
}

static void info_refs_begin(struct http_req *req)
{
	const char *service = http_query(req, "service");

	if (!service || (strcmp(service, "git-upload-pack") && strcmp(service, "git-receive-pack"))) {
		respond_text(req, 403, "kura serves only git's smart HTTP protocol\n");
		return;
	}
	smart_begin_service(req, !strcmp(service, "git-upload-pack") ? SVC_UPLOAD_PACK
								     : SVC_RECEIVE_PACK,
			    1, "/info/refs");
}

static void upload_pack_begin(struct http_req *req)
{
	smart_begin_service(req, SVC_UPLOAD_PACK, 0, "/git-upload-pack");
}

static void receive_pack_begin(struct http_req *req)
{
	smart_begin_service(req, SVC_RECEIVE_PACK, 0, "/git-receive-pack");
}

static int smart_to_git(struct http_req *req, struct smart_rpc *rpc, const char *data, size_t n)
{
	int ret = gitproc_write(&rpc->proc, data, n);

	if (ret == ERR_UNAVAILABLE) {
		/* git has its answer (often an error packet for a malformed
		 * request): the client gets it, the rest of the body is dropped. */
		log_info("git_http", "git stopped reading the request after bytes=%llu",
			 (unsigned long long)rpc->body_in);
		rpc->input_closed = 1;
		gitproc_close_stdin(&rpc->proc);
		return 0;
	}
	if (ret < 0)
		respond_text(req, ret == ERR_TOOBIG ? 413 : 500, "git failed to read the request\n");
	return ret;
}

/* Sniffing is over: git answers, and gets the bytes read so far first. */
static int smart_start_git(struct http_req *req, struct smart_rpc *rpc)
{
	int ret = smart_spawn(req, rpc, NULL);

	rpc->sniff = 0;
	if (ret == 0 && rpc->head.len)
		ret = smart_to_git(req, rpc, rpc->head.ptr, rpc->head.len);
	buf_release(&rpc->head);
	return ret;
}

/* The start of a v2 request: an ls-refs is kept whole for ref_advert (up
 * to a small limit), anything else goes to git as soon as it shows. */
static int smart_sniff(struct http_req *req, struct smart_rpc *rpc, const char *data, size_t n)
{
	int ret;

	if (rpc->head.len + n <= LIMIT_GIT_LS_REFS_BODY) {
		buf_add(&rpc->head, data, n);
		/* 1: an ls-refs, read on; ERR_NOTFOUND: its first packet is incomplete. */
		if (ref_advert_is_ls_refs(rpc->head.ptr, rpc->head.len) != 0)
			return 0;
		n = 0;
	}
	ret = smart_start_git(req, rpc);
	if (ret == 0 && n && !rpc->input_closed)
		ret = smart_to_git(req, rpc, data, n);
	return ret;
}

static int smart_feed(struct http_req *req, struct smart_rpc *rpc, const char *data, size_t n)
{
	rpc->body_in += n;
	if (rpc->body_in > rpc->body_max) {
		respond_text(req, 413, "Request too large\n");
		return ERR_TOOBIG;
	}
	if (rpc->sniff)
		return smart_sniff(req, rpc, data, n);
	return smart_to_git(req, rpc, data, n);
}

/* Streams the request body into git's stdin, inflating gzip on the way. */
static int smart_body(struct http_req *req, const char *data, size_t n)
{
	struct smart_rpc *rpc = req->route_data;
	char out[LIMIT_GIT_PIPE_CHUNK];

	if (!rpc)
		return ERR_INTERNAL;
	rpc->body_raw += n;
	if (rpc->body_raw > rpc->body_max) {
		respond_text(req, 413, "Request too large\n");
		return ERR_TOOBIG;
	}
	if (rpc->input_closed)
		return 0;
	if (!rpc->gzip)
		return smart_feed(req, rpc, data, n);
	rpc->zs.next_in = (unsigned char *)(uintptr_t)data;
	rpc->zs.avail_in = (unsigned)n;
	while (rpc->zs.avail_in > 0) {
		int zret, ret;

		rpc->zs.next_out = (unsigned char *)out;
		rpc->zs.avail_out = sizeof(out);
		zret = inflate(&rpc->zs, Z_NO_FLUSH);
		if (zret != Z_OK && zret != Z_STREAM_END) {
			respond_text(req, 400, "Malformed gzip request body\n");
			return ERR_INVALID;
		}
		ret = smart_feed(req, rpc, out, sizeof(out) - rpc->zs.avail_out);
		if (ret < 0)
			return ret;
		if (zret == Z_STREAM_END || rpc->input_closed)
			break;
	}
	return 0;
}

static ssize_t smart_stream_read(void *ctx, char *out, size_t max)
{
	struct smart_rpc *rpc = ctx;
	ssize_t n;

	if (rpc->prefix_off < rpc->prefix.len) {
		n = (ssize_t)(rpc->prefix.len - rpc->prefix_off);
		if ((size_t)n > max)
			n = (ssize_t)max;
		memcpy(out, rpc->prefix.ptr + rpc->prefix_off, (size_t)n);
		rpc->prefix_off += (size_t)n;
		return n;
	}
	n = gitproc_read(&rpc->proc, out, max);
	if (n > 0)
		return n;
	if (n < 0)
		return -1;
	/* git closed its output: reap it (its hooks have run by now). */
	gitproc_finish(&rpc->proc);
	return 0;
}

static void smart_end(struct http_req *req)
{
	struct smart_rpc *rpc = req->route_data;
	char ctype[64];

	if (!rpc)
		return;
	if (rpc->sniff) {
		if (ref_advert_is_ls_refs(rpc->head.ptr, rpc->head.len) == 1 &&
		    ref_advert_ls_refs(&rpc->answer, rpc->project_id, rpc->head.ptr,
				       rpc->head.len) == 0)
			rpc->answered = 1;
		else if (smart_start_git(req, rpc) < 0)
			return;
		buf_release(&rpc->head);
	}
	gitproc_close_stdin(&rpc->proc);
	if (rpc->advertise) {
		snprintf(ctype, sizeof(ctype), "application/x-git-%s-advertisement",
			 service_names[rpc->svc]);
		/* Protocol v2 starts with its capabilities, v0 with this line. */
		if (gitproc_protocol_version(http_header(req, "Git-Protocol")) != 2 ||
		    rpc->svc == SVC_RECEIVE_PACK) {
			char line[64];
			int len = snprintf(line, sizeof(line), "# service=git-%s\n",
					   service_names[rpc->svc]);

			buf_addf(&rpc->prefix, "%04x%s0000", len + 4, line);
		}
	} else {
		snprintf(ctype, sizeof(ctype), "application/x-git-%s-result",
			 service_names[rpc->svc]);
	}
	buf_add(&rpc->prefix, rpc->answer.ptr, rpc->answer.len);
	http_add_header(req, "Cache-Control", "no-cache, max-age=0, must-revalidate");
	http_add_header(req, "Pragma", "no-cache");
	http_add_header(req, "Expires", "Fri, 01 Jan 1980 00:00:00 GMT");
	/* An answer kura made itself goes out whole, with a length: written
	 * in pieces, its tail would wait on the client's delayed ACK. */
	if (rpc->answered) {
		http_respond_buf(req, 200, ctype, &rpc->prefix);
		return;
	}
	req->route_data = NULL;	/* the stream owns it now */
	http_respond_stream(req, 200, ctype, smart_stream_read, smart_rpc_free, rpc);
}

static void smart_cleanup(struct http_req *req)
{
	smart_rpc_free(req->route_data);
	req->route_data = NULL;
}

const struct http_route smart_http_routes[] = {
	{ .name = "git_info_refs", .match = match_info_refs, .begin = info_refs_begin,
	  .end = smart_end, .cleanup = smart_cleanup },
	{ .name = "git_upload_pack", .match = match_upload_pack, .begin = upload_pack_begin,
	  .body = smart_body, .end = smart_end, .cleanup = smart_cleanup },
	{ .name = "git_receive_pack", .match = match_receive_pack, .begin = receive_pack_begin,
	  .body = smart_body, .end = smart_end, .cleanup = smart_cleanup },
};
