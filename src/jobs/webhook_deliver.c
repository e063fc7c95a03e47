/* One webhook delivery (see webhook_deliver.h). */
#include "jobs/webhook_deliver.h"

#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/strvec.h"
#include "jobs/outbound.h"

/* Header values come from the database (hook token, UUIDs) or from us; a line
 * break in one would let it add headers of its own. */
static int header_add(struct strvec *h, const char *name, const char *value, struct buf *err)
{
	if (strpbrk(value, "\r\n")) {
		buf_addf(err, "The %s header value contains a line break.", name);
		return ERR_INVALID;
	}
	strvec_pushf(h, "%s: %s", name, value);
	return 0;
}

static int headers_build(struct strvec *h, const struct webhook_target *t,
			 const char *event_name, const char *idempotency_key,
			 const char *event_uuid, struct buf *err)
{
	int ret = 0;

	strvec_push(h, "Content-Type: application/json");
	strvec_push(h, "User-Agent: " WEBHOOK_USER_AGENT);
	ret = header_add(h, "X-Gitlab-Event", event_name, err);
	if (ret == 0 && t->token && t->token[0])
		ret = header_add(h, "X-Gitlab-Token", t->token, err);
	if (ret == 0 && t->instance_url)
		ret = header_add(h, "X-Gitlab-Instance", t->instance_url, err);
	if (ret == 0 && t->hook_uuid)
		ret = header_add(h, "X-Gitlab-Webhook-UUID", t->hook_uuid, err);
	if (ret == 0 && event_uuid)
		ret = header_add(h, "X-Gitlab-Event-UUID", event_uuid, err);
	if (ret == 0 && idempotency_key)
		ret = header_add(h, "Idempotency-Key", idempotency_key, err);
	return ret;
}

/* 5xx and 429 may pass on their own; other statuses need someone to act. */
static int status_retryable(long status)
{
	return status >= 500 || status == 429;
}

int webhook_deliver(const struct webhook_target *t, const char *event_name, const char *json,
		    const char *idempotency_key, const char *event_uuid,
		    struct webhook_result *out)
{
	struct strvec headers = STRVEC_INIT;
	struct outbound_resp resp = OUTBOUND_RESP_INIT;
	struct outbound_req req = {
		.url = t->url,
		.headers = &headers,
		.body = json,
		.body_len = strlen(json),
		.timeout_ms = t->timeout_ms > 0 ? t->timeout_ms : WEBHOOK_TIMEOUT_MS,
		.verify_tls = t->verify_tls,
		.response_max = WEBHOOK_RESPONSE_MAX,
		.allow = t->allow,
	};
	int ret;

	out->status = 0;
	out->duration_ms = 0;
	out->retryable = 0;
	buf_reset(&out->response);
	buf_reset(&out->error);
	ret = headers_build(&headers, t, event_name, idempotency_key, event_uuid, &out->error);
	if (ret < 0)
		goto out;
	ret = outbound_request(&req, &resp, &out->error);
	out->status = resp.status;
	out->duration_ms = resp.duration_ms;
	buf_add(&out->response, resp.body.ptr, resp.body.len);
	if (ret == ERR_UNAVAILABLE) {
		out->retryable = 1;
	} else if (ret == 0 && (resp.status < 200 || resp.status > 299)) {
		buf_addf(&out->error, "The receiver answered %ld.", resp.status);
		out->retryable = status_retryable(resp.status);
		ret = out->retryable ? ERR_UNAVAILABLE : ERR_INVALID;
	}
	log_debug("webhook", "delivered event=%s status=%ld ms=%lld ret=%s retryable=%d",
		  event_name, out->status, (long long)out->duration_ms, err_name(ret),
		  out->retryable);
out:
	outbound_resp_release(&resp);
	strvec_release(&headers);
	return ret;
}

void webhook_result_release(struct webhook_result *r)
{
	buf_release(&r->response);
	buf_release(&r->error);
	r->status = 0;
}

enum webhook_hook_state webhook_hook_state_after(int failures, int64_t *disabled_ms_out)
{
	int64_t ms = WEBHOOK_BACKOFF_FIRST_MS;

	*disabled_ms_out = 0;
	if (failures >= WEBHOOK_PERM_DISABLE_AFTER)
		return WEBHOOK_HOOK_PERM_DISABLED;
	if (failures < WEBHOOK_TEMP_DISABLE_AFTER)
		return WEBHOOK_HOOK_ACTIVE;
	for (int i = WEBHOOK_TEMP_DISABLE_AFTER; i < failures && ms < WEBHOOK_BACKOFF_MAX_MS; i++)
		ms *= 2;
	*disabled_ms_out = ms < WEBHOOK_BACKOFF_MAX_MS ? ms : WEBHOOK_BACKOFF_MAX_MS;
	return WEBHOOK_HOOK_TEMP_DISABLED;
}
