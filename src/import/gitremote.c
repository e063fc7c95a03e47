#include "gitremote.h"
#include "remote.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"
#include "core/xalloc.h"
#include "git/gitproc.h"
#include "git/repo_store.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#define GITREMOTE_ERROR_SHOWN 300	/* bytes of git's complaint kept for users */

static const char *const all_refspecs[] = {
	"+refs/heads/*:refs/heads/*",
	"+refs/tags/*:refs/tags/*",
	"+refs/notes/*:refs/notes/*",
};

/* One sentence from git's stderr: its last fatal or error line, scrubbed of
 * any URL userinfo, and what kind of failure it was. */
static int git_failure(struct gitproc *p, const char *what, struct buf *err)
{
	struct buf text = BUF_INIT;
	const char *s = p->err.ptr, *line = NULL, *e;
	int ret = ERR_INTERNAL;

	for (const char *q = s; q && *q; q = strchr(q, '\n') ? strchr(q, '\n') + 1 : NULL)
		if (!strncmp(q, "fatal: ", 7) || !strncmp(q, "error: ", 7))
			line = q;
	if (line) {
		e = line + strcspn(line, "\n");
		buf_add(&text, line, (size_t)(e - line));
	}
	remote_scrub(&text);
	if (strstr(s, "Authentication failed") || strstr(s, "could not read Username") ||
	    strstr(s, "could not read Password") || strstr(s, "returned error: 403"))
		ret = ERR_AUTH;
	else if (strstr(s, "Could not resolve host") || strstr(s, "Failed to connect") ||
		 strstr(s, "Connection refused") || strstr(s, "timed out") ||
		 strstr(s, "returned error: 5") || strstr(s, "Empty reply"))
		ret = ERR_UNAVAILABLE;
	else if (strstr(s, "not found"))
		ret = ERR_NOTFOUND;
	if (ret == ERR_AUTH)
		buf_addf(err, "%s failed: the remote refused the credentials", what);
	else
		buf_addf(err, "%s failed: %.*s", what, GITREMOTE_ERROR_SHOWN,
			 text.len ? text.ptr : "git exited with an error");
	buf_release(&text);
	return ret;
}

static void git_base(struct gitproc *p, int64_t project_id, const struct remote *r)
{
	struct buf dir = BUF_INIT;

	repo_store_path(&dir, project_id);
	gitproc_env(p, "GIT_DIR", dir.ptr);
	remote_git_setup(p, r);
	gitproc_arg(p, "-c");
	gitproc_arg(p, "fetch.fsckObjects=true");
	gitproc_arg(p, "-c");
	gitproc_arg(p, "transfer.fsckObjects=true");
	buf_release(&dir);
}

/* The branch the remote's HEAD names, from ls-remote --symref; NULL if none. */
static int remote_head(int64_t project_id, const struct remote *r, char **out, struct buf *err)
{
	struct gitproc p = GITPROC_INIT;
	struct buf lines = BUF_INIT_MAX(64 * 1024);
	const char *s;
	int ret;

	git_base(&p, project_id, r);
	gitproc_arg(&p, "ls-remote");
	gitproc_arg(&p, "--symref");
	gitproc_arg(&p, "--end-of-options");
	gitproc_arg_value(&p, r->url);
	gitproc_arg(&p, "HEAD");
	ret = gitproc_run(&p, &lines, GITREMOTE_TIMEOUT_MS);
	if (ret < 0 && p.exited) {
		ret = git_failure(&p, "Listing the remote", err);
		goto out;
	}
	if (ret < 0) {
		buf_addstr(err, "Listing the remote failed: git could not be run.");
		goto out;
	}
	*out = NULL;
	s = lines.ptr;
	if (!strncmp(s, "ref: refs/heads/", 16)) {
		size_t n = strcspn(s + 16, "\t\n");
		int valid = 0;
		struct buf ref = BUF_INIT;

		buf_addstr(&ref, "refs/heads/");
		buf_add(&ref, s + 16, n);
		if (git_reference_name_is_valid(&valid, ref.ptr) == 0 && valid)
			*out = xstrdup(ref.ptr + 11);
		buf_release(&ref);
	}
out:
	gitproc_release(&p);
	buf_release(&lines);
	return ret;
}

static int set_head(int64_t project_id, const char *branch)
{
	git_repository *repo = NULL;
	struct buf dir = BUF_INIT, ref = BUF_INIT;
	int ret;

	repo_store_path(&dir, project_id);
	buf_addf(&ref, "refs/heads/%s", branch);
	ret = git_repository_open_bare(&repo, dir.ptr);
	if (ret == 0)
		ret = git_repository_set_head(repo, ref.ptr);
	git_repository_free(repo);
	buf_release(&dir);
	buf_release(&ref);
	return ret < 0 ? ERR_INTERNAL : 0;
}

int gitremote_fetch(int64_t project_id, const struct remote *r, char **head_out,
		    struct buf *err)
{
	struct gitproc p = GITPROC_INIT;
	struct buf ignored = BUF_INIT_MAX(4096);
	char *head = NULL;
	int ret;

	ret = remote_head(project_id, r, &head, err);
	if (ret < 0)
		return ret;
	git_base(&p, project_id, r);
	gitproc_arg(&p, "fetch");
	gitproc_arg(&p, "--quiet");
	gitproc_arg(&p, "--prune");
	gitproc_arg(&p, "--no-tags");
	gitproc_arg(&p, "--update-head-ok");
	gitproc_arg(&p, "--no-write-fetch-head");
	gitproc_arg(&p, "--no-auto-gc");
	gitproc_arg(&p, "--no-recurse-submodules");
	gitproc_arg(&p, "--end-of-options");
	gitproc_arg_value(&p, r->url);
	for (size_t i = 0; i < sizeof(all_refspecs) / sizeof(*all_refspecs); i++)
		gitproc_arg(&p, all_refspecs[i]);
	ret = gitproc_run(&p, &ignored, GITREMOTE_TIMEOUT_MS);
	if (ret < 0 && p.exited)
		ret = git_failure(&p, "Fetching", err);
	else if (ret < 0)
		buf_addstr(err, "Fetching failed: git could not be run or took too long.");
	if (ret == 0 && head && set_head(project_id, head) < 0) {
		/* The remote's HEAD names a branch it did not send: keep ours. */
		free(head);
		head = NULL;
	}
	gitproc_release(&p);
	buf_release(&ignored);
	if (ret == 0)
		*head_out = head;
	else
		free(head);
	return ret;
}

/* "!\trefs/heads/x:refs/heads/x\t[rejected] (non-fast-forward)" lines of
 * git push --porcelain: 1 when every refusal was a divergence (listed in
 * divergent), 0 when something else was refused. */
static int push_refusals_divergent(const char *out, struct buf *divergent)
{
	int only_divergent = 1;

	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *tab, *colon;
		size_t n = strcspn(l, "\n");

		if (l[0] != '!' || l[1] != '\t')
			continue;
		tab = memchr(l + 2, '\t', n - 2);
		colon = memchr(l + 2, ':', n - 2);
		if (!tab || !colon || colon > tab) {
			only_divergent = 0;
			continue;
		}
		if (memmem(tab, n - (size_t)(tab - l), "[rejected]", 10)) {
			buf_add(divergent, colon + 1, (size_t)(tab - colon - 1));
			buf_addch(divergent, '\n');
		} else {
			only_divergent = 0;
		}
	}
	return only_divergent;
}

int gitremote_push(int64_t project_id, const struct remote *r, const struct strvec *refspecs,
		   int prune, struct buf *divergent, struct buf *err)
{
	struct gitproc p = GITPROC_INIT;
	struct buf out = BUF_INIT_MAX(1024 * 1024);
	int ret;

	git_base(&p, project_id, r);
	gitproc_arg(&p, "push");
	gitproc_arg(&p, "--porcelain");
	gitproc_arg(&p, "--no-verify");
	if (prune)
		gitproc_arg(&p, "--prune");
	gitproc_arg(&p, "--end-of-options");
	gitproc_arg_value(&p, r->url);
	for (size_t i = 0; i < refspecs->nr; i++)
		gitproc_arg_value(&p, refspecs->v[i]);
	ret = gitproc_run(&p, &out, GITREMOTE_TIMEOUT_MS);
	if (ret < 0 && p.exited && strstr(out.ptr, "\nDone") &&
	    push_refusals_divergent(out.ptr, divergent))
		ret = 0;	/* only divergent refs were left alone, as asked */
	else if (ret < 0 && p.exited)
		ret = git_failure(&p, "Pushing", err);
	else if (ret < 0)
		buf_addstr(err, "Pushing failed: git could not be run or took too long.");
	gitproc_release(&p);
	buf_release(&out);
	return ret;
}
