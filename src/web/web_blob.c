/* One file: the blob page (numbered, linkable lines; Markdown rendered;
 * images inline; binary and huge files offered as downloads) and the raw
 * download, which is served so that a browser never runs it. */
#include "web_ctx.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "git/repo_read.h"
#include "model/project.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WEB_BLOB_LOAD_MAX (8 * 1024 * 1024)	/* larger files: raw link only */
#define WEB_BLOB_SHOW_BYTES (512 * 1024)	/* bytes rendered before truncating */
#define WEB_BLOB_SHOW_LINES 10000
#define WEB_RAW_MAX (64L * 1024 * 1024)		/* raw downloads are loaded whole */

static const struct {
	const char *ext, *type;
} image_types[] = {
	{ ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
	{ ".gif", "image/gif" }, { ".webp", "image/webp" }, { ".ico", "image/x-icon" },
	{ ".bmp", "image/bmp" },
};

/* Raster images only: SVG can carry script. */
static const char *image_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(image_types) / sizeof(*image_types); i++)
		if (!strcasecmp(dot, image_types[i].ext))
			return image_types[i].type;
	return NULL;
}

/* Lines as a table: the number cell links to #L<n>, which :target lights. */
static void code_lines(struct web_ctx *c, const char *s, size_t n)
{
	size_t line = 1, start = 0, shown = 0;
	int truncated = 0;

	html_addf(&c->out, "<div class=\"code\"><table><tbody>");
	while (start < n) {
		const char *nl = memchr(s + start, '\n', n - start);
		size_t len = nl ? (size_t)(nl - (s + start)) : n - start;

		if (line > WEB_BLOB_SHOW_LINES || shown + len > WEB_BLOB_SHOW_BYTES) {
			truncated = 1;
			break;
		}
		html_addf(&c->out, "<tr id=\"L%z\"><td class=\"n\"><a href=\"#L%z\">%z</a></td><td>",
			  line, line, line);
		html_txt_n(&c->out, s + start, len);
		html_addf(&c->out, "</td></tr>");
		shown += len + 1;
		start += len + 1;
		line++;
	}
	html_addf(&c->out, "</tbody></table></div>");
	if (truncated)
		html_addf(&c->out, "<p class=\"flash notice\">The file is truncated here; "
			  "view the raw file for the rest.</p>");
}

static void blob_body(struct web_ctx *c, const char *ref, const char *path,
		      const struct repo_file *f, const char *raw_url)
{
	const char *img = image_type(f->file_name);

	if (img) {
		html_addf(&c->out, "<p class=\"markdown\"><img src=\"%r\" alt=\"%s\"></p>", raw_url,
			  f->file_name);
	} else if (f->blob.is_binary) {
		html_addf(&c->out, "<p class=\"markdown\">Binary file (%z bytes). "
			  "<a href=\"%r\" download>Download</a></p>", f->blob.size, raw_url);
	} else if (!f->blob.content) {
		html_addf(&c->out, "<p class=\"markdown\">This file is too large to display "
			  "(%z bytes). <a href=\"%r\">View the raw file</a>.</p>", f->blob.size, raw_url);
	} else if (web_is_markdown(f->file_name) && !http_query(c->req, "plain")) {
		struct web_md_links links;
		struct buf bufs[4];
		const char *slash = strrchr(path, '/');
		char *dir = xstrndup(path, slash ? (size_t)(slash - path) : 0);

		web_md_links_init(c, &links, bufs, ref, dir);
		html_addf(&c->out, "<div class=\"markdown\">");
		web_markdown(&c->out, f->blob.content, f->blob.size, &links);
		html_addf(&c->out, "</div>");
		web_md_links_release(bufs);
		free(dir);
	} else {
		code_lines(c, f->blob.content, f->blob.size);
	}
}

/* "blob/REF/PATH" or "raw/REF/PATH": the file, or an answered error. */
static int file_load(struct web_ctx *c, struct repo *r, const char *prefix, size_t max,
		     char **ref_out, char **path_out, struct repo_file **out)
{
	const char *raw = c->rest + strlen(prefix);
	char commit[REPO_OID_HEX];
	int ret;

	if (*raw != '/' || web_ref_split(c, r, raw + 1, ref_out, path_out, commit) < 0 ||
	    !**path_out) {
		web_error(c, 404, NULL);
		return ERR_NOTFOUND;
	}
	ret = repo_file_get(r, commit, *path_out, max, out);
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0 && ret != ERR_TOOBIG)
		web_fail(c, ret);
	return ret;
}

void web_blob(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct repo_file *f = NULL;
	char *ref = NULL, *path = NULL;
	struct buf raw_url = BUF_INIT;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	ret = file_load(c, r, "blob", 0, &ref, &path, &f);
	if (ret < 0)
		goto out;
	/* Size first; content only for text small enough to show. */
	if (!f->blob.is_binary && f->blob.size <= WEB_BLOB_LOAD_MAX && !image_type(f->file_name)) {
		struct repo_file *full = NULL;

		if (repo_file_get(r, f->commit_id, path, WEB_BLOB_LOAD_MAX, &full) == 0) {
			repo_file_free(f);
			f = full;
		}
	}
	html_addf(&raw_url, "%u/-/raw/%u/%u", c->base.ptr, ref, path);
	web_project_begin(c, f->file_name, "files");
	html_addf(&c->out, "<div class=\"toolbar\">");
	web_breadcrumb(c, ref, path);
	html_addf(&c->out, "</div><section class=\"box\"><header><span class=\"mono\">%s</span>"
		  "<span class=\"muted\">%z bytes</span><span class=\"grow\"></span>"
		  "<a href=\"%u/-/commits/%u/%u\">History</a><a href=\"%r\">Raw</a>",
		  f->file_name, f->blob.size, c->base.ptr, ref, path, raw_url.ptr);
	if (web_is_markdown(f->file_name))
		html_addf(&c->out, "<a href=\"?plain=1\">Source</a>");
	html_addf(&c->out, "</header>");
	blob_body(c, ref, path, f, raw_url.ptr);
	html_addf(&c->out, "</section>");
	web_page_end(c, 200);
out:
	buf_release(&raw_url);
	repo_file_free(f);
	free(ref);
	free(path);
	repo_close(r);
}

/* filename*=UTF-8''… carries any name without quoting trouble. */
static void content_disposition(struct web_ctx *c, const char *kind, const char *name)
{
	struct buf h = BUF_INIT;

	buf_addf(&h, "%s; filename*=UTF-8''", kind);
	html_url(&h, name, 0);
	http_add_header(c->req, "Content-Disposition", h.ptr);
	buf_release(&h);
}

void web_raw(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct repo_file *f = NULL;
	char *ref = NULL, *path = NULL;
	const char *type;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	ret = file_load(c, r, "raw", WEB_RAW_MAX, &ref, &path, &f);
	if (ret == ERR_TOOBIG) {
		web_error(c, 413, "This file is too large to download here; clone the repository.");
		goto out;
	}
	if (ret < 0)
		goto out;
	type = image_type(f->file_name);
	if (!type)
		type = f->blob.is_binary ? "application/octet-stream" : "text/plain; charset=utf-8";
	content_disposition(c, !strcmp(type, "application/octet-stream") ? "attachment" : "inline",
			    f->file_name);
	/* Whatever the bytes are, they never run as a page of this site. */
	http_add_header(c->req, "Content-Security-Policy", "default-src 'none'; sandbox");
	http_add_header(c->req, "Cache-Control", "private, no-cache");
	http_respond(c->req, 200, type, f->blob.content, f->blob.size);
out:
	repo_file_free(f);
	free(ref);
	free(path);
	repo_close(r);
}
