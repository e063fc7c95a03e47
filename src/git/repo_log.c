/* Commit history: the log with ref, path, date and pagination filters, and
 * the newest commit that changed a path (files API's last_commit_id). Every
 * walk examines at most REPO_LOG_SCAN_MAX commits, so a filter that matches
 * nothing in a huge history costs a bounded amount of work. */
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <sodium.h>
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

/* Which commit last touched a path, as seen from a given commit, never
 * changes: remembered per process in a small direct-mapped table, keyed by
 * the commit's id and the path. A file answer costs one history walk per
 * (commit, path), not one per request: on a 20k-commit repository one walk
 * is ~10 ms of reading trees, and concurrent walks fight over libgit2's
 * pack lock. */
#define LAST_COMMIT_SLOTS 1024

struct last_commit_slot {
	unsigned char key[32];	/* sha256(commit id, path) */
	char id[REPO_OID_HEX];
	int used;
};

static struct last_commit_slot *last_commit_cache;
static pthread_mutex_t last_commit_lock = PTHREAD_MUTEX_INITIALIZER;

static struct last_commit_slot *last_commit_slot(const unsigned char key[32])
{
	if (!last_commit_cache)
		last_commit_cache = xcalloc(LAST_COMMIT_SLOTS, sizeof(*last_commit_cache));
	return &last_commit_cache[(key[0] | key[1] << 8) % LAST_COMMIT_SLOTS];
}

static int last_commit_get(const unsigned char key[32], char out[REPO_OID_HEX])
{
	struct last_commit_slot *slot;
	int found = 0;

	pthread_mutex_lock(&last_commit_lock);
	slot = last_commit_slot(key);
	if (slot->used && !memcmp(slot->key, key, 32)) {
		memcpy(out, slot->id, REPO_OID_HEX);
		found = 1;
	}
	pthread_mutex_unlock(&last_commit_lock);
	return found;
}

static void last_commit_put(const unsigned char key[32], const char id[REPO_OID_HEX])
{
	struct last_commit_slot *slot;

	pthread_mutex_lock(&last_commit_lock);
	slot = last_commit_slot(key);
	memcpy(slot->key, key, 32);
	memcpy(slot->id, id, REPO_OID_HEX);
	slot->used = 1;
	pthread_mutex_unlock(&last_commit_lock);
}

int repo_last_commit_for_path(struct repo *r, const char *rev, const char *path,
			      char out[REPO_OID_HEX])
{
	struct repo_log_opts o = { 0 };
	struct repo_commit_list *l = NULL;
	crypto_hash_sha256_state st;
	unsigned char key[32];
	char start[REPO_OID_HEX];
	git_commit *commit = NULL;
	int ret = repo_lookup_commit(r, rev, &commit);

	if (ret < 0)
		return ret;
	git_oid_tostr(start, sizeof(start), git_commit_id(commit));
	git_commit_free(commit);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)start, strlen(start) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)path, strlen(path));
	crypto_hash_sha256_final(&st, key);
	if (last_commit_get(key, out))
		return 0;
	o.ref = start;
	o.path = path;
	o.limit = 1;
	ret = repo_commit_log(r, &o, &l);
	if (ret < 0)
		return ret;
	if (l->nr == 0) {
		ret = ERR_NOTFOUND;
	} else {
		memcpy(out, l->v[0].id, REPO_OID_HEX);
		last_commit_put(key, out);
	}
	repo_commit_list_free(l);
	return ret;
}
