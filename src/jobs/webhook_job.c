#include "job_kinds.h"
#include "jobs.h"
#include "queue.h"
#include "webhook_deliver.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "model/webhook.h"

#include <jansson.h>
#include <string.h>

/* Records the delivery and moves the hook's failure state on. */
static void note_delivery(struct db *db, const struct webhook *w, const struct job *job,
			  const char *event, const char *body, const struct webhook_result *r,
			  int ok)
{
	struct webhook_delivery d = { 0 };
	int64_t disabled_ms = 0;
	int failures = ok ? 0 : w->recent_failures + 1;
	enum webhook_hook_state state = webhook_hook_state_after(failures, &disabled_ms);

	d.event = (char *)event;
	d.idempotency_key = job->idempotency_key;
	d.request_body = (char *)body;
	d.response_status = (int)r->status;
	d.response_body = r->response.ptr;
	d.error = r->error.len ? r->error.ptr : NULL;
	d.duration_ms = r->duration_ms;
	(void)webhook_delivery_record(db, w->id, &d);
	(void)webhook_note_result(db, w->id, ok, failures,
				  state == WEBHOOK_HOOK_TEMP_DISABLED ? time_now_ms() + disabled_ms : 0,
				  state == WEBHOOK_HOOK_PERM_DISABLED);
}

int webhook_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	struct webhook_result r = WEBHOOK_RESULT_INIT;
	struct webhook_target t = { 0 };
	json_t *root = json_loads(job->payload, 0, NULL);
	const char *event = NULL, *uuid = NULL, *body = NULL;
	struct webhook *w = NULL;
	struct db *db = NULL;
	json_int_t hook_id = 0;
	int ret;

	if (!root || json_unpack(root, "{s:I, s:s, s:s, s:s}", "webhook_id", &hook_id, "event",
				 &event, "event_uuid", &uuid, "body", &body) != 0) {
		buf_addstr(err, "malformed webhook job");
		ret = ERR_INVALID;
		goto out;
	}
	db = db_get(pool);
	ret = db ? webhook_find(db, hook_id, &w) : ERR_UNAVAILABLE;
	if (ret == ERR_NOTFOUND || (ret == 0 && w->permanently_disabled)) {
		ret = 0;	/* the hook was deleted or switched off for good */
		goto out;
	}
	if (ret < 0)
		goto out;
	if (w->disabled_until > time_now_ms()) {
		buf_addstr(err, "hook temporarily disabled after repeated failures");
		ret = ERR_BUSY;
		goto out;
	}
	/* No connection is held across the network wait. */
	db_put(pool, db);
	db = NULL;
	t.url = w->url;
	t.token = w->token;
	t.hook_uuid = w->uuid;
	t.instance_url = jobs_external_url();
	t.verify_tls = w->enable_ssl_verification;
	t.allow = jobs_outbound_allow();
	ret = webhook_deliver(&t, event, body, job->idempotency_key, uuid, &r);
	db = db_get(pool);
	if (db)
		note_delivery(db, w, job, event, body, &r, ret == 0);
	if (ret < 0)
		buf_addf(err, "hook %lld: %s", (long long)w->id, r.error.len ? r.error.ptr : "failed");
	/* Only failures that may pass are retried; a refused address or a 4xx
	 * will not get better by asking again. */
	if (ret < 0 && ret != ERR_UNAVAILABLE)
		ret = ERR_INVALID;
out:
	webhook_result_release(&r);
	webhook_free(w);
	db_put(pool, db);
	json_decref(root);
	return ret;
}
