#include "job_kinds.h"
#include "jobs.h"
#include "notify.h"
#include "queue.h"
#include "webhook_payload.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/uuid.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/repo_store.h"
#include "model/project.h"
#include "model/protected_branch.h"
#include "model/user.h"
#include "model/webhook.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBHOOK_JOB_ATTEMPTS 8	/* about half an hour of backoff */

struct push_info {
	int64_t project_id, user_id;
	const char *ref, *before, *after;
};

static int push_info_parse(json_t *root, struct push_info *out)
{
	json_int_t pid = 0, uid = 0;

	if (json_unpack(root, "{s:I, s:I, s:s, s:s, s:s}", "project_id", &pid, "user_id", &uid,
			"ref", &out->ref, "before", &out->before, "after", &out->after) != 0)
		return ERR_INVALID;
	out->project_id = pid;
	out->user_id = uid;
	return 0;
}

static int hook_wants(const struct webhook *w, const char *event, const char *ref)
{
	if (!strcmp(event, "Tag Push Hook"))
		return w->tag_push_events;
	return w->push_events && webhook_branch_matches(w, ref + strlen("refs/heads/"));
}

static int visibility_level(const char *v)
{
	return !strcmp(v, "public") ? 20 : !strcmp(v, "internal") ? 10 : 0;
}

static int branch_protected(struct db *db, int64_t project_id, const char *ref)
{
	struct protected_branch_list rules = { NULL, 0 };
	int found = 0, level = 0, force = 0;

	if (strncmp(ref, "refs/heads/", 11) || protected_branch_list(db, project_id, &rules) < 0)
		return 0;
	protected_branch_effective(&rules, ref + 11, &found, &level, &force);
	protected_branch_list_release(&rules);
	return found;
}

int jobs_push_payload(struct db *db, const struct project *p, const struct user *u,
		      const char *ref, const char *before, const char *after, struct buf *body,
		      struct buf *err)
{
	struct buf full = BUF_INIT, web = BUF_INIT, http = BUF_INIT, ssh = BUF_INIT;
	struct buf repo = BUF_INIT, host = BUF_INIT;
	const char *ext = jobs_external_url();
	const char *h = strstr(ext, "://");
	struct webhook_project wp = { 0 };
	struct webhook_user wu = { 0 };
	struct webhook_push push = { ref, before, after, 0 };
	int ret;

	project_full_path(&full, p);
	buf_addf(&web, "%s/%s", ext, full.ptr);
	buf_addf(&http, "%s.git", web.ptr);
	h = h ? h + 3 : ext;
	buf_add(&host, h, strcspn(h, ":/"));
	buf_addf(&ssh, "git@%s:%s.git", host.ptr, full.ptr);
	wp.id = p->id;
	wp.name = p->name;
	wp.path_with_namespace = full.ptr;
	wp.namespace_name = p->namespace_name;
	wp.description = p->description;
	wp.default_branch = p->default_branch;
	wp.visibility_level = visibility_level(p->visibility);
	wp.web_url = web.ptr;
	wp.http_url = http.ptr;
	wp.ssh_url = ssh.ptr;
	wu.id = u ? u->id : 0;
	wu.name = u ? u->name : "";
	wu.username = u ? u->username : "";
	wu.email = "";	/* the public email: kura keeps none yet */
	push.ref_protected = branch_protected(db, p->id, ref);
	repo_store_path(&repo, p->id);
	ret = webhook_payload_push(body, repo.ptr, &wp, &wu, &push, err);
	buf_release(&full);
	buf_release(&web);
	buf_release(&http);
	buf_release(&ssh);
	buf_release(&repo);
	buf_release(&host);
	return ret;
}

int jobs_enqueue_webhook(struct db *db, int64_t hook_id, const char *event, const char *uuid,
			 const char *body, const char *key)
{
	json_t *obj = json_pack("{s:I, s:s, s:s, s:s}", "webhook_id", (json_int_t)hook_id,
				"event", event, "event_uuid", uuid, "body", body);
	char *payload = json_dumps(obj, JSON_COMPACT);
	int ret = queue_enqueue(db, "webhook", payload, key, WEBHOOK_JOB_ATTEMPTS, 0);

	free(payload);
	json_decref(obj);
	return ret;
}

/* One delivery job per hook. A retried push job finds the deliveries it
 * already queued by their keys and does not queue them twice. */
static int enqueue_deliveries(struct db *db, const struct job *job,
			      const struct webhook_list *hooks, const char *event,
			      const char *ref, const char *body)
{
	char uuid[UUID_STR_LEN];
	int ret = db_tx_begin(db);

	uuid_v4(uuid);
	for (size_t i = 0; ret == 0 && i < hooks->nr; i++) {
		const struct webhook *w = &hooks->items[i];
		struct db_stmt *st = NULL;
		char key[128];

		if (!hook_wants(w, event, ref))
			continue;
		snprintf(key, sizeof(key), "%s-hook-%lld", job->idempotency_key, (long long)w->id);
		ret = db_queryp(db, &st, "SELECT id FROM jobs WHERE idempotency_key = $1", "s", key);
		db_stmt_free(st);
		if (ret != 0) {
			ret = ret > 0 ? 0 : ret;
			continue;
		}
		ret = jobs_enqueue_webhook(db, w->id, w->scope == WEBHOOK_SYSTEM ? "System Hook"
										 : event,
					   uuid, body, key);
	}
	return db_tx_end(db, ret);
}

int push_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	json_t *root = json_loads(job->payload, 0, NULL);
	struct webhook_list hooks = { NULL, 0 };
	struct buf body = BUF_INIT;
	struct push_info pi;
	struct project *p = NULL;
	struct user *u = NULL;
	struct db *db = NULL;
	const char *event;
	int ret;

	if (!root || push_info_parse(root, &pi) < 0) {
		buf_addstr(err, "malformed push job");
		ret = ERR_INVALID;
		goto out;
	}
	event = webhook_event_name(pi.ref);
	db = db_get(pool);
	ret = db ? project_find(db, pi.project_id, &p) : ERR_UNAVAILABLE;
	if (ret == 0 && event)	/* emails on push: a job of its own, queued once */
		ret = notify_push_enqueue(db, job, p->id);
	if (ret == ERR_NOTFOUND || !event) {
		ret = 0;	/* the project is gone, or the ref is no branch or tag */
		goto out;
	}
	if (ret == 0 && pi.user_id && user_find(db, pi.user_id, &u) == ERR_NOTFOUND)
		u = NULL;
	if (ret == 0)
		ret = webhook_list_for_project(db, p->id, p->namespace_id, &hooks);
	if (ret < 0 || hooks.nr == 0)
		goto out;
	ret = jobs_push_payload(db, p, u, pi.ref, pi.before, pi.after, &body, err);
	if (ret == 0)
		ret = enqueue_deliveries(db, job, &hooks, event, pi.ref, body.ptr);
out:
	webhook_list_release(&hooks);
	buf_release(&body);
	project_free(p);
	user_free(u);
	db_put(pool, db);
	json_decref(root);
	return ret;
}
