/* Diffs as GitLab shows them: per-file entries with unified hunks and no
 * ---/+++ header, binary files named rather than dumped, and a byte budget
 * per response so a huge commit cannot exhaust memory. Also commit stats,
 * compare and merge-base. */
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define MERGE_BASE_REVS_MAX 64	/* GitLab takes "2 or more"; bound the work */

static void diff_options(git_diff_options *o, size_t max_bytes)
{
	git_diff_options_init(o, GIT_DIFF_OPTIONS_VERSION);
	/* Blobs larger than the whole budget can never be shown: treat them as
	 * binary so libgit2 does not diff them at all. */
	o->max_size = (git_off_t)max_bytes;
}

static int trees_of(struct repo *r, const git_commit *a, const git_commit *b, git_tree **ta,
		    git_tree **tb)
{
	int ret = 0;

	*ta = NULL;
	*tb = NULL;
	if (a)
		ret = git_commit_tree(ta, a);
	if (ret == 0)
		ret = git_commit_tree(tb, b);
	return repo_git_err(ret, "commit tree");
}

/* A diff of commit's tree against its first parent's, or the empty tree. */
static int diff_first_parent(struct repo *r, const git_commit *commit, size_t max_bytes,
			     git_diff **out)
{
	git_commit *parent = NULL;
	git_tree *ta = NULL, *tb = NULL;
	git_diff_options o;
	int ret = 0;

	if (git_commit_parentcount(commit) > 0)
		ret = repo_git_err(git_commit_parent(&parent, commit, 0), "parent");
	if (ret == 0)
		ret = trees_of(r, parent, commit, &ta, &tb);
	if (ret == 0) {
		diff_options(&o, max_bytes);
		ret = repo_git_err(git_diff_tree_to_tree(out, r->git, ta, tb, &o), "diff");
	}
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(parent);
	return ret;
}

int repo_commit_stats(struct repo *r, const git_commit *commit, struct repo_commit *c)
{
	git_diff *diff = NULL;
	git_diff_stats *stats = NULL;
	int ret;

	ret = diff_first_parent(r, commit, REPO_DIFF_BYTES_MAX, &diff);
	if (ret == 0)
		ret = repo_git_err(git_diff_get_stats(&stats, diff), "diff stats");
	if (ret == 0) {
		c->has_stats = 1;
		c->additions = (int64_t)git_diff_stats_insertions(stats);
		c->deletions = (int64_t)git_diff_stats_deletions(stats);
		c->total = c->additions + c->deletions;
	}
	git_diff_stats_free(stats);
	git_diff_free(diff);
	return ret;
}

static int print_line(const git_diff_delta *d, const git_diff_hunk *h,
		      const git_diff_line *line, void *payload)
{
	struct buf *b = payload;

	(void)d;
	(void)h;
	switch (line->origin) {
	case GIT_DIFF_LINE_FILE_HDR:
		return 0;	/* GitLab's diff starts at the first hunk */
	case GIT_DIFF_LINE_CONTEXT:
	case GIT_DIFF_LINE_ADDITION:
	case GIT_DIFF_LINE_DELETION:
		buf_addch(b, line->origin);
		break;
	default:
		break;	/* hunk headers, "\ No newline", "Binary files differ" */
	}
	buf_add(b, line->content, line->content_len);
	return buf_error(b) ? -1 : 0;
}

static void entry_fill(struct repo_diff *e, const git_diff_delta *d)
{
	e->old_path = xstrdup(d->old_file.path ? d->old_file.path : d->new_file.path);
	e->new_path = xstrdup(d->new_file.path ? d->new_file.path : d->old_file.path);
	e->a_mode = d->old_file.mode;
	e->b_mode = d->new_file.mode;
	e->new_file = d->status == GIT_DELTA_ADDED;
	e->deleted_file = d->status == GIT_DELTA_DELETED;
	e->renamed_file = d->status == GIT_DELTA_RENAMED;
}

/* Fills e's text from delta i within *budget bytes; too_large when it ran out. */
static int entry_text(git_diff *diff, size_t i, struct repo_diff *e, size_t *budget)
{
	git_patch *patch = NULL;
	struct buf text = BUF_INIT_MAX(*budget);
	int ret;

	ret = repo_git_err(git_patch_from_diff(&patch, diff, i), "patch");
	if (ret < 0)
		return ret;
	e->is_binary = (git_patch_get_delta(patch)->flags & GIT_DIFF_FLAG_BINARY) != 0;
	git_patch_print(patch, print_line, &text);
	git_patch_free(patch);
	if (buf_error(&text)) {
		e->too_large = 1;
		e->diff = xstrdup("");
		*budget = 0;
	} else {
		*budget -= text.len;
		e->diff = buf_detach(&text, NULL);
	}
	buf_release(&text);
	return 0;
}

static int diff_collect(git_diff *diff, const struct repo_diff_opts *opts,
			struct repo_diff_list **out)
{
	size_t max_files = opts && opts->max_files ? opts->max_files : REPO_DIFF_FILES_MAX;
	size_t budget = opts && opts->max_bytes ? opts->max_bytes : REPO_DIFF_BYTES_MAX;
	git_diff_find_options fo;
	git_diff_stats *stats = NULL;
	struct repo_diff_list *l;
	size_t n;
	int ret;

	git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
	fo.flags = GIT_DIFF_FIND_RENAMES;
	ret = repo_git_err(git_diff_find_similar(diff, &fo), "find renames");
	if (ret < 0)
		return ret;
	n = git_diff_num_deltas(diff);
	l = xcalloc(1, sizeof(*l));
	if (n > max_files) {
		l->overflow = 1;
		n = max_files;
	}
	l->v = xcalloc(n ? n : 1, sizeof(*l->v));
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct repo_diff *e = &l->v[l->nr++];

		entry_fill(e, git_diff_get_delta(diff, i));
		ret = entry_text(diff, i, e, &budget);
		l->overflow |= e->too_large;
	}
	if (ret == 0 && git_diff_get_stats(&stats, diff) == 0) {
		l->additions = (int64_t)git_diff_stats_insertions(stats);
		l->deletions = (int64_t)git_diff_stats_deletions(stats);
	}
	git_diff_stats_free(stats);
	if (ret < 0) {
		repo_diff_list_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

int repo_commit_diff(struct repo *r, const char *rev, const struct repo_diff_opts *opts,
		     struct repo_diff_list **out)
{
	size_t max_bytes = opts && opts->max_bytes ? opts->max_bytes : REPO_DIFF_BYTES_MAX;
	git_commit *commit = NULL;
	git_diff *diff = NULL;
	int ret;

	ret = repo_lookup_commit(r, rev, &commit);
	if (ret == 0)
		ret = diff_first_parent(r, commit, max_bytes, &diff);
	if (ret == 0)
		ret = diff_collect(diff, opts, out);
	git_diff_free(diff);
	git_commit_free(commit);
	return ret;
}

void repo_diff_list_free(struct repo_diff_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++) {
		free(l->v[i].old_path);
		free(l->v[i].new_path);
		free(l->v[i].diff);
	}
	free(l->v);
	free(l);
}

/* Commits reachable from to and not from from, oldest first, capped. */
static int compare_commits(struct repo *r, const git_oid *from, const git_oid *to,
			   struct repo_commit_list *l)
{
	git_revwalk *walk = NULL;
	size_t alloc = 0;
	git_oid oid;
	int ret;

	ret = git_revwalk_new(&walk, r->git);
	if (ret == 0) {
		git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE);
		ret = git_revwalk_push(walk, to);
	}
	if (ret == 0)
		ret = git_revwalk_hide(walk, from);
	while (ret == 0 && git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;

		if (l->nr == REPO_COMPARE_COMMITS_MAX) {
			l->more = 1;
			break;
		}
		ret = git_commit_lookup(&c, r->git, &oid);
		if (ret < 0)
			break;
		if (l->nr == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			l->v = xrealloc(l->v, alloc * sizeof(*l->v));
		}
		repo_commit_fill(&l->v[l->nr++], c);
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	return repo_git_err(ret, "compare walk");
}

int repo_compare(struct repo *r, const char *from, const char *to, int straight,
		 const struct repo_diff_opts *opts, struct repo_compare **out)
{
	size_t max_bytes = opts && opts->max_bytes ? opts->max_bytes : REPO_DIFF_BYTES_MAX;
	git_commit *cf = NULL, *ct = NULL, *cb = NULL;
	git_tree *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	struct repo_compare *c;
	git_diff_options o;
	git_oid base;
	int ret;

	c = xcalloc(1, sizeof(*c));
	c->commits = xcalloc(1, sizeof(*c->commits));
	ret = repo_lookup_commit(r, from, &cf);
	if (ret == 0)
		ret = repo_lookup_commit(r, to, &ct);
	if (ret < 0)
		goto out;
	c->same_ref = git_oid_equal(git_commit_id(cf), git_commit_id(ct));
	git_oid_cpy(&base, git_commit_id(cf));
	if (!straight)
		ret = repo_git_err(git_merge_base(&base, r->git, git_commit_id(cf),
						  git_commit_id(ct)), "merge base");
	if (ret == 0)
		ret = compare_commits(r, git_commit_id(cf), git_commit_id(ct), c->commits);
	if (ret == 0)
		ret = repo_git_err(git_commit_lookup(&cb, r->git, &base), "base commit");
	if (ret == 0)
		ret = trees_of(r, cb, ct, &ta, &tb);
	if (ret == 0) {
		diff_options(&o, max_bytes);
		ret = repo_git_err(git_diff_tree_to_tree(&diff, r->git, ta, tb, &o), "diff");
	}
	if (ret == 0)
		ret = diff_collect(diff, opts, &c->diffs);
	/* "to" is the newest commit of from..to whenever that range is not empty. */
	if (ret == 0 && c->commits->nr) {
		c->commit = xcalloc(1, sizeof(*c->commit));
		repo_commit_fill(c->commit, ct);
	}
out:
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(cb);
	git_commit_free(cf);
	git_commit_free(ct);
	if (ret < 0)
		repo_compare_free(c);
	else
		*out = c;
	return ret;
}

void repo_compare_free(struct repo_compare *c)
{
	if (!c)
		return;
	repo_commit_free(c->commit);
	repo_commit_list_free(c->commits);
	repo_diff_list_free(c->diffs);
	free(c);
}

int repo_merge_base(struct repo *r, const char *const *revs, size_t n, char out[REPO_OID_HEX])
{
	git_oid ids[MERGE_BASE_REVS_MAX], base;
	int ret = 0;

	if (n < 2 || n > MERGE_BASE_REVS_MAX)
		return ERR_INVALID;
	for (size_t i = 0; i < n && ret == 0; i++) {
		git_commit *c = NULL;

		ret = repo_lookup_commit(r, revs[i], &c);
		if (ret == 0)
			git_oid_cpy(&ids[i], git_commit_id(c));
		git_commit_free(c);
	}
	if (ret == 0)
		ret = repo_git_err(git_merge_base_many(&base, r->git, n, ids), "merge base");
	if (ret == 0)
		git_oid_tostr(out, REPO_OID_HEX, &base);
	return ret;
}
