/* Push mirrors: after every push (post-receive queues a job per mirror) and
 * on a schedule, the project's branches, tags and notes go to each remote.
 * Failures after a push are retried by the queue with backoff; the schedule
 * catches up anything still missed. */
#include "import.h"
#include "gitremote.h"
#include "remote.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strvec.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "git/repo_store.h"
#include "jobs/jobs.h"
#include "jobs/queue.h"
#include "model/mirror.h"
#include "model/protected_branch.h"

#include <git2.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_MIRROR_ATTEMPTS 12		/* backoff doubles: about an hour in all */

static int push_enqueue(struct db *db, int64_t mirror_id, int64_t seq, int64_t run_at,
			int attempts)
{
	char payload[96];

	snprintf(payload, sizeof(payload), "{\"mirror_id\":%lld,\"seq\":%lld}",
		 (long long)mirror_id, (long long)seq);
	return queue_enqueue(db, "mirror_push", payload, NULL, attempts, run_at);
}

int mirror_enqueue_push(struct db *db, int64_t mirror_id)
{
	return push_enqueue(db, mirror_id, 0, 0, PUSH_MIRROR_ATTEMPTS);
}

int mirror_enqueue_pushes(struct db *db, int64_t project_id)
{
	struct remote_mirror_list l = { NULL, 0 };
	int ret = remote_mirror_list(db, project_id, &l);

	for (size_t i = 0; ret == 0 && i < l.nr; i++)
		if (l.items[i].enabled)
			ret = mirror_enqueue_push(db, l.items[i].id);
	remote_mirror_list_release(&l);
	return ret;
}

int mirror_schedule_push(struct db *db, int64_t mirror_id, int64_t interval_ms)
{
	int64_t seq = 0;
	int ret = remote_mirror_bump_seq(db, mirror_id, &seq);

	if (ret == 0)
		ret = push_enqueue(db, mirror_id, seq, time_now_ms() + interval_ms, 1);
	return ret;
}

/* refs/heads/<b> for each local branch a protected-branch rule covers. */
static int protected_refspecs(struct db *db, const struct remote_mirror *m, const char *force,
			      struct strvec *out)
{
	struct protected_branch_list rules = { NULL, 0 };
	git_repository *repo = NULL;
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	struct buf dir = BUF_INIT;
	int ret = protected_branch_list(db, m->project_id, &rules);

	repo_store_path(&dir, m->project_id);
	if (ret == 0 && (git_repository_open_bare(&repo, dir.ptr) < 0 ||
			 git_branch_iterator_new(&it, repo, GIT_BRANCH_LOCAL) < 0))
		ret = ERR_INTERNAL;
	while (ret == 0 && git_branch_next(&ref, &type, it) == 0) {
		const char *name = git_reference_name(ref) + strlen("refs/heads/");
		int found = 0, level = 0, force_ok = 0;

		protected_branch_effective(&rules, name, &found, &level, &force_ok);
		if (found)
			strvec_pushf(out, "%srefs/heads/%s:refs/heads/%s", force, name, name);
		git_reference_free(ref);
		ref = NULL;
	}
	git_branch_iterator_free(it);
	git_repository_free(repo);
	protected_branch_list_release(&rules);
	buf_release(&dir);
	return ret;
}

static int push_once(struct db *db, const struct remote_mirror *m, struct buf *err)
{
	struct remote r = REMOTE_INIT;
	struct strvec specs = STRVEC_INIT;
	struct buf divergent = BUF_INIT_MAX(4096), note = BUF_INIT;
	const char *force = m->keep_divergent_refs ? "" : "+";
	int ret = import_remote_load(&r, m->url, m->credentials, err);

	if (ret == 0)
		ret = remote_vet(&r, jobs_outbound_allow(), err);
	if (ret == 0 && m->only_protected_branches)
		ret = protected_refspecs(db, m, force, &specs);
	else if (ret == 0)
		strvec_pushf(&specs, "%srefs/heads/*:refs/heads/*", force);
	if (ret == 0) {
		strvec_pushf(&specs, "%srefs/tags/*:refs/tags/*", force);
		strvec_pushf(&specs, "%srefs/notes/*:refs/notes/*", force);
		(void)remote_mirror_started(db, m->id);
		/* Divergent refs stay on the remote, and so do the refs only it has. */
		ret = gitremote_push(m->project_id, &r, &specs, !m->keep_divergent_refs, &divergent,
				     err);
	}
	if (ret == 0 && divergent.len) {
		buf_truncate(&divergent, divergent.len - 1);
		buf_addf(&note, "Some refs have diverged and have not been updated on the remote "
			 "mirror: %s", divergent.ptr);
	}
	(void)remote_mirror_finished(db, m->id, ret == 0, ret == 0 ? (note.len ? note.ptr : NULL)
								    : err->ptr);
	strvec_release(&specs);
	remote_release(&r);
	buf_release(&divergent);
	buf_release(&note);
	return ret;
}

static int job_ids(const struct job *job, int64_t *id_out, int64_t *seq_out)
{
	json_t *root = json_loads(job->payload, 0, NULL);
	json_int_t id = 0, seq = 0;
	int ret = root && json_unpack(root, "{s:I, s?I}", "mirror_id", &id, "seq", &seq) == 0 ?
		  0 : ERR_INVALID;

	json_decref(root);
	*id_out = id;
	*seq_out = seq;
	return ret;
}

int mirror_push_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	struct remote_mirror *m = NULL;
	struct db *db = db_get(pool);
	int64_t id = 0, seq = 0;
	int ret;

	if (!db)
		return ERR_UNAVAILABLE;
	ret = job_ids(job, &id, &seq);
	if (ret == 0)
		ret = remote_mirror_find(db, 0, id, &m);
	if (ret == ERR_NOTFOUND) {
		ret = 0;	/* the mirror or its project was deleted */
		goto out;
	}
	if (ret < 0 || !m->enabled || (seq && seq != m->sched_seq))
		goto out;
	if (seq)
		ret = push_enqueue(db, id, seq, time_now_ms() + m->interval_ms, 1);
	if (ret == 0)
		ret = push_once(db, m, err);
	if (ret < 0)
		log_warn("import", "push mirror failed mirror_id=%lld error=\"%s\"", (long long)id,
			 err->ptr);
	/* A refusal by the policy or bad credentials will not heal by itself;
	 * an unreachable remote may: the queue retries those after a push. */
	if (seq || (ret != ERR_UNAVAILABLE && ret != ERR_BUSY && ret != ERR_INTERNAL))
		ret = 0;
	else if (ret < 0)
		ret = ERR_UNAVAILABLE;
out:
	remote_mirror_free(m);
	db_put(pool, db);
	return ret;
}
