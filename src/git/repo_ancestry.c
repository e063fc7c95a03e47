#include "repo_ancestry.h"
#include "repo_internal.h"
#include "repo_read.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ancestry {
	char *gitdir;		/* which repository */
	git_oid tip;
	git_oid *oids;		/* sorted, for bsearch */
	size_t nr;
	unsigned long used;	/* for least-recently-used eviction */
	int refs;		/* readers holding it outside the lock */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ancestry *slots[REPO_ANCESTRY_SLOTS];
static unsigned long clock_tick;

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static void ancestry_free(struct ancestry *a)
{
	if (!a)
		return;
	free(a->gitdir);
	free(a->oids);
	free(a);
}

/* Every commit reachable from tip, bounded; sorted. */
static struct ancestry *ancestry_build(git_repository *repo, const git_oid *tip)
{
	struct ancestry *a = xcalloc(1, sizeof(*a));
	git_revwalk *walk = NULL;
	size_t alloc = 0;
	git_oid id;

	a->gitdir = xstrdup(git_repository_path(repo));
	git_oid_cpy(&a->tip, tip);
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, tip) < 0) {
		git_revwalk_free(walk);
		return a;	/* empty: nothing is reported merged */
	}
	while (a->nr < REPO_ANCESTRY_MAX && git_revwalk_next(&id, walk) == 0) {
		if (a->nr == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			a->oids = xrealloc(a->oids, alloc * sizeof(*a->oids));
		}
		git_oid_cpy(&a->oids[a->nr++], &id);
	}
	git_revwalk_free(walk);
	qsort(a->oids, a->nr, sizeof(*a->oids), oid_cmp);
	return a;
}

static struct ancestry *ancestry_get(git_repository *repo, const git_oid *tip)
{
	const char *gitdir = git_repository_path(repo);
	struct ancestry *a = NULL, *built;
	size_t victim = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < REPO_ANCESTRY_SLOTS; i++) {
		if (slots[i] && !git_oid_cmp(&slots[i]->tip, tip) &&
		    !strcmp(slots[i]->gitdir, gitdir)) {
			a = slots[i];
			a->used = ++clock_tick;
			a->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	if (a)
		return a;
	/* Built outside the lock: a cold walk must not stall other pages. */
	built = ancestry_build(repo, tip);
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < REPO_ANCESTRY_SLOTS; i++) {
		if (!slots[i]) {
			victim = i;
			break;
		}
		if (slots[i]->used < slots[victim]->used)
			victim = i;
	}
	if (!slots[victim] || slots[victim]->refs == 0) {
		ancestry_free(slots[victim]);
		slots[victim] = built;
		built->used = ++clock_tick;
		built->refs = 1;
	} else {
		built->refs = -1;	/* not cached: freed by its only reader */
	}
	pthread_mutex_unlock(&lock);
	return built;
}

static void ancestry_put(struct ancestry *a)
{
	if (a->refs == -1) {
		ancestry_free(a);
		return;
	}
	pthread_mutex_lock(&lock);
	a->refs--;
	pthread_mutex_unlock(&lock);
}

void repo_ancestry_mark(struct repo *r, const git_oid *tip, const char *const *ids, size_t n,
			int *merged)
{
	struct ancestry *a = ancestry_get(r->git, tip);

	for (size_t i = 0; i < n; i++) {
		git_oid id;

		merged[i] = git_oid_fromstr(&id, ids[i]) == 0 &&
			    bsearch(&id, a->oids, a->nr, sizeof(*a->oids), oid_cmp) != NULL;
	}
	ancestry_put(a);
}
