/* History: the commit list of a ref (optionally of one path), a commit with
 * its diff, and the comparison of two refs. */
#include "web_ctx.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "git/repo_read.h"
#include "model/project.h"

#include <stdlib.h>
#include <string.h>

#define WEB_COMMITS_PER_PAGE 40
#define WEB_DIFF_FILES_MAX 1000
#define WEB_DIFF_BYTES_MAX (2 * 1024 * 1024)	/* rendered diff text per page */

static void commit_row(struct web_ctx *c, const struct repo_commit *cm)
{
	struct buf when = BUF_INIT;

	web_time(&when, cm->committer.when_ms);
	html_addf(&c->out, "<li><a href=\"%u/-/commit/%s\">%s</a><br><span class=\"muted\">"
		  "%s committed %s</span> <a class=\"mono\" href=\"%u/-/commit/%s\">%s</a></li>",
		  c->base.ptr, cm->id, cm->title, cm->author.name, when.ptr, c->base.ptr, cm->id,
		  cm->short_id);
	buf_release(&when);
}

static char *default_ref(struct web_ctx *c, struct repo *r)
{
	char *ref = NULL;

	if (c->proj->default_branch)
		return xstrdup(c->proj->default_branch);
	if (repo_default_branch(r, &ref) < 0)
		return xstrdup("main");
	return ref;
}

void web_commits(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct repo_commit_list *l = NULL;
	struct repo_log_opts o = { 0 };
	const char *raw = c->rest + strlen("commits");
	char *ref = NULL, *path = NULL;
	char commit[REPO_OID_HEX];
	int64_t page = web_page_param(c);
	struct buf url = BUF_INIT;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	if (*raw == '/' && raw[1]) {
		ret = web_ref_split(c, r, raw + 1, &ref, &path, commit);
	} else {
		ref = default_ref(c, r);
		path = xstrdup("");
		ret = repo_resolve_commit(r, ref, commit);
	}
	if (ret < 0) {
		if (repo_is_empty(r))
			web_error(c, 404, "This repository is empty.");
		else
			web_error(c, 404, NULL);
		goto out;
	}
	o.ref = commit;
	o.path = *path ? path : NULL;
	o.offset = (size_t)(page - 1) * WEB_COMMITS_PER_PAGE;
	o.limit = WEB_COMMITS_PER_PAGE;
	ret = repo_commit_log(r, &o, &l);
	if (ret < 0) {
		web_fail(c, ret == ERR_INVALID ? ERR_NOTFOUND : ret);
		goto out;
	}
	web_project_begin(c, "Commits", "commits");
	html_addf(&c->out, "<div class=\"toolbar\"><h2>Commits on <span class=\"mono\">%s</span>"
		  "</h2>", ref);
	if (*path)
		web_breadcrumb(c, ref, path);
	html_addf(&c->out, "</div>");
	if (!l->nr)
		html_addf(&c->out, "<p class=\"muted\">No commits.</p>");
	else
		html_addf(&c->out, "<ul class=\"list\">");
	for (size_t i = 0; i < l->nr; i++)
		commit_row(c, &l->v[i]);
	if (l->nr)
		html_addf(&c->out, "</ul>");
	html_addf(&url, "%u/-/commits/%u%r%u", c->base.ptr, ref, *path ? "/" : "", path);
	web_pager(c, url.ptr, page, l->more);
	web_page_end(c, 200);
out:
	buf_release(&url);
	repo_commit_list_free(l);
	free(ref);
	free(path);
	repo_close(r);
}

static void diff_counts(const char *d, int64_t *add, int64_t *del)
{
	for (const char *p = d; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (*p == '+')
			(*add)++;
		else if (*p == '-')
			(*del)++;
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void diff_lines(struct web_ctx *c, const char *d)
{
	html_addf(&c->out, "<div class=\"code diff\"><table><tbody>");
	for (const char *p = d; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *cls = *p == '+' ? "add" : *p == '-' ? "del" : *p == '@' ? "hunk" : "";

		html_addf(&c->out, "<tr><td class=\"%r\">", cls);
		html_txt_n(&c->out, p, n);
		html_addf(&c->out, "</td></tr>");
		p += n + (nl ? 1 : 0);
	}
	html_addf(&c->out, "</tbody></table></div>");
}

static void render_diffs(struct web_ctx *c, const struct repo_diff_list *dl)
{
	html_addf(&c->out, "<p>%z changed files with <span class=\"plus\">%D additions</span> and "
		  "<span class=\"minus\">%D deletions</span></p>", dl->nr, dl->additions,
		  dl->deletions);
	for (size_t i = 0; i < dl->nr; i++) {
		const struct repo_diff *d = &dl->v[i];
		int64_t add = 0, del = 0;

		diff_counts(d->diff, &add, &del);
		html_addf(&c->out, "<section class=\"box diff-file\"><header><span class=\"mono\">");
		if (d->renamed_file)
			html_addf(&c->out, "%s → ", d->old_path);
		html_addf(&c->out, "%s</span>", d->new_path);
		if (d->new_file)
			html_addf(&c->out, "<span class=\"badge\">new</span>");
		if (d->deleted_file)
			html_addf(&c->out, "<span class=\"badge\">deleted</span>");
		if (d->renamed_file)
			html_addf(&c->out, "<span class=\"badge\">renamed</span>");
		html_addf(&c->out, "<span class=\"grow\"></span><span class=\"plus\">+%D</span> "
			  "<span class=\"minus\">−%D</span></header>", add, del);
		if (d->is_binary)
			html_addf(&c->out, "<p class=\"markdown muted\">Binary file changed.</p>");
		else if (d->too_large)
			html_addf(&c->out, "<p class=\"markdown muted\">This diff is collapsed because "
				  "it is too large.</p>");
		else if (d->diff && *d->diff)
			diff_lines(c, d->diff);
		html_addf(&c->out, "</section>");
	}
	if (dl->overflow)
		html_addf(&c->out, "<p class=\"flash notice\">Too many changes to show them all.</p>");
}

void web_commit(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct repo_commit *cm = NULL;
	struct repo_diff_list *dl = NULL;
	struct repo_diff_opts dopts = { WEB_DIFF_FILES_MAX, WEB_DIFF_BYTES_MAX };
	const char *raw = c->rest + strlen("commit");
	struct buf when = BUF_INIT;
	const char *body;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	/* Only ids here: a branch name is not a commit page. */
	if (*raw != '/' || strspn(raw + 1, "0123456789abcdef") != strlen(raw + 1) ||
	    strlen(raw + 1) < 4 || strlen(raw + 1) > 40) {
		web_error(c, 404, NULL);
		goto out;
	}
	ret = repo_commit_get(r, raw + 1, 0, &cm);
	if (ret == 0)
		ret = repo_commit_diff(r, cm->id, &dopts, &dl);
	if (ret < 0) {
		web_fail(c, ret == ERR_INVALID ? ERR_NOTFOUND : ret);
		goto out;
	}
	web_time(&when, cm->author.when_ms);
	web_project_begin(c, cm->title, "commits");
	html_addf(&c->out, "<section class=\"box\"><header><span>Commit <span class=\"mono\">%s"
		  "</span></span><span class=\"muted\">authored by %s &lt;%s&gt; on %s</span>",
		  cm->id, cm->author.name, cm->author.email, when.ptr);
	for (size_t i = 0; i < cm->parents_nr; i++) {
		char short_id[9];

		memcpy(short_id, cm->parent_ids[i], 8);
		short_id[8] = '\0';
		html_addf(&c->out, "<span>parent <a class=\"mono\" href=\"%u/-/commit/%s\">%s</a>"
			  "</span>", c->base.ptr, cm->parent_ids[i], short_id);
	}
	html_addf(&c->out, "<a href=\"%u/-/tree/%s\">Browse files</a></header>"
		  "<div class=\"markdown\"><h1 class=\"commit-title\">%s</h1>", c->base.ptr, cm->id,
		  cm->title);
	body = strchr(cm->message, '\n');
	if (body && body[strspn(body, "\n ")])
		html_addf(&c->out, "<pre class=\"commit-message\">%s</pre>", body + 1);
	html_addf(&c->out, "</div></section>");
	render_diffs(c, dl);
	web_page_end(c, 200);
out:
	buf_release(&when);
	repo_commit_free(cm);
	repo_diff_list_free(dl);
	repo_close(r);
}

static void compare_form(struct web_ctx *c, const char *from, const char *to)
{
	html_addf(&c->out, "<form method=\"get\" action=\"%u/-/compare\" class=\"toolbar\">"
		  "<label for=\"cmp-from\">From</label><input id=\"cmp-from\" name=\"from\" "
		  "value=\"%s\" required><label for=\"cmp-to\">To</label><input id=\"cmp-to\" "
		  "name=\"to\" value=\"%s\" required><button type=\"submit\">Compare</button></form>",
		  c->base.ptr, from ? from : "", to ? to : "");
}

void web_compare(struct web_ctx *c)
{
	struct repo *r = NULL;
	struct repo_compare *cmp = NULL;
	struct repo_diff_opts dopts = { WEB_DIFF_FILES_MAX, WEB_DIFF_BYTES_MAX };
	const char *raw = c->rest + strlen("compare");
	struct buf dec = BUF_INIT_MAX(LIMIT_URL_PATH), url = BUF_INIT;
	char *from = NULL, *to = NULL, *dots;
	int ret;

	if (web_repo_open(c, &r) < 0)
		return;
	if (*raw != '/' || !raw[1]) {
		const char *qf = http_query(c->req, "from"), *qt = http_query(c->req, "to");

		if (qf && qt && *qf && *qt) {
			html_addf(&url, "%u/-/compare/%u...%u", c->base.ptr, qf, qt);
			web_redirect(c, url.ptr);
			goto out;
		}
		web_project_begin(c, "Compare", "commits");
		html_addf(&c->out, "<h2>Compare revisions</h2>");
		compare_form(c, qf, qt);
		web_page_end(c, 200);
		goto out;
	}
	if (parse_percent_decode(&dec, raw + 1, strlen(raw + 1)) < 0 || buf_error(&dec) ||
	    !(dots = strstr(dec.ptr, "..."))) {
		web_error(c, 404, NULL);
		goto out;
	}
	from = xstrndup(dec.ptr, (size_t)(dots - dec.ptr));
	to = xstrdup(dots + 3);
	ret = repo_compare(r, from, to, 0, &dopts, &cmp);
	if (ret < 0) {
		web_fail(c, ret == ERR_INVALID ? ERR_NOTFOUND : ret);
		goto out;
	}
	web_project_begin(c, "Compare", "commits");
	html_addf(&c->out, "<h2>Compare <span class=\"mono\">%s</span> and "
		  "<span class=\"mono\">%s</span></h2>", from, to);
	compare_form(c, from, to);
	if (cmp->same_ref || !cmp->commits || !cmp->commits->nr) {
		html_addf(&c->out, "<p class=\"muted\">These revisions are identical.</p>");
	} else {
		html_addf(&c->out, "<h3>%z commits</h3><ul class=\"list\">", cmp->commits->nr);
		for (size_t i = cmp->commits->nr; i > 0; i--)
			commit_row(c, &cmp->commits->v[i - 1]);
		html_addf(&c->out, "</ul>");
		if (cmp->diffs)
			render_diffs(c, cmp->diffs);
	}
	web_page_end(c, 200);
out:
	buf_release(&dec);
	buf_release(&url);
	free(from);
	free(to);
	repo_compare_free(cmp);
	repo_close(r);
}
