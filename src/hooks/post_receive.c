/* post-receive: what a push leaves behind. One transaction records an event
 * per ref and enqueues its job, so a crash cannot keep one without the other.
 * A first push names the default branch, points HEAD at it and protects it
 * (GitLab's "fully protected after the initial push"). */
#include "hook.h"
#include "auth/authn.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"
#include "git/repo_store.h"
#include "import/import.h"
#include "jobs/queue.h"
#include "model/project.h"
#include "model/protected_branch.h"
#include "model/push_event.h"
#include "model/user.h"

#include <git2.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_JOB_ATTEMPTS 10
#define PACK_REFS_JOB_ATTEMPTS 3

static int branch_exists(git_repository *repo, const char *branch)
{
	git_reference *ref = NULL;
	int ok = git_branch_lookup(&ref, repo, branch, GIT_BRANCH_LOCAL) == 0;

	git_reference_free(ref);
	return ok;
}

/* The configured default if it was pushed, else main, else master, else any. */
static char *pick_default_branch(git_repository *repo, const char *configured)
{
	static const char *const preferred[] = { "main", "master" };
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	const char *name = NULL;
	char *chosen = NULL;

	if (configured && branch_exists(repo, configured))
		return strdup(configured);
	for (size_t i = 0; i < 2; i++)
		if (branch_exists(repo, preferred[i]))
			return strdup(preferred[i]);
	if (git_branch_iterator_new(&it, repo, GIT_BRANCH_LOCAL) < 0)
		return NULL;
	if (git_branch_next(&ref, &type, it) == 0 && git_branch_name(&name, ref) == 0)
		chosen = strdup(name);
	git_reference_free(ref);
	git_branch_iterator_free(it);
	return chosen;
}

/* Returns the branch HEAD names now, when this push made it the default. */
static char *settle_default_branch(struct db *db, const struct project *p)
{
	git_repository *repo = NULL;
	struct buf path = BUF_INIT, head = BUF_INIT;
	char *branch = NULL;

	repo_store_path(&path, p->id);
	if (git_repository_open_bare(&repo, path.ptr) < 0)
		goto out;
	if (git_repository_head_unborn(repo) != 1) {
		git_reference *h = NULL;

		if (!p->default_branch && git_repository_head(&h, repo) == 0 &&
		    git_reference_is_branch(h))
			branch = strdup(git_reference_shorthand(h));
		git_reference_free(h);
	} else {
		branch = pick_default_branch(repo, p->default_branch);
		buf_addf(&head, "refs/heads/%s", branch ? branch : "");
		if (branch && git_repository_set_head(repo, head.ptr) < 0) {
			free(branch);
			branch = NULL;
		}
	}
	if (branch && (!p->default_branch || strcmp(p->default_branch, branch)))
		project_set_default_branch(db, p->id, branch);
out:
	git_repository_free(repo);
	buf_release(&path);
	buf_release(&head);
	return branch;
}

static int enqueue_push_job(struct db *db, const struct project *p, int64_t user_id,
			    const struct ref_update *u, int64_t event_id)
{
	json_t *obj = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s}", "push_event_id",
				(json_int_t)event_id, "project_id", (json_int_t)p->id, "user_id",
				(json_int_t)user_id, "ref", u->ref, "before", u->old_oid, "after",
				u->new_oid);
	char *payload = json_dumps(obj, JSON_COMPACT);
	char key[64];
	int ret;

	snprintf(key, sizeof(key), "push-%lld", (long long)event_id);
	ret = queue_enqueue(db, "push", payload, key, PUSH_JOB_ATTEMPTS, 0);
	free(payload);
	json_decref(obj);
	return ret;
}

/* Refs a push leaves loose are packed soon after, once there are many. */
static int enqueue_pack_refs(struct db *db, const struct project *p)
{
	char payload[64];

	snprintf(payload, sizeof(payload), "{\"project_id\":%lld}", (long long)p->id);
	return queue_enqueue(db, "pack_refs", payload, NULL, PACK_REFS_JOB_ATTEMPTS, 0);
}

int hook_post_receive(struct db *db, const struct project *p, const struct principal *who,
		      const struct ref_update *u, size_t n)
{
	int64_t user_id = who->user ? who->user->id : 0, event_id = 0, pb_id = 0;
	char *first_default = NULL;
	int ret;

	ret = db_tx_begin(db);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		ret = push_event_record(db, p->id, user_id, &u[i], &event_id);
		if (ret == 0)
			ret = enqueue_push_job(db, p, user_id, &u[i], event_id);
	}
	/* Push mirrors follow every push: one job per mirror, seconds later. */
	if (ret == 0)
		ret = mirror_enqueue_pushes(db, p->id);
	if (ret == 0)
		ret = enqueue_pack_refs(db, p);
	if (ret == 0)
		ret = project_touch_activity(db, p->id);
	if (ret == 0) {
		first_default = settle_default_branch(db, p);
		if (first_default) {
			struct buf err = BUF_INIT_MAX(256);
			int pret = protected_branch_create(db, p->id, first_default, 40, 40, 0,
							   &pb_id, &err);

			if (pret < 0 && pret != ERR_EXISTS)
				ret = pret;
			buf_release(&err);
		}
	}
	ret = db_tx_end(db, ret);
	if (ret < 0)
		log_error("hook", "post-receive failed project_id=%lld error=%s", (long long)p->id,
			  err_name(ret));
	free(first_default);
	return ret;
}
