/* GET /repository/archive[.format]: git archive of one commit, streamed
 * from the git child to the client, never held in memory. The same commit,
 * prefix and format give the same bytes (see repo_archive_argv). */
#include "api_repo.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/strvec.h"
#include "core/xalloc.h"
#include "git/gitproc.h"
#include "git/repo_store.h"
#include "http/http.h"
#include "model/project.h"

#include <stdlib.h>
#include <string.h>

#define ARCHIVE_WAIT_MS (30 * 1000)	/* for a free git slot */

struct archive_stream {
	struct gitproc proc;
	char first[LIMIT_GIT_PIPE_CHUNK];	/* read before answering, to catch failures */
	size_t first_len, first_off;
};

static void archive_stream_free(void *ctx)
{
	struct archive_stream *s = ctx;

	if (!s)
		return;
	gitproc_release(&s->proc);
	free(s);
}

static ssize_t archive_stream_read(void *ctx, char *out, size_t max)
{
	struct archive_stream *s = ctx;
	ssize_t n;

	if (s->first_off < s->first_len) {
		n = (ssize_t)(s->first_len - s->first_off);
		if ((size_t)n > max)
			n = (ssize_t)max;
		memcpy(out, s->first + s->first_off, (size_t)n);
		s->first_off += (size_t)n;
		return n;
	}
	n = gitproc_read(&s->proc, out, max);
	if (n > 0)
		return n;
	/* A failure after the headers went out can only cut the connection,
	 * so the client never takes a truncated archive for a whole one. */
	if (n < 0 || gitproc_finish(&s->proc) < 0) {
		log_warn("api", "archive failed mid-stream stderr=\"%.200s\"", s->proc.err.ptr);
		return -1;
	}
	return 0;
}

/* The suffix of the last path segment: "archive.tar.gz" → "tar.gz". */
/* What GitLab sends (Workhorse sets these; CodeConnections expects zip). */
static const char *archive_content_type(enum repo_archive_format fmt)
{
	switch (fmt) {
	case REPO_ARCHIVE_ZIP: return "application/zip";
	case REPO_ARCHIVE_TAR_GZ: return "application/gzip";
	case REPO_ARCHIVE_TAR_BZ2: return "application/x-bzip2";
	default: return "application/x-tar";
	}
}

static const char *format_suffix(const struct api_ctx *c)
{
	const char *path = http_path(c->req);
	const char *last = strrchr(path, '/');
	const char *dot = last ? strchr(last, '.') : NULL;

	return dot ? dot + 1 : "tar.gz";
}

/* A filename for Content-Disposition: the prefix without its '/', and
 * nothing a header or a shell could misread. */
static void disposition(struct buf *out, const char *prefix, const char *suffix)
{
	buf_addstr(out, "attachment; filename=\"");
	for (const char *p = prefix; *p && *p != '/'; p++)
		buf_addch(out, strchr("\"\\;", *p) || (unsigned char)*p < 0x20 ? '_' : *p);
	buf_addf(out, ".%s\"", suffix);
}

static int archive_spawn(struct api_ctx *c, struct archive_stream *s, int64_t project_id,
			 const struct strvec *argv)
{
	struct buf dir = BUF_INIT;
	int literal = 1, ret;

	for (size_t i = 0; i < argv->nr; i++) {
		/* Options come from repo_archive_argv; only what follows
		 * --end-of-options derives from the request. */
		if (literal)
			gitproc_arg(&s->proc, argv->v[i]);
		else
			gitproc_arg_value(&s->proc, argv->v[i]);
		if (!strcmp(argv->v[i], "--end-of-options"))
			literal = 0;
	}
	repo_store_path(&dir, project_id);
	gitproc_env(&s->proc, "GIT_DIR", dir.ptr);
	s->proc.watch_fd = http_client_fd(c->req);
	ret = gitproc_start(&s->proc, LIMIT_GIT_RPC_MS, ARCHIVE_WAIT_MS);
	buf_release(&dir);
	return ret;
}

static void archive(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct strvec argv = STRVEC_INIT;
	struct buf prefix = BUF_INIT_MAX(4096), disp = BUF_INIT, err = BUF_INIT_MAX(256);
	struct archive_stream *s = NULL;
	enum repo_archive_format fmt;
	const char *suffix = format_suffix(c), *ref = NULL, *path = NULL;
	char *def = NULL;
	char sha[REPO_OID_HEX];
	ssize_t n;
	int ret;

	if (repo_archive_format_parse(suffix, &fmt) < 0) {
		api_error(c, 404, "404 Not Found");
		goto out;
	}
	if (api_param_str(c, "sha", &ref) < 0 || api_param_str(c, "path", &path) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	if (path && *path && repo_path_check(path, strlen(path), &err) < 0) {
		api_error(c, 400, "path is invalid");
		goto out;
	}
	if (!ref || !*ref) {
		if (repo_default_branch(ar.r, &def) < 0)
			def = xstrdup("HEAD");
		ref = def;
	}
	ret = repo_resolve_commit(ar.r, ref, sha);
	if (ret < 0) {
		api_repo_fail(&ar, ret == ERR_INVALID ? ERR_NOTFOUND : ret, "File", NULL);
		goto out;
	}
	repo_archive_prefix(&prefix, ar.p->path, ref, sha, path && *path ? path : NULL);
	if (buf_error(&prefix) ||
	    repo_archive_argv(&argv, fmt, sha, prefix.ptr, path && *path ? path : NULL) < 0) {
		api_error(c, 400, "sha or path is invalid");
		goto out;
	}
	s = xcalloc(1, sizeof(*s));
	s->proc = (struct gitproc)GITPROC_INIT;
	ret = archive_spawn(c, s, ar.p->id, &argv);
	if (ret == ERR_BUSY) {
		http_add_header(c->req, "Retry-After", "5");
		api_message(c, 503, "503 Service Unavailable");
		goto out;
	}
	if (ret == ERR_INVALID) {
		api_error(c, 400, "path is invalid");
		goto out;
	}
	if (ret < 0) {
		api_fail(c, ret, NULL, NULL);
		goto out;
	}
	n = gitproc_read(&s->proc, s->first, sizeof(s->first));
	if (n <= 0) {
		/* Nothing came out: a path that names nothing, or a failure. */
		ret = gitproc_finish(&s->proc);
		if (n == 0 && ret < 0)
			api_message(c, 404, "404 File Not Found");
		else
			api_fail(c, ERR_INTERNAL, NULL, NULL);
		goto out;
	}
	s->first_len = (size_t)n;
	disposition(&disp, prefix.ptr, suffix);
	http_add_header(c->req, "Content-Disposition", disp.ptr);
	http_add_header(c->req, "Content-Transfer-Encoding", "binary");
	http_respond_stream(c->req, 200, archive_content_type(fmt), archive_stream_read,
			    archive_stream_free, s);
	s = NULL;	/* the stream owns it */
out:
	archive_stream_free(s);
	free(def);
	strvec_release(&argv);
	buf_release(&prefix);
	buf_release(&disp);
	buf_release(&err);
	api_repo_close(&ar);
}

const struct api_endpoint api_repo_archive_endpoints[] = {
	{ "GET", "/projects/:id/repository/archive", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.tar.gz", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.tgz", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.gz", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.tar.bz2", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.tbz", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.tbz2", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.tb2", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.bz2", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.tar", archive, 0 },
	{ "GET", "/projects/:id/repository/archive.zip", archive, 0 },
	{ NULL, NULL, NULL, 0 },
};
