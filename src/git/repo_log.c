/* Commit history: the log with ref, path, date and pagination filters, and
 * the newest commit that changed a path (files API's last_commit_id). Every
 * walk examines at most REPO_LOG_SCAN_MAX commits, so a filter that matches
 * nothing in a huge history costs a bounded amount of work. */
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Whether commit changed path: the entry differs from every parent's (a merge
 * that kept one side's version did not change it, as git log's default
 * history simplification has it). */
static int commit_touches(const git_commit *commit, const char *path, int first_parent)
{
	size_t n = git_commit_parentcount(commit);
	git_oid mine, theirs;
	int touched = 1;

	repo_path_entry_id(commit, path, &mine);
	if (n == 0)
		return !git_oid_is_zero(&mine);
	if (first_parent)
		n = 1;
	for (size_t i = 0; i < n && touched; i++) {
		git_commit *parent = NULL;

		if (git_commit_parent(&parent, commit, (unsigned)i) < 0)
			continue;
		repo_path_entry_id(parent, path, &theirs);
		if (git_oid_equal(&mine, &theirs))
			touched = 0;
		git_commit_free(parent);
	}
	return touched;
}

/* Pushes every branch and tag tip, or the one ref asked for. */
static int push_all(struct repo *r, struct repo_walk *w)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int ret;

	ret = repo_git_err(git_reference_iterator_glob_new(&it, r->git, "refs/*"), "refs");
	while (ret == 0 && git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref);
		git_commit *c = NULL;

		/* Tags of trees or blobs are no history: skipped, like git log --all. */
		if ((!strncmp(name, "refs/heads/", 11) || !strncmp(name, "refs/tags/", 10)) &&
		    repo_peel_ref(r, name, &c) == 0)
			ret = repo_walk_push(w, git_commit_id(c));
		git_commit_free(c);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return ret;
}

static int walk_start(struct repo *r, const struct repo_log_opts *o, struct repo_walk *w)
{
	git_commit *start = NULL;
	int ret;

	if (o->all)
		return push_all(r, w);
	ret = repo_lookup_commit(r, o->ref ? o->ref : "HEAD", &start);
	if (ret < 0)
		return ret;
	ret = repo_walk_push(w, git_commit_id(start));
	git_commit_free(start);
	return ret;
}

static void list_add(struct repo_commit_list *l, size_t *alloc, const git_commit *commit)
{
	if (l->nr == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 16;
		l->v = xrealloc(l->v, *alloc * sizeof(*l->v));
	}
	repo_commit_fill(&l->v[l->nr++], commit);
}

static int log_walk(struct repo *r, const struct repo_log_opts *o, const char *path,
		    struct repo_commit_list *l)
{
	size_t limit = o->limit ? o->limit : LIMIT_PER_PAGE_DEFAULT, alloc = 0;
	size_t scanned = 0, matched = 0;
	struct repo_walk *walk = NULL;
	git_commit *commit = NULL;
	int ret;

	repo_walk_new(&walk, r, o->first_parent);
	ret = walk_start(r, o, walk);
	while (ret == 0 && scanned++ < REPO_LOG_SCAN_MAX) {
		int64_t when;

		ret = repo_walk_next(walk, &commit);
		if (ret == ERR_NOTFOUND) {
			ret = 0;	/* the end of history */
			break;
		}
		if (ret < 0)
			break;
		when = (int64_t)git_commit_time(commit) * 1000;
		if ((o->since_ms && when < o->since_ms) || (o->until_ms && when > o->until_ms) ||
		    (path && !commit_touches(commit, path, o->first_parent))) {
			git_commit_free(commit);
			continue;
		}
		if (matched++ < o->offset) {
			git_commit_free(commit);
			continue;
		}
		if (l->nr == limit) {
			l->more = 1;
			git_commit_free(commit);
			break;
		}
		list_add(l, &alloc, commit);
		if (o->flags & REPO_COMMIT_STATS)
			ret = repo_commit_stats(r, commit, &l->v[l->nr - 1]);
		git_commit_free(commit);
	}
	repo_walk_free(walk);
	return ret;
}

int repo_commit_log(struct repo *r, const struct repo_log_opts *opts,
		    struct repo_commit_list **out)
{
	struct repo_commit_list *l;
	struct buf ignored = BUF_INIT;
	char *path = NULL;
	int ret = 0;

	if (opts->path && *opts->path) {
		size_t len = strlen(opts->path);

		/* "dir/" names the directory, as git log does. */
		if (len > 1 && opts->path[len - 1] == '/')
			len--;
		ret = repo_path_check(opts->path, len, &ignored);
		path = ret == 0 ? xstrndup(opts->path, len) : NULL;
	}
	buf_release(&ignored);
	if (ret < 0)
		return ret;
	l = xcalloc(1, sizeof(*l));
	/* An empty repository has no history; a named ref in it does not exist. */
	if (!opts->ref && !opts->all && repo_is_empty(r))
		ret = 0;
	else
		ret = log_walk(r, opts, path, l);
	free(path);
	if (ret < 0) {
		repo_commit_list_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

int repo_last_commit_for_path(struct repo *r, const char *rev, const char *path,
			      char out[REPO_OID_HEX])
{
	struct repo_log_opts o = { 0 };
	struct repo_commit_list *l = NULL;
	int ret;

	o.ref = rev;
	o.path = path;
	o.limit = 1;
	ret = repo_commit_log(r, &o, &l);
	if (ret < 0)
		return ret;
	if (l->nr == 0)
		ret = ERR_NOTFOUND;
	else
		memcpy(out, l->v[0].id, REPO_OID_HEX);
	repo_commit_list_free(l);
	return ret;
}
