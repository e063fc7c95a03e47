/* Branches and tags as GitLab lists them: sorted, searchable, paginated
 * by name before any commit is loaded, so a page costs the same whatever the
 * number of refs. */
#include "repo_ancestry.h"
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/strvec.h"
#include "core/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- branches ---- */

/* GitLab's search: case-insensitive substring, '^' and '$' anchors. */
static int name_matches(const char *name, const char *search)
{
	size_t nlen = strlen(name), slen;
	int start = 0, end = 0;
	char *pat;
	int ok;

	if (!search || !*search)
		return 1;
	if (search[0] == '^') {
		start = 1;
		search++;
	}
	slen = strlen(search);
	if (slen && search[slen - 1] == '$') {
		end = 1;
		slen--;
	}
	if (slen > nlen)
		return 0;
	pat = xstrndup(search, slen);
	if (start && end)
		ok = slen == nlen && !strncasecmp(name, pat, slen);
	else if (start)
		ok = !strncasecmp(name, pat, slen);
	else if (end)
		ok = !strncasecmp(name + nlen - slen, pat, slen);
	else
		ok = strcasestr(name, pat) != NULL;
	free(pat);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Short names of refs under prefix matching search, sorted; caller frees. */
static int collect_names(struct repo *r, const char *prefix, const char *search,
			 char ***names_out, size_t *nr_out)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	struct buf glob = BUF_INIT;
	size_t plen = strlen(prefix), nr = 0, alloc = 0;
	char **names = NULL;
	int ret;

	buf_addf(&glob, "%s*", prefix);
	ret = git_reference_iterator_glob_new(&it, r->git, glob.ptr);
	buf_release(&glob);
	if (ret < 0)
		return repo_git_err(ret, "ref iterator");
	while ((ret = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);

		if (!strncmp(name, prefix, plen) && name_matches(name + plen, search)) {
			if (nr == alloc) {
				alloc = alloc ? alloc * 2 : 32;
				names = xrealloc(names, alloc * sizeof(*names));
			}
			names[nr++] = xstrdup(name + plen);
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (ret != GIT_ITEROVER) {
		for (size_t i = 0; i < nr; i++)
			free(names[i]);
		free(names);
		return repo_git_err(ret, "ref iterate");
	}
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	*names_out = names;
	*nr_out = nr;
	return 0;
}

static void free_names(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

int repo_ref_names(struct repo *r, const char *prefix, size_t max, struct strvec *out)
{
	char **names = NULL;
	size_t nr = 0;
	int ret = collect_names(r, prefix, NULL, &names, &nr);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < nr && i < max; i++)
		strvec_push(out, names[i]);
	free_names(names, nr);
	return 0;
}

static int branch_fill(struct repo *r, struct repo_branch *b, const char *name,
		       const char *def)
{
	struct buf full = BUF_INIT;
	git_commit *commit = NULL;
	int ret;

	buf_addf(&full, "refs/heads/%s", name);
	ret = repo_peel_ref(r, full.ptr, &commit);
	buf_release(&full);
	if (ret < 0)
		return ret;
	memset(b, 0, sizeof(*b));
	b->name = xstrdup(name);
	b->is_default = def && !strcmp(def, name);
	repo_commit_fill(&b->commit, commit);
	git_commit_free(commit);
	return 0;
}

/* One walk down the default branch decides `merged` for a whole page, where
 * a merge-base per branch would read the history once per branch. The walk
 * stops when every tip was met, once it is older than the oldest tip (with
 * sane clocks an ancestor is never newer than its descendant, so nothing older
 * can lead to a tip), or after REPO_LOG_SCAN_MAX commits. */
static void mark_merged(struct repo *r, const git_oid *def_tip, struct repo_branch *v,
			size_t n)
{
	const char **ids = xcalloc(n ? n : 1, sizeof(*ids));
	int *merged = xcalloc(n ? n : 1, sizeof(*merged));

	for (size_t i = 0; i < n; i++)
		ids[i] = v[i].commit.id;
	repo_ancestry_mark(r, def_tip, ids, n, merged);
	for (size_t i = 0; i < n; i++)
		v[i].merged = merged[i];
	free(ids);
	free(merged);
}

static void branch_release(struct repo_branch *b)
{
	free(b->name);
	repo_commit_release(&b->commit);
}

/* The default branch name and tip; both absent while HEAD is unborn. */
static void default_tip(struct repo *r, char **name_out, git_oid *tip, int *has_tip)
{
	git_commit *c = NULL;

	*name_out = NULL;
	*has_tip = 0;
	if (repo_default_branch(r, name_out) < 0)
		return;
	if (repo_peel_ref(r, "HEAD", &c) == 0) {
		git_oid_cpy(tip, git_commit_id(c));
		*has_tip = 1;
		git_commit_free(c);
	}
}

int repo_branch_list(struct repo *r, const char *search, size_t offset, size_t limit,
		     struct repo_branch_list **out)
{
	struct repo_branch_list *l;
	char **names = NULL, *def = NULL;
	size_t nr = 0;
	git_oid tip;
	int has_tip, ret;

	ret = collect_names(r, "refs/heads/", search, &names, &nr);
	if (ret < 0)
		return ret;
	default_tip(r, &def, &tip, &has_tip);
	l = xcalloc(1, sizeof(*l));
	l->total = nr;
	if (limit == 0)
		limit = LIMIT_PER_PAGE_DEFAULT;
	if (offset < nr) {
		size_t n = nr - offset < limit ? nr - offset : limit;

		l->v = xcalloc(n, sizeof(*l->v));
		for (size_t i = 0; i < n && ret == 0; i++) {
			ret = branch_fill(r, &l->v[l->nr], names[offset + i], def);
			/* A branch deleted or broken since listing is skipped. */
			if (ret == ERR_NOTFOUND)
				ret = 0;
			else if (ret == 0)
				l->nr++;
		}
	}
	free_names(names, nr);
	free(def);
	if (ret == 0 && has_tip)
		mark_merged(r, &tip, l->v, l->nr);
	if (ret < 0) {
		repo_branch_list_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

int repo_branch_get(struct repo *r, const char *name, struct repo_branch **out)
{
	struct repo_branch *b;
	char *def = NULL;
	git_oid tip;
	int has_tip, ret;

	ret = repo_short_ref_check("refs/heads/", name);
	if (ret < 0)
		return ret;
	default_tip(r, &def, &tip, &has_tip);
	b = xcalloc(1, sizeof(*b));
	ret = branch_fill(r, b, name, def);
	free(def);
	if (ret == 0 && has_tip)
		mark_merged(r, &tip, b, 1);
	if (ret < 0) {
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

void repo_branch_free(struct repo_branch *b)
{
	if (!b)
		return;
	branch_release(b);
	free(b);
}

void repo_branch_list_free(struct repo_branch_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++)
		branch_release(&l->v[i]);
	free(l->v);
	free(l);
}

/* ---- tags ---- */

static int tag_fill(struct repo *r, struct repo_tag *t, const char *name)
{
	struct buf full = BUF_INIT;
	git_reference *ref = NULL, *resolved = NULL;
	git_object *obj = NULL, *peeled = NULL;
	int ret;

	buf_addf(&full, "refs/tags/%s", name);
	ret = git_reference_lookup(&ref, r->git, full.ptr);
	if (ret == 0)
		ret = git_reference_resolve(&resolved, ref);
	if (ret == 0)
		ret = git_object_lookup(&obj, r->git, git_reference_target(resolved),
					GIT_OBJECT_ANY);
	if (ret < 0) {
		ret = repo_git_err(ret, "lookup tag");
		goto out;
	}
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	git_oid_tostr(t->target, sizeof(t->target), git_object_id(obj));
	if (git_object_type(obj) == GIT_OBJECT_TAG) {
		const char *msg = git_tag_message((git_tag *)obj);

		t->message = xstrdup(msg ? msg : "");
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
		t->has_commit = 1;
		repo_commit_fill(&t->commit, (git_commit *)peeled);
	}
out:
	git_object_free(peeled);
	git_object_free(obj);
	git_reference_free(resolved);
	git_reference_free(ref);
	buf_release(&full);
	return ret;
}

static void tag_release(struct repo_tag *t)
{
	free(t->name);
	free(t->message);
	repo_commit_release(&t->commit);
}

static int cmp_tag_updated(const void *a, const void *b)
{
	const struct repo_tag *x = a, *y = b;
	int64_t tx = x->has_commit ? x->commit.committer.when_ms : 0;
	int64_t ty = y->has_commit ? y->commit.committer.when_ms : 0;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

int repo_tag_list(struct repo *r, const char *search, enum repo_tag_order order,
		  size_t offset, size_t limit, struct repo_tag_list **out)
{
	struct repo_tag_list *l;
	struct repo_tag *all = NULL;
	char **names = NULL;
	size_t nr = 0, filled = 0, first = 0, n = 0;
	int ret;

	ret = collect_names(r, "refs/tags/", search, &names, &nr);
	if (ret < 0)
		return ret;
	if (limit == 0)
		limit = LIMIT_PER_PAGE_DEFAULT;
	/* Ordering by date needs every tag's commit; by name only the page's. */
	if (order == REPO_TAG_BY_UPDATED) {
		first = 0;
		n = nr;
	} else if (offset < nr) {
		first = offset;
		n = nr - offset < limit ? nr - offset : limit;
	}
	all = n ? xcalloc(n, sizeof(*all)) : NULL;
	for (size_t i = 0; i < n && ret == 0; i++) {
		ret = tag_fill(r, &all[filled], names[first + i]);
		if (ret == ERR_NOTFOUND)
			ret = 0;
		else if (ret == 0)
			filled++;
	}
	free_names(names, nr);
	l = xcalloc(1, sizeof(*l));
	l->total = nr;
	l->v = all;
	l->nr = filled;
	if (ret < 0) {
		repo_tag_list_free(l);
		return ret;
	}
	if (order == REPO_TAG_BY_UPDATED) {
		size_t keep;

		if (filled)	/* qsort(NULL, 0, …) is undefined */
			qsort(all, filled, sizeof(*all), cmp_tag_updated);
		keep = offset < filled ? (filled - offset < limit ? filled - offset : limit) : 0;
		for (size_t i = 0; i < filled; i++)
			if (i < offset || i >= offset + keep)
				tag_release(&all[i]);
		if (keep)
			memmove(all, all + offset, keep * sizeof(*all));
		l->nr = keep;
	}
	*out = l;
	return 0;
}

int repo_tag_get(struct repo *r, const char *name, struct repo_tag **out)
{
	struct repo_tag *t;
	int ret;

	ret = repo_short_ref_check("refs/tags/", name);
	if (ret < 0)
		return ret;
	t = xcalloc(1, sizeof(*t));
	ret = tag_fill(r, t, name);
	if (ret < 0) {
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

void repo_tag_free(struct repo_tag *t)
{
	if (!t)
		return;
	tag_release(t);
	free(t);
}

void repo_tag_list_free(struct repo_tag_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++)
		tag_release(&l->v[i]);
	free(l->v);
	free(l);
}
