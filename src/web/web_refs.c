/* Branches, tags and archive downloads. Archives are written by git
 * archive, spawned with arguments repo_archive_argv vetted, and streamed. */
#include "web_ctx.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "git/gitproc.h"
#include "git/repo_read.h"
#include "git/repo_store.h"
#include "model/project.h"
#include "model/protected_branch.h"

#include <stdlib.h>
#include <string.h>

#define WEB_REFS_PER_PAGE 50
#define WEB_ARCHIVE_MS (10 * 60 * 1000)	/* a whole archive of a big tree */

void web_branches(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct repo_branch_list *bl = NULL;
	struct protected_branch_list pl = { 0 };
	int64_t page = web_page_param(c);
	const char *search = http_query(c->req, "search");
	struct buf url = BUF_INIT;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	ret = repo_branch_list(r, search && *search ? search : NULL,
			       (size_t)(page - 1) * WEB_REFS_PER_PAGE, WEB_REFS_PER_PAGE, &bl);
	if (ret == 0)
		ret = protected_branch_list(c->db, c->proj->id, &pl);
	if (ret < 0) {
		web_fail(c, ret == ERR_INVALID ? ERR_NOTFOUND : ret);
		goto out;
	}
	web_project_begin(c, "Branches", "branches");
	html_addf(&c->out, "<form method=\"get\" class=\"toolbar\"><label for=\"br-search\">"
		  "Filter branches</label><input id=\"br-search\" name=\"search\" value=\"%s\">"
		  "<button type=\"submit\">Search</button></form><ul class=\"list\">",
		  search ? search : "");
	for (size_t i = 0; i < bl->nr; i++) {
		const struct repo_branch *b = &bl->v[i];
		int prot = 0, lvl = 0, force = 0;

		(void)protected_branch_effective(&pl, b->name, &prot, &lvl, &force);
		html_addf(&c->out, "<li><a class=\"mono\" href=\"%u/-/tree/%u\">%s</a> ", c->base.ptr,
			  b->name, b->name);
		if (b->is_default)
			html_addf(&c->out, "<span class=\"badge\">default</span> ");
		if (prot)
			html_addf(&c->out, "<span class=\"badge\">protected</span> ");
		if (b->merged && !b->is_default)
			html_addf(&c->out, "<span class=\"badge\">merged</span> ");
		html_addf(&c->out, "<br><a class=\"mono\" href=\"%u/-/commit/%s\">%s</a> "
			  "<span class=\"muted\">%s</span> · <a href=\"%u/-/compare/%u...%u\">Compare"
			  "</a></li>", c->base.ptr, b->commit.id, b->commit.short_id, b->commit.title,
			  c->base.ptr, c->proj->default_branch ? c->proj->default_branch : "main",
			  b->name);
	}
	html_addf(&c->out, "</ul>");
	if (!bl->nr)
		html_addf(&c->out, "<p class=\"muted\">No branches.</p>");
	html_addf(&url, "%u/-/branches", c->base.ptr);
	if (search && *search)
		html_addf(&url, "?search=%q", search);
	web_pager(c, url.ptr, page, bl->total > (size_t)page * WEB_REFS_PER_PAGE);
	web_page_end(c, 200);
out:
	buf_release(&url);
	protected_branch_list_release(&pl);
	repo_branch_list_free(bl);
	repo_close(r);
}

void web_tags(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct repo_tag_list *tl = NULL;
	int64_t page = web_page_param(c);
	struct buf url = BUF_INIT;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	ret = repo_tag_list(r, NULL, REPO_TAG_BY_NAME, (size_t)(page - 1) * WEB_REFS_PER_PAGE,
			    WEB_REFS_PER_PAGE, &tl);
	if (ret < 0) {
		web_fail(c, ret == ERR_INVALID ? ERR_NOTFOUND : ret);
		goto out;
	}
	web_project_begin(c, "Tags", "tags");
	if (!tl->nr)
		html_addf(&c->out, "<p class=\"muted\">No tags.</p>");
	else
		html_addf(&c->out, "<ul class=\"list\">");
	for (size_t i = 0; i < tl->nr; i++) {
		const struct repo_tag *t = &tl->v[i];

		html_addf(&c->out, "<li><a class=\"mono\" href=\"%u/-/tree/%u\">%s</a>", c->base.ptr,
			  t->name, t->name);
		if (t->message && *t->message)
			html_addf(&c->out, " <span class=\"muted\">%s</span>", t->message);
		if (t->has_commit)
			html_addf(&c->out, "<br><a class=\"mono\" href=\"%u/-/commit/%s\">%s</a> %s",
				  c->base.ptr, t->commit.id, t->commit.short_id, t->commit.title);
		html_addf(&c->out, " · <a href=\"%u/-/archive/%u/%u-%q.zip\">zip</a> "
			  "<a href=\"%u/-/archive/%u/%u-%q.tar.gz\">tar.gz</a></li>", c->base.ptr,
			  t->name, c->proj->path, t->name, c->base.ptr, t->name, c->proj->path, t->name);
	}
	if (tl->nr)
		html_addf(&c->out, "</ul>");
	html_addf(&url, "%u/-/tags", c->base.ptr);
	web_pager(c, url.ptr, page, tl->total > (size_t)page * WEB_REFS_PER_PAGE);
	web_page_end(c, 200);
out:
	buf_release(&url);
	repo_tag_list_free(tl);
	repo_close(r);
}

/* ---- archives ---- */

struct web_archive {
	struct gitproc proc;
	char first[LIMIT_GIT_PIPE_CHUNK];	/* read before answering, to catch failures */
	size_t first_len, first_off;
};

static ssize_t archive_read(void *ctx, char *out, size_t max)
{
	struct web_archive *a = ctx;
	ssize_t n;

	if (a->first_off < a->first_len) {
		n = (ssize_t)(a->first_len - a->first_off);
		if ((size_t)n > max)
			n = (ssize_t)max;
		memcpy(out, a->first + a->first_off, (size_t)n);
		a->first_off += (size_t)n;
		return n;
	}
	n = gitproc_read(&a->proc, out, max);
	if (n > 0)
		return n;
	if (n < 0 || gitproc_finish(&a->proc) < 0)
		return -1;	/* a cut-off archive must not look complete */
	return 0;
}

static void archive_free(void *ctx)
{
	struct web_archive *a = ctx;

	if (!a)
		return;
	gitproc_release(&a->proc);
	free(a);
}

static const char *const archive_suffixes[] = {
	"tar.gz", "tar.bz2", "tgz", "tbz2", "tbz", "tb2", "bz2", "gz", "tar", "zip",
};

static const char *archive_type(enum repo_archive_format fmt)
{
	switch (fmt) {
	case REPO_ARCHIVE_ZIP: return "application/zip";
	case REPO_ARCHIVE_TAR_GZ: return "application/gzip";
	case REPO_ARCHIVE_TAR_BZ2: return "application/x-bzip2";
	default: return "application/x-tar";
	}
}

/* "archive/REF/NAME.FMT": REF may hold slashes; the format is the suffix. */
static int archive_parse(const char *raw, char **ref_out, enum repo_archive_format *fmt_out,
			 const char **suffix_out)
{
	struct buf dec = BUF_INIT_MAX(LIMIT_URL_PATH);
	const char *slash, *name;
	int ret = ERR_NOTFOUND;

	if (*raw != '/' || parse_percent_decode(&dec, raw + 1, strlen(raw + 1)) < 0 ||
	    buf_error(&dec))
		goto out;
	slash = strrchr(dec.ptr, '/');
	if (!slash || slash == dec.ptr)
		goto out;
	name = slash + 1;
	for (size_t i = 0; i < sizeof(archive_suffixes) / sizeof(*archive_suffixes); i++) {
		size_t n = strlen(name), m = strlen(archive_suffixes[i]);

		if (n > m + 1 && name[n - m - 1] == '.' && !strcmp(name + n - m, archive_suffixes[i]) &&
		    repo_archive_format_parse(archive_suffixes[i], fmt_out) == 0) {
			*ref_out = xstrndup(dec.ptr, (size_t)(slash - dec.ptr));
			*suffix_out = archive_suffixes[i];
			ret = 0;
			break;
		}
	}
out:
	buf_release(&dec);
	return ret;
}

static int archive_start(struct web_ctx *c, struct web_archive *a, enum repo_archive_format fmt,
			 const char *sha, const char *prefix)
{
	struct strvec argv = STRVEC_INIT;
	struct buf dir = BUF_INIT;
	int ret = repo_archive_argv(&argv, fmt, sha, prefix, NULL);

	if (ret == 0) {
		/* Every argument was built and checked by repo_archive_argv. */
		for (size_t i = 0; i < argv.nr; i++)
			gitproc_arg(&a->proc, argv.v[i]);
		repo_store_path(&dir, c->proj->id);
		gitproc_env(&a->proc, "GIT_DIR", dir.ptr);
		a->proc.watch_fd = http_client_fd(c->req);
		ret = gitproc_start(&a->proc, WEB_ARCHIVE_MS, 30 * 1000);
	}
	if (ret == 0) {
		ssize_t n;

		gitproc_close_stdin(&a->proc);
		n = gitproc_read(&a->proc, a->first, sizeof(a->first));
		if (n > 0)
			a->first_len = (size_t)n;
		else if (n < 0 || gitproc_finish(&a->proc) < 0)
			ret = ERR_INTERNAL;
	}
	strvec_release(&argv);
	buf_release(&dir);
	return ret;
}

void web_archive(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct web_archive *a = NULL;
	enum repo_archive_format fmt = REPO_ARCHIVE_ZIP;
	const char *suffix = NULL;
	char *ref = NULL;
	char sha[REPO_OID_HEX];
	struct buf prefix = BUF_INIT, disp = BUF_INIT;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	if (archive_parse(c->rest + strlen("archive"), &ref, &fmt, &suffix) < 0 ||
	    repo_resolve_commit(r, ref, sha) < 0) {
		web_error(c, 404, NULL);
		goto out;
	}
	repo_archive_prefix(&prefix, c->proj->path, ref, sha, NULL);
	a = xcalloc(1, sizeof(*a));
	a->proc = (struct gitproc)GITPROC_INIT;
	ret = archive_start(c, a, fmt, sha, prefix.ptr);
	if (ret < 0) {
		log_warn("web", "archive failed project_id=%lld err=%s", (long long)c->proj->id,
			 err_name(ret));
		if (ret == ERR_BUSY)
			http_add_header(c->req, "Retry-After", "5");
		web_error(c, ret == ERR_BUSY ? 503 : 500, NULL);
		goto out;
	}
	/* The prefix ends in '/': the file name is the prefix without it. */
	buf_truncate(&prefix, prefix.len - 1);
	buf_addf(&prefix, ".%s", suffix);
	buf_addstr(&disp, "attachment; filename*=UTF-8''");
	html_url(&disp, prefix.ptr, 0);
	http_add_header(c->req, "Content-Disposition", disp.ptr);
	http_respond_stream(c->req, 200, archive_type(fmt), archive_read, archive_free, a);
	a = NULL;
out:
	archive_free(a);
	buf_release(&prefix);
	buf_release(&disp);
	free(ref);
	repo_close(r);
}
