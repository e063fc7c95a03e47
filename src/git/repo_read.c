/* Opening repositories, resolving client revisions, commits, branches and
 * tags. Trees, blobs and files are in repo_tree.c, logs in repo_log.c,
 * diffs in repo_diff.c, branch and tag listings in repo_refs.c. */
#include "repo_internal.h"
#include "repo_store.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static pthread_once_t fsync_once = PTHREAD_ONCE_INIT;

/* Objects and refs written through libgit2 are flushed before a write
 * reports success, like the git children (SECURITY.md §11.4). */
static void enable_fsync(void)
{
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
}

int repo_git_err(int gerr, const char *what)
{
	const git_error *e;

	if (gerr >= 0)
		return 0;
	e = git_error_last();
	log_debug("repo", "%s failed code=%d error=\"%s\"", what, gerr, e ? e->message : "");
	switch (gerr) {
	case GIT_ENOTFOUND:
	case GIT_EPEEL:
	case GIT_EUNBORNBRANCH:
		return ERR_NOTFOUND;
	case GIT_EEXISTS:
		return ERR_EXISTS;
	case GIT_EAMBIGUOUS:
	case GIT_EINVALIDSPEC:
	case GIT_EINVALID:
		return ERR_INVALID;
	case GIT_EMODIFIED:
	case GIT_ELOCKED:
		return ERR_BUSY;
	default:
		return ERR_INTERNAL;
	}
}

int repo_open_path(struct repo **out, const char *path)
{
	git_repository *git = NULL;
	struct repo *r;
	int ret;

	pthread_once(&fsync_once, enable_fsync);
	ret = git_repository_open_bare(&git, path);
	if (ret < 0)
		return ret == GIT_ENOTFOUND ? ERR_NOTFOUND : repo_git_err(ret, "open");
	r = xcalloc(1, sizeof(*r));
	r->git = git;
	*out = r;
	return 0;
}

/* Open repositories kept between requests, one user at a time: opening
 * one reads its config and pack indexes, and listing refs parses
 * packed-refs, all of which libgit2 then keeps, revalidating against the
 * files (packed-refs by its stamp; loose refs and HEAD are read each time;
 * a pack it does not know yet is found when an object is missing, and
 * objects are named by their content, so a pack a repack deleted still
 * answers rightly). What could go stale is the copy of the repository's
 * config and the memory of deleted packs, so a handle lives REPO_POOL_AGE_MS
 * from its opening at most; and one whose directory is no longer the one
 * it opened (a restore, a directory replaced: device, inode and
 * modification time compared) is never reused. */
#define REPO_POOL_SIZE 16
#define REPO_POOL_AGE_MS 2000

static struct repo *repo_pool[REPO_POOL_SIZE];
static pthread_mutex_t repo_pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void repo_free(struct repo *r)
{
	git_repository_free(r->git);
	free(r);
}

static struct repo *repo_pool_take(int64_t project_id, const struct stat *st, int64_t now)
{
	struct repo *found = NULL, *stale[REPO_POOL_SIZE];
	size_t nr_stale = 0;

	pthread_mutex_lock(&repo_pool_lock);
	for (size_t i = 0; i < REPO_POOL_SIZE; i++) {
		struct repo *r = repo_pool[i];

		if (!r)
			continue;
		if (now - r->opened_ms >= REPO_POOL_AGE_MS) {
			stale[nr_stale++] = r;
			repo_pool[i] = NULL;
		} else if (!found && r->project_id == project_id) {
			repo_pool[i] = NULL;
			if (r->dev == st->st_dev && r->ino == st->st_ino &&
			    r->mtime.tv_sec == st->st_mtim.tv_sec &&
			    r->mtime.tv_nsec == st->st_mtim.tv_nsec)
				found = r;
			else
				stale[nr_stale++] = r;
		}
	}
	pthread_mutex_unlock(&repo_pool_lock);
	for (size_t i = 0; i < nr_stale; i++)
		repo_free(stale[i]);
	return found;
}

int repo_open(struct repo **out, int64_t project_id)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int ret = 0;

	repo_store_path(&path, project_id);
	if (stat(path.ptr, &st) != 0) {
		ret = ERR_NOTFOUND;
		goto out;
	}
	*out = repo_pool_take(project_id, &st, time_mono_ms());
	if (*out)
		goto out;
	ret = repo_open_path(out, path.ptr);
	if (ret == 0) {
		(*out)->project_id = project_id;
		(*out)->dev = st.st_dev;
		(*out)->ino = st.st_ino;
		(*out)->mtime = st.st_mtim;
		(*out)->opened_ms = time_mono_ms();
	}
out:
	buf_release(&path);
	return ret;
}

void repo_pool_sweep(void)
{
	struct repo *stale[REPO_POOL_SIZE];
	int64_t now = time_mono_ms();
	size_t nr = 0;

	pthread_mutex_lock(&repo_pool_lock);
	for (size_t i = 0; i < REPO_POOL_SIZE; i++) {
		if (repo_pool[i] && now - repo_pool[i]->opened_ms >= REPO_POOL_AGE_MS) {
			stale[nr++] = repo_pool[i];
			repo_pool[i] = NULL;
		}
	}
	pthread_mutex_unlock(&repo_pool_lock);
	for (size_t i = 0; i < nr; i++)
		repo_free(stale[i]);
}

void repo_pool_drain(void)
{
	pthread_mutex_lock(&repo_pool_lock);
	for (size_t i = 0; i < REPO_POOL_SIZE; i++) {
		if (repo_pool[i])
			repo_free(repo_pool[i]);
		repo_pool[i] = NULL;
	}
	pthread_mutex_unlock(&repo_pool_lock);
}

void repo_close(struct repo *r)
{
	struct repo *evict = NULL;
	size_t slot = 0;

	if (!r)
		return;
	if (r->project_id <= 0) {
		repo_free(r);
		return;
	}
	r->hooks = NULL;
	r->hooks_ctx = NULL;
	if (time_mono_ms() - r->opened_ms >= REPO_POOL_AGE_MS) {
		repo_free(r);
		return;
	}
	pthread_mutex_lock(&repo_pool_lock);
	/* An empty slot, else the oldest handle's. */
	for (size_t i = 0; i < REPO_POOL_SIZE; i++) {
		if (!repo_pool[i]) {
			slot = i;
			break;
		}
		if (repo_pool[i]->opened_ms < repo_pool[slot]->opened_ms)
			slot = i;
	}
	evict = repo_pool[slot];
	repo_pool[slot] = r;
	pthread_mutex_unlock(&repo_pool_lock);
	if (evict)
		repo_free(evict);
}

int repo_is_empty(struct repo *r)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int empty = 1;

	/* Any branch or tag makes it non-empty, whatever HEAD says. */
	if (git_reference_iterator_glob_new(&it, r->git, "refs/*") < 0)
		return 1;
	while (empty && git_reference_next(&ref, it) == 0) {
		const char *name = git_reference_name(ref);

		if (!strncmp(name, "refs/heads/", 11) || !strncmp(name, "refs/tags/", 10))
			empty = 0;
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return empty;
}

int repo_default_branch(struct repo *r, char **out)
{
	git_reference *head = NULL;
	const char *target;
	int ret;

	ret = git_reference_lookup(&head, r->git, "HEAD");
	if (ret < 0)
		return repo_git_err(ret, "lookup HEAD");
	target = git_reference_symbolic_target(head);
	if (!target || strncmp(target, "refs/heads/", 11) != 0) {
		ret = ERR_NOTFOUND;
		goto out;
	}
	*out = xstrdup(target + 11);
out:
	git_reference_free(head);
	return ret;
}

int repo_refname_check(const char *refname)
{
	int valid = 0;

	if (!refname || refname[0] == '-' || strlen(refname) > LIMIT_REF_NAME)
		return ERR_INVALID;
	if (git_reference_name_is_valid(&valid, refname) < 0 || !valid)
		return ERR_INVALID;
	return 0;
}

/* Reads accept any existing name git accepts; the stricter rules of
 * repo_branch_name_check() are for names we create. */
int repo_short_ref_check(const char *prefix, const char *name)
{
	struct buf full = BUF_INIT;
	int ret;

	if (!name || !*name || name[0] == '-')
		return ERR_INVALID;
	buf_addf(&full, "%s%s", prefix, name);
	ret = repo_refname_check(full.ptr);
	buf_release(&full);
	return ret;
}

static int is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

int repo_peel_ref(struct repo *r, const char *refname, git_commit **out)
{
	git_reference *ref = NULL;
	git_object *obj = NULL;
	int ret;

	ret = git_reference_lookup(&ref, r->git, refname);
	if (ret == 0)
		ret = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
	git_reference_free(ref);
	if (ret < 0)
		return repo_git_err(ret, "peel ref");
	*out = (git_commit *)obj;
	return 0;
}

static int lookup_oid_prefix(struct repo *r, const char *rev, size_t len, git_commit **out)
{
	git_object *obj = NULL, *peeled = NULL;
	git_oid oid;
	int ret;

	ret = git_oid_fromstrn(&oid, rev, len);
	if (ret == 0)
		ret = git_object_lookup_prefix(&obj, r->git, &oid, len, GIT_OBJECT_ANY);
	if (ret == 0)
		ret = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (ret < 0)
		return repo_git_err(ret, "lookup oid");
	*out = (git_commit *)peeled;
	return 0;
}

int repo_lookup_commit(struct repo *r, const char *rev, git_commit **out)
{
	struct buf name = BUF_INIT;
	size_t len;
	int ret;

	if (!rev || !*rev || rev[0] == '-')
		return ERR_INVALID;
	len = strlen(rev);
	if (len > LIMIT_REF_NAME)
		return ERR_INVALID;
	/* A full id is always an object, never a ref that happens to look like one. */
	if (len == 40 && is_hex(rev, len))
		return lookup_oid_prefix(r, rev, len, out);
	if (!strcmp(rev, "HEAD"))
		return repo_peel_ref(r, "HEAD", out);
	if (!strncmp(rev, "refs/", 5)) {
		if (repo_refname_check(rev) < 0)
			return ERR_INVALID;
		return repo_peel_ref(r, rev, out);
	}
	buf_addf(&name, "refs/heads/%s", rev);
	ret = repo_refname_check(name.ptr);
	if (ret == 0) {
		ret = repo_peel_ref(r, name.ptr, out);
		if (ret == ERR_NOTFOUND) {
			buf_reset(&name);
			buf_addf(&name, "refs/tags/%s", rev);
			ret = repo_peel_ref(r, name.ptr, out);
		}
	}
	/* An abbreviated id, when no branch or tag has that name. */
	if ((ret == ERR_NOTFOUND || ret == ERR_INVALID) && len >= 4 && len < 40 &&
	    is_hex(rev, len))
		ret = lookup_oid_prefix(r, rev, len, out);
	buf_release(&name);
	return ret;
}

int repo_resolve_commit(struct repo *r, const char *rev, char out[REPO_OID_HEX])
{
	git_commit *c = NULL;
	int ret;

	ret = repo_lookup_commit(r, rev, &c);
	if (ret < 0)
		return ret;
	git_oid_tostr(out, REPO_OID_HEX, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

void repo_time_format(char *out, size_t size, int64_t ms, int offset_min)
{
	time_t secs = (time_t)(ms / 1000 + (int64_t)offset_min * 60);
	int off = offset_min < 0 ? -offset_min : offset_min;
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000),
		 offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* ---- commits ---- */

static void person_fill(struct repo_person *p, const git_signature *sig)
{
	p->name = xstrdup(sig->name ? sig->name : "");
	p->email = xstrdup(sig->email ? sig->email : "");
	p->when_ms = (int64_t)sig->when.time * 1000;
	p->offset_min = sig->when.offset;
}

void repo_commit_fill(struct repo_commit *c, const git_commit *commit)
{
	const char *raw = git_commit_message_raw(commit);
	const char *msg = git_commit_message(commit);
	size_t n = git_commit_parentcount(commit);

	memset(c, 0, sizeof(*c));
	git_oid_tostr(c->id, sizeof(c->id), git_commit_id(commit));
	memcpy(c->short_id, c->id, 8);
	c->short_id[8] = '\0';
	c->message = xstrdup(raw ? raw : "");
	msg = msg ? msg : "";
	c->title = xstrndup(msg, strcspn(msg, "\n"));
	person_fill(&c->author, git_commit_author(commit));
	person_fill(&c->committer, git_commit_committer(commit));
	c->parents_nr = n;
	c->parent_ids = n ? xcalloc(n, sizeof(*c->parent_ids)) : NULL;
	for (size_t i = 0; i < n; i++)
		git_oid_tostr(c->parent_ids[i], REPO_OID_HEX, git_commit_parent_id(commit, i));
}

void repo_commit_release(struct repo_commit *c)
{
	free(c->title);
	free(c->message);
	free(c->author.name);
	free(c->author.email);
	free(c->committer.name);
	free(c->committer.email);
	free(c->parent_ids);
	memset(c, 0, sizeof(*c));
}

void repo_commit_free(struct repo_commit *c)
{
	if (!c)
		return;
	repo_commit_release(c);
	free(c);
}

void repo_commit_list_free(struct repo_commit_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++)
		repo_commit_release(&l->v[i]);
	free(l->v);
	free(l);
}

int repo_commit_get(struct repo *r, const char *rev, unsigned flags, struct repo_commit **out)
{
	struct repo_commit *c;
	git_commit *commit = NULL;
	int ret;

	ret = repo_lookup_commit(r, rev, &commit);
	if (ret < 0)
		return ret;
	c = xcalloc(1, sizeof(*c));
	repo_commit_fill(c, commit);
	if (flags & REPO_COMMIT_STATS)
		ret = repo_commit_stats(r, commit, c);
	git_commit_free(commit);
	if (ret < 0) {
		repo_commit_free(c);
		return ret;
	}
	*out = c;
	return 0;
}
