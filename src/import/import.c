/* Imports and pull mirrors: a project whose refs come from a URL. */
#include "import.h"
#include "gitremote.h"
#include "remote.h"
#include "secret.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "jobs/jobs.h"
#include "jobs/queue.h"
#include "model/mirror.h"
#include "model/namespace.h"
#include "model/project.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_JOB_ATTEMPTS 3

int import_seal_credentials(char **out, const struct remote *r)
{
	struct buf plain = BUF_INIT, sealed = BUF_INIT;
	int ret = 0;

	*out = NULL;
	if (!r->username && !r->password)
		return 0;
	/* "username\npassword": remote_parse refuses control bytes in both. */
	buf_addf(&plain, "%s\n%s", r->username ? r->username : "", r->password ? r->password : "");
	ret = secret_seal(&sealed, plain.ptr);
	sodium_memzero(plain.ptr, plain.len);
	if (ret == 0)
		*out = buf_detach(&sealed, NULL);
	buf_release(&plain);
	buf_release(&sealed);
	return ret;
}

int import_remote_load(struct remote *out, const char *url, const char *sealed,
		       struct buf *err)
{
	char *plain = NULL, *nl;
	int ret = 0;

	if (sealed) {
		ret = secret_open(&plain, sealed);
		if (ret < 0) {
			buf_addstr(err, "The stored credentials cannot be decrypted with this "
				   "server's key.");
			return ret;
		}
	}
	nl = plain ? strchr(plain, '\n') : NULL;
	if (nl)
		*nl = '\0';
	ret = remote_parse(out, url, plain ? plain : NULL, nl ? nl + 1 : NULL, err);
	if (plain) {
		sodium_memzero(plain, strlen(plain) + (nl ? strlen(nl + 1) + 1 : 0));
		free(plain);
	}
	return ret;
}

/* Fetches r into the project and records the outcome; the default branch
 * follows the remote's HEAD. */
static int import_update(struct db *db, int64_t project_id, const struct remote *r,
			 struct buf *err)
{
	char *head = NULL;
	int ret, sret;

	(void)project_mirror_started(db, project_id);
	ret = gitremote_fetch(project_id, r, &head, err);
	if (ret == 0 && head)
		ret = project_set_default_branch(db, project_id, head);
	if (ret == 0)
		(void)project_touch_activity(db, project_id);
	sret = project_mirror_finished(db, project_id, ret == 0, err->len ? err->ptr : NULL);
	free(head);
	return ret < 0 ? ret : sret;
}

static int import_create_project(struct db *db, const struct import_req *req, int64_t *id_out,
				 struct buf *err)
{
	struct project_req pr = { 0 };
	struct namespace *ns = NULL;
	struct buf nspath = BUF_INIT;
	const char *slash = strrchr(req->full_path, '/');
	int ret;

	if (!slash || slash == req->full_path) {
		buf_addstr(err, "The target must be NAMESPACE/PROJECT.");
		return ERR_INVALID;
	}
	buf_add(&nspath, req->full_path, (size_t)(slash - req->full_path));
	ret = namespace_find_by_full_path(db, nspath.ptr, &ns);
	if (ret == ERR_NOTFOUND)
		buf_addf(err, "There is no namespace %.200s.", nspath.ptr);
	if (ret == 0) {
		pr.namespace_id = ns->id;
		pr.path = slash + 1;
		pr.name = req->name;
		pr.visibility = req->visibility;
		pr.creator_id = ns->owner_id;
		ret = project_create(db, &pr, id_out, err);
	}
	namespace_free(ns);
	buf_release(&nspath);
	return ret;
}

static int64_t interval_ms_of(int64_t interval_s)
{
	return (interval_s ? interval_s : IMPORT_INTERVAL_DEFAULT_S) * 1000;
}

static int import_save(struct db *db, int64_t project_id, const struct remote *r, int mirror,
		       int64_t interval_s, const char *status)
{
	struct project_mirror m = { 0 };
	char *sealed = NULL;
	int ret = import_seal_credentials(&sealed, r);

	m.project_id = project_id;
	m.url = r->url;
	m.credentials = sealed;
	m.mirror = mirror;
	m.interval_ms = interval_ms_of(interval_s);
	m.import_status = (char *)status;
	if (ret == 0)
		ret = project_mirror_save(db, &m);
	free(sealed);
	return ret;
}

/* Starts the scheduled chain of a pull mirror: the next update after one
 * interval. A leftover job of an older chain sees a different seq and ends. */
static int pull_schedule(struct db *db, int64_t project_id, int64_t seq, int64_t interval_ms)
{
	char payload[96];

	snprintf(payload, sizeof(payload), "{\"project_id\":%lld,\"seq\":%lld}",
		 (long long)project_id, (long long)seq);
	return queue_enqueue(db, "mirror_pull", payload, NULL, 1, time_now_ms() + interval_ms);
}

static int pull_schedule_new(struct db *db, int64_t project_id, int64_t interval_ms)
{
	int64_t seq = 0;
	int ret = project_mirror_bump_seq(db, project_id, &seq);

	return ret == 0 ? pull_schedule(db, project_id, seq, interval_ms) : ret;
}

int import_run(struct db *db, const struct import_req *req, const struct outbound_allow *allow,
	       int64_t *id_out, int *created_out, struct buf *err)
{
	struct remote r = REMOTE_INIT;
	struct project *p = NULL;
	struct project_mirror *m = NULL;
	int64_t id = 0;
	int created = 0, ret;

	ret = remote_parse(&r, req->url, req->username, req->password, err);
	if (ret == 0)
		ret = remote_vet(&r, allow, err);
	if (ret < 0)
		goto out;
	ret = project_find_by_full_path(db, req->full_path, &p);
	if (ret == 0) {
		id = p->id;
		ret = project_mirror_find(db, id, &m);
		if (ret == ERR_NOTFOUND) {
			buf_addf(err, "The project %.200s exists and was not imported from a URL.",
				 req->full_path);
			ret = ERR_EXISTS;
		}
	} else if (ret == ERR_NOTFOUND) {
		ret = import_create_project(db, req, &id, err);
		created = ret == 0;
	}
	if (ret == 0)
		ret = import_save(db, id, &r, req->mirror, req->interval_s, "started");
	if (ret == 0)
		ret = import_update(db, id, &r, err);
	if (ret < 0 && created) {
		/* A failed first import leaves no project behind. */
		(void)project_delete(db, id);
	} else if (ret == 0 && req->mirror) {
		ret = pull_schedule_new(db, id, interval_ms_of(req->interval_s));
	}
out:
	if (ret == 0) {
		*id_out = id;
		*created_out = created;
	}
	project_free(p);
	project_mirror_free(m);
	remote_release(&r);
	return ret;
}

int import_schedule(struct db *db, int64_t project_id, const struct remote *r, int mirror,
		    int64_t interval_s, struct buf *err)
{
	char payload[64];
	int ret = db_tx_begin(db);

	if (ret == 0)
		ret = import_save(db, project_id, r, mirror, interval_s, "scheduled");
	snprintf(payload, sizeof(payload), "{\"project_id\":%lld}", (long long)project_id);
	if (ret == 0)
		ret = queue_enqueue(db, "import", payload, NULL, IMPORT_JOB_ATTEMPTS, 0);
	ret = db_tx_end(db, ret);
	if (ret < 0)
		buf_addstr(err, "The import could not be scheduled.");
	return ret;
}

int import_pull_now(struct db *db, int64_t project_id)
{
	int ret = project_mirror_is_pull(db, project_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	return pull_schedule(db, project_id, 0, 0);
}

static int job_ids(const struct job *job, const char *key, int64_t *id_out, int64_t *seq_out)
{
	json_t *root = json_loads(job->payload, 0, NULL);
	json_int_t id = 0, seq = 0;
	int ret = root && json_unpack(root, "{s:I, s?I}", key, &id, "seq", &seq) == 0 ?
		  0 : ERR_INVALID;

	json_decref(root);
	*id_out = id;
	*seq_out = seq;
	return ret;
}

/* One update of a project from its stored remote, vetted again now: DNS
 * and the allow-list may have changed since the URL was accepted. */
static int pull_once(struct db *db, const struct project_mirror *m, struct buf *err)
{
	struct remote r = REMOTE_INIT;
	int ret = import_remote_load(&r, m->url, m->credentials, err);

	if (ret == 0)
		ret = remote_vet(&r, jobs_outbound_allow(), err);
	if (ret == 0)
		ret = import_update(db, m->project_id, &r, err);
	else
		(void)project_mirror_finished(db, m->project_id, 0, err->ptr);
	remote_release(&r);
	return ret;
}

static int pull_job(struct db_pool *pool, const struct job *job, int first, struct buf *err)
{
	struct project_mirror *m = NULL;
	struct db *db = db_get(pool);
	int64_t id = 0, seq = 0;
	int ret;

	if (!db)
		return ERR_UNAVAILABLE;
	ret = job_ids(job, "project_id", &id, &seq);
	if (ret == 0)
		ret = project_mirror_find(db, id, &m);
	if (ret == ERR_NOTFOUND) {
		ret = 0;	/* the project or its mirror was deleted */
		goto out;
	}
	if (ret < 0 || (!first && !m->mirror) || (seq && seq != m->sched_seq))
		goto out;
	/* The next tick is queued before this one runs, so neither a failure
	 * nor a crash here ends the schedule. */
	if (seq)
		ret = pull_schedule(db, id, seq, m->interval_ms);
	if (ret == 0)
		ret = pull_once(db, m, err);
	if (ret < 0)
		log_warn("import", "update failed project_id=%lld error=\"%s\"", (long long)id,
			 err->ptr);
	if (first && ret == 0 && m->mirror)
		ret = pull_schedule_new(db, id, m->interval_ms);
	/* The failure is recorded on the project; retrying a refused import
	 * or a scheduled update belongs to the next tick, not the queue. */
	if (ret != ERR_BUSY)
		ret = 0;
out:
	project_mirror_free(m);
	db_put(pool, db);
	return ret;
}

int import_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	return pull_job(pool, job, 1, err);
}

int mirror_pull_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	return pull_job(pool, job, 0, err);
}
