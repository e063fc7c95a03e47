/* The project page (clone URLs, branch switcher, files, README) and the
 * tree page, plus what the code pages share: opening the repository and
 * splitting "REF/PATH" the way GitLab does. */
#include "web_ctx.h"
#include "app.h"
#include "auth/perms.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/parse.h"
#include "core/strvec.h"
#include "core/xalloc.h"
#include "git/repo_read.h"
#include "model/member.h"
#include "model/project.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WEB_TREE_ENTRIES_MAX 1000	/* entries shown in one directory */
#define WEB_README_MAX (512 * 1024)	/* README bytes rendered */
#define WEB_SWITCHER_MAX 50		/* branches and tags offered in the switcher */

int web_repo_open(struct web_ctx *c, struct repo **out)
{
	/* Reading code needs Reporter on private projects; the rule lives in
	 * perms, and a refusal looks like absence. */
	int ret = perms_git_pull(c->db, &c->who, c->proj);

	if (ret == 0)
		ret = repo_open(out, c->proj->id);
	if (ret < 0) {
		web_fail(c, ret == ERR_DENIED ? ERR_NOTFOUND : ret);
		return ret;
	}
	return 0;
}

static char *decode_path(const char *raw)
{
	struct buf out = BUF_INIT_MAX(LIMIT_URL_PATH);

	if (parse_percent_decode(&out, raw, strlen(raw)) < 0 || buf_error(&out)) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out, NULL);
}

int web_ref_split(struct web_ctx *c, struct repo *r, const char *raw, char **ref_out,
		  char **path_out, char commit_out[41])
{
	char *all = decode_path(raw);
	size_t n;
	int ret = ERR_NOTFOUND;

	(void)c;
	if (!all)
		return ERR_NOTFOUND;
	n = strlen(all);
	while (n && all[n - 1] == '/')
		all[--n] = '\0';
	/* The longest prefix that names something wins, as in GitLab. */
	for (size_t len = n; len > 0; len--) {
		if (len < n && all[len] != '/')
			continue;
		{
			char *ref = xstrndup(all, len);

			ret = repo_resolve_commit(r, ref, commit_out);
			if (ret == 0) {
				*ref_out = ref;
				*path_out = xstrdup(len < n ? all + len + 1 : "");
				break;
			}
			free(ref);
			if (ret != ERR_NOTFOUND && ret != ERR_INVALID)
				break;
			ret = ERR_NOTFOUND;
		}
	}
	free(all);
	return ret;
}

void web_breadcrumb(struct web_ctx *c, const char *ref, const char *path)
{
	const char *p = path;

	html_addf(&c->out, "<nav class=\"crumbs\" aria-label=\"Path\"><a href=\"%u/-/tree/%u\">%s</a>",
		  c->base.ptr, ref, c->proj->path);
	while (p && *p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char *upto = xstrndup(path, (size_t)(p - path) + n);
		char *name = xstrndup(p, n);

		html_addf(&c->out, " / <a href=\"%u/-/tree/%u/%u\">%s</a>", c->base.ptr, ref, upto,
			  name);
		free(upto);
		free(name);
		p += n + (slash ? 1 : 0);
	}
	html_addf(&c->out, "</nav>");
}

/* A branch and tag switcher that needs no script: a disclosure of links. */
/* Names only: a picker needs no commit, and loading one per branch and
 * tag was most of a tree page's time on a repository with many refs. */
static void ref_switcher(struct web_ctx *c, struct repo *r, const char *ref, const char *kind)
{
	struct strvec branches = STRVEC_INIT, tags = STRVEC_INIT;

	html_addf(&c->out, "<details class=\"switcher\"><summary>%s <span class=\"mono\">%s</span>"
		  "</summary><ul class=\"list\">", kind, ref);
	if (repo_ref_names(r, "refs/heads/", WEB_SWITCHER_MAX, &branches) == 0)
		for (size_t i = 0; i < branches.nr; i++)
			html_addf(&c->out, "<li><a href=\"%u/-/tree/%u\">%s</a></li>", c->base.ptr,
				  branches.v[i], branches.v[i]);
	if (repo_ref_names(r, "refs/tags/", WEB_SWITCHER_MAX, &tags) == 0)
		for (size_t i = 0; i < tags.nr; i++)
			html_addf(&c->out, "<li><a href=\"%u/-/tree/%u\">%s</a> "
				  "<span class=\"badge\">tag</span></li>", c->base.ptr,
				  tags.v[i], tags.v[i]);
	html_addf(&c->out, "</ul></details>");
	strvec_release(&branches);
	strvec_release(&tags);
}

static void clone_box(struct web_ctx *c)
{
	struct buf url = BUF_INIT;

	buf_addf(&url, "%s%s.git", http_external_url(c->req), c->base.ptr);
	html_addf(&c->out, "<div class=\"clone\"><label for=\"clone-https\">Clone with HTTPS</label> "
		  "<input id=\"clone-https\" readonly value=\"%s\"> "
		  "<button type=\"button\" data-copy=\"clone-https\">Copy</button></div>", url.ptr);
	buf_release(&url);
}

static void last_commit_line(struct web_ctx *c, struct repo *r, const char *commit)
{
	struct repo_commit *cm = NULL;
	struct buf when = BUF_INIT;

	if (repo_commit_get(r, commit, 0, &cm) < 0)
		return;
	web_time(&when, cm->committer.when_ms);
	html_addf(&c->out, "<header><a class=\"mono\" href=\"%u/-/commit/%s\">%s</a> "
		  "<span>%s</span><span class=\"grow\"></span><span class=\"muted\">%s · %s</span>"
		  "</header>", c->base.ptr, cm->id, cm->short_id, cm->title, cm->author.name,
		  when.ptr);
	buf_release(&when);
	repo_commit_free(cm);
}

static int is_readme(const char *name)
{
	return !strncasecmp(name, "readme", 6) &&
	       (!name[6] || !strcasecmp(name + 6, ".md") || !strcasecmp(name + 6, ".markdown") ||
		!strcasecmp(name + 6, ".txt") || !strcasecmp(name + 6, ".rst"));
}

void web_md_links_init(struct web_ctx *c, struct web_md_links *l, struct buf bufs[4],
		       const char *ref, const char *dir)
{
	static const char *const kinds[] = { "blob", "raw", "blob", "raw" };

	for (int i = 0; i < 4; i++) {
		buf_init(&bufs[i], SIZE_MAX - 1);
		html_addf(&bufs[i], "%u/-/%r/%u/", c->base.ptr, kinds[i], ref);
		if (i < 2 && dir && *dir)
			html_addf(&bufs[i], "%u/", dir);
	}
	l->blob_dir = bufs[0].ptr;
	l->raw_dir = bufs[1].ptr;
	l->blob_root = bufs[2].ptr;
	l->raw_root = bufs[3].ptr;
}

void web_md_links_release(struct buf bufs[4])
{
	for (int i = 0; i < 4; i++)
		buf_release(&bufs[i]);
}

int web_is_markdown(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcasecmp(dot, ".md") || !strcasecmp(dot, ".markdown"));
}

/* Renders the README of a directory listing, if it has one. */
static void readme_box(struct web_ctx *c, struct repo *r, const char *ref,
		       const struct repo_tree_list *tl, const char *dir)
{
	const struct repo_tree_entry *e = NULL;
	struct repo_blob *b = NULL;
	struct web_md_links links;
	struct buf bufs[4];

	for (size_t i = 0; i < tl->nr && !e; i++)
		if (tl->v[i].type == REPO_ENTRY_BLOB && is_readme(tl->v[i].name))
			e = &tl->v[i];
	if (!e)
		return;
	html_addf(&c->out, "<section class=\"box\" aria-label=\"README\"><header>"
		  "<a href=\"%u/-/blob/%u/%u\">%s</a></header>", c->base.ptr, ref, e->path, e->name);
	if (repo_blob_get(r, e->id, WEB_README_MAX, &b) < 0 || b->is_binary) {
		html_addf(&c->out, "<p class=\"markdown muted\">The README is too large or binary to "
			  "show here.</p></section>");
		repo_blob_free(b);
		return;
	}
	if (web_is_markdown(e->name)) {
		web_md_links_init(c, &links, bufs, ref, dir);
		html_addf(&c->out, "<div class=\"markdown\">");
		web_markdown(&c->out, b->content, b->size, &links);
		html_addf(&c->out, "</div>");
		web_md_links_release(bufs);
	} else {
		html_addf(&c->out, "<div class=\"markdown\"><pre>");
		html_txt_n(&c->out, b->content, b->size);
		html_addf(&c->out, "</pre></div>");
	}
	html_addf(&c->out, "</section>");
	repo_blob_free(b);
}

static void tree_table(struct web_ctx *c, const char *ref, const char *path,
		       const struct repo_tree_list *tl)
{
	html_addf(&c->out, "<table class=\"tree\"><caption class=\"muted\">Files</caption>"
		  "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\" class=\"hide-sm\">Mode"
		  "</th></tr></thead><tbody>");
	if (path && *path) {
		const char *slash = strrchr(path, '/');
		char *up = xstrndup(path, slash ? (size_t)(slash - path) : 0);

		html_addf(&c->out, "<tr><td><a href=\"%u/-/tree/%u%r%u\">..</a></td>"
			  "<td class=\"hide-sm\"></td></tr>", c->base.ptr, ref, *up ? "/" : "", up);
		free(up);
	}
	for (size_t i = 0; i < tl->nr; i++) {
		const struct repo_tree_entry *e = &tl->v[i];
		char mode[16];

		if (e->type == REPO_ENTRY_COMMIT)
			html_addf(&c->out, "<tr><td>%s <span class=\"badge\">submodule</span></td>",
				  e->name);
		else
			html_addf(&c->out, "<tr><td><a href=\"%u/-/%r/%u/%u\">%s</a>%r</td>",
				  c->base.ptr, e->type == REPO_ENTRY_TREE ? "tree" : "blob", ref,
				  e->path, e->name, e->type == REPO_ENTRY_TREE ? "/" : "");
		snprintf(mode, sizeof(mode), "%06o", e->mode);
		html_addf(&c->out, "<td class=\"hide-sm mono muted\">%s</td></tr>", mode);
	}
	html_addf(&c->out, "</tbody></table>");
	if (tl->total > tl->nr)
		html_addf(&c->out, "<p class=\"muted\">Showing %z of %z entries.</p>", tl->nr,
			  tl->total);
}

/* The tree at ref/path with its README, under the project frame. */
static void render_tree(struct web_ctx *c, struct repo *r, const char *ref, const char *commit,
			const char *path, const char *title)
{
	struct repo_tree_list *tl = NULL;
	int ret = repo_tree_list(r, commit, path, 0, 0, WEB_TREE_ENTRIES_MAX, &tl);

	if (ret < 0) {
		web_fail(c, ret == ERR_INVALID ? ERR_NOTFOUND : ret);
		return;
	}
	web_project_begin(c, title, "files");
	html_addf(&c->out, "<div class=\"toolbar\">");
	ref_switcher(c, r, ref, "Branch");
	web_breadcrumb(c, ref, path);
	html_addf(&c->out, "<span class=\"grow\"></span><a class=\"button\" href=\"%u/-/commits/%u%r%u\">"
		  "History</a>", c->base.ptr, ref, path && *path ? "/" : "", path);
	if (!path || !*path) {
		html_addf(&c->out, "<a class=\"button\" href=\"%u/-/archive/%u/%u-%q.zip\">"
			  "Download zip</a><a class=\"button\" href=\"%u/-/archive/%u/%u-%q.tar.gz\">"
			  "tar.gz</a>", c->base.ptr, ref, c->proj->path, ref, c->base.ptr, ref,
			  c->proj->path, ref);
		clone_box(c);
	}
	html_addf(&c->out, "</div><section class=\"box\">");
	last_commit_line(c, r, commit);
	tree_table(c, ref, path, tl);
	html_addf(&c->out, "</section>");
	readme_box(c, r, ref, tl, path);
	web_page_end(c, 200);
	repo_tree_list_free(tl);
}

static void empty_project(struct web_ctx *c)
{
	web_project_begin(c, "Files", "files");
	html_addf(&c->out, "<section class=\"box\"><header>This repository is empty</header>"
		  "<div class=\"markdown\"><p>Push an existing repository:</p><pre>"
		  "git remote add origin %s%u.git\ngit push -u origin main</pre></div></section>",
		  http_external_url(c->req), c->base.ptr);
	clone_box(c);
	web_page_end(c, 200);
}

void web_project_show(struct web_ctx *c)
{
	struct repo *r = NULL;
	char *ref = NULL;
	char commit[REPO_OID_HEX];
	int ret;

	if (c->is_post) {
		web_error(c, 405, NULL);
		return;
	}
	if (web_repo_open(c, &r) < 0)
		return;
	if (repo_is_empty(r)) {
		empty_project(c);
		goto out;
	}
	if (c->proj->default_branch)
		ref = xstrdup(c->proj->default_branch);
	else if (repo_default_branch(r, &ref) < 0)
		ref = xstrdup("main");
	ret = repo_resolve_commit(r, ref, commit);
	if (ret < 0) {
		/* HEAD names a branch that does not exist: show the first one. */
		struct repo_branch_list *bl = NULL;

		if (repo_branch_list(r, NULL, 0, 1, &bl) == 0 && bl->nr) {
			free(ref);
			ref = xstrdup(bl->v[0].name);
			ret = repo_resolve_commit(r, ref, commit);
		}
		repo_branch_list_free(bl);
	}
	if (ret < 0)
		empty_project(c);
	else
		render_tree(c, r, ref, commit, NULL, "Files");
out:
	free(ref);
	repo_close(r);
}

void web_tree(struct web_ctx *c)
{
	struct repo *r = NULL;
	char *ref = NULL, *path = NULL;
	char commit[REPO_OID_HEX];
	const char *raw = c->rest + strlen("tree");

	if (web_repo_open(c, &r) < 0)
		return;
	if (*raw == '\0' || !raw[1]) {
		repo_close(r);
		web_project_show(c);
		return;
	}
	if (web_ref_split(c, r, raw + 1, &ref, &path, commit) < 0)
		web_error(c, 404, NULL);
	else
		render_tree(c, r, ref, commit, path, *path ? path : "Files");
	free(ref);
	free(path);
	repo_close(r);
}
