/* A history walk in git log's default order: newest commit date first, and
 * among equal dates the commit queued first, so a child always comes before
 * its parent when their dates tie. It is incremental, so a page of 20 costs
 * about 20 commits, where libgit2's topological sort reads the whole history
 * before returning the first commit and its time sort breaks ties at random. */
#include "repo_internal.h"
#include "core/err.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct walk_item {
	int64_t time;
	uint64_t seq;
	git_commit *commit;
};

struct repo_walk {
	struct repo *r;
	int first_parent;
	struct walk_item *heap;
	size_t nr, alloc;
	uint64_t seq;
	git_oid *seen;		/* open addressing; the zero id marks a free slot */
	size_t seen_nr, seen_alloc;
};

int repo_walk_new(struct repo_walk **out, struct repo *r, int first_parent)
{
	struct repo_walk *w = xcalloc(1, sizeof(*w));

	w->r = r;
	w->first_parent = first_parent;
	w->seen_alloc = 1024;
	w->seen = xcalloc(w->seen_alloc, sizeof(*w->seen));
	*out = w;
	return 0;
}

void repo_walk_free(struct repo_walk *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nr; i++)
		git_commit_free(w->heap[i].commit);
	free(w->heap);
	free(w->seen);
	free(w);
}

static size_t slot_of(const git_oid *id, size_t alloc)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));	/* object ids are uniformly distributed */
	return h & (alloc - 1);
}

/* Marks id seen; 1 when it was already. */
static int seen_add(struct repo_walk *w, const git_oid *id)
{
	size_t i;

	if ((w->seen_nr + 1) * 2 > w->seen_alloc) {
		git_oid *old = w->seen;
		size_t old_alloc = w->seen_alloc;

		w->seen_alloc *= 2;
		w->seen = xcalloc(w->seen_alloc, sizeof(*w->seen));
		for (size_t j = 0; j < old_alloc; j++) {
			if (git_oid_is_zero(&old[j]))
				continue;
			for (i = slot_of(&old[j], w->seen_alloc); !git_oid_is_zero(&w->seen[i]);
			     i = (i + 1) & (w->seen_alloc - 1))
				;
			w->seen[i] = old[j];
		}
		free(old);
	}
	for (i = slot_of(id, w->seen_alloc); !git_oid_is_zero(&w->seen[i]);
	     i = (i + 1) & (w->seen_alloc - 1))
		if (git_oid_equal(&w->seen[i], id))
			return 1;
	git_oid_cpy(&w->seen[i], id);
	w->seen_nr++;
	return 0;
}

/* a comes out before b: newer, or as new and queued earlier. */
static int before(const struct walk_item *a, const struct walk_item *b)
{
	return a->time > b->time || (a->time == b->time && a->seq < b->seq);
}

static void heap_push(struct repo_walk *w, struct walk_item it)
{
	size_t i;

	if (w->nr == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 64;
		w->heap = xrealloc(w->heap, w->alloc * sizeof(*w->heap));
	}
	for (i = w->nr++; i > 0 && before(&it, &w->heap[(i - 1) / 2]); i = (i - 1) / 2)
		w->heap[i] = w->heap[(i - 1) / 2];
	w->heap[i] = it;
}

static struct walk_item heap_pop(struct repo_walk *w)
{
	struct walk_item top = w->heap[0], last = w->heap[--w->nr];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= w->nr)
			break;
		if (c + 1 < w->nr && before(&w->heap[c + 1], &w->heap[c]))
			c++;
		if (!before(&w->heap[c], &last))
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->nr)
		w->heap[i] = last;
	return top;
}

int repo_walk_push(struct repo_walk *w, const git_oid *id)
{
	struct walk_item it;
	int ret;

	if (seen_add(w, id))
		return 0;
	ret = repo_git_err(git_commit_lookup(&it.commit, w->r->git, id), "walk lookup");
	if (ret < 0)
		return ret;
	it.time = (int64_t)git_commit_time(it.commit);
	it.seq = w->seq++;
	heap_push(w, it);
	return 0;
}

int repo_walk_next(struct repo_walk *w, git_commit **out)
{
	struct walk_item it;
	size_t n;
	int ret = 0;

	if (w->nr == 0)
		return ERR_NOTFOUND;
	it = heap_pop(w);
	n = git_commit_parentcount(it.commit);
	if (w->first_parent && n > 1)
		n = 1;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = repo_walk_push(w, git_commit_parent_id(it.commit, (unsigned)i));
	if (ret < 0) {
		git_commit_free(it.commit);
		return ret;
	}
	*out = it.commit;
	return 0;
}
