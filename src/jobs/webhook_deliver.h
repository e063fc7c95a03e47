/* Delivering one webhook event: a POST with GitLab's headers through the
 * outbound policy (outbound.h), a result for the delivery log, and the
 * classification the queue needs (retry this delivery? disable the hook?).
 *
 * Retries: GitLab itself sends once; kura retries deliveries that failed for
 * reasons that may pass (network, timeout, 5xx, 429) with the same
 * Idempotency-Key and X-Gitlab-Event-UUID so receivers can drop duplicates. */
#ifndef KURA_WEBHOOK_DELIVER_H
#define KURA_WEBHOOK_DELIVER_H
#include <stdint.h>

#include "core/buf.h"

struct outbound_allow;

#define WEBHOOK_TIMEOUT_MS 10000		/* GitLab's default webhook timeout */
#define WEBHOOK_RESPONSE_MAX (64 * 1024)	/* response body kept for the delivery log */
#define WEBHOOK_USER_AGENT "GitLab/15.4.0"	/* the version /api/v4/version reports */

struct webhook_target {
	const char *url;		/* may carry userinfo; never logged */
	const char *token;		/* X-Gitlab-Token; NULL or "" sends none */
	const char *hook_uuid;		/* X-Gitlab-Webhook-UUID */
	const char *instance_url;	/* X-Gitlab-Instance: the external URL */
	int verify_tls;			/* the hook's enable_ssl_verification */
	const struct outbound_allow *allow;
	long timeout_ms;		/* 0: WEBHOOK_TIMEOUT_MS */
};

struct webhook_result {
	long status;		/* HTTP status; 0 when no response arrived */
	int64_t duration_ms;
	struct buf response;	/* at most WEBHOOK_RESPONSE_MAX bytes */
	struct buf error;	/* one sentence when the delivery failed */
	int retryable;		/* a later attempt may succeed */
};

#define WEBHOOK_RESULT_INIT { 0, 0, BUF_INIT, BUF_INIT, 0 }

/* Posts json to t->url with Content-Type, User-Agent, X-Gitlab-Event
 * (event_name: "Push Hook", "Tag Push Hook", "System Hook" …), X-Gitlab-Token,
 * X-Gitlab-Instance, X-Gitlab-Webhook-UUID, X-Gitlab-Event-UUID and
 * Idempotency-Key. out is filled on every path; release it after.
 *   0               2xx
 *   ERR_UNAVAILABLE network error, timeout, 5xx or 429 (out->retryable = 1)
 *   ERR_DENIED      the target's address is refused by the outbound policy
 *   ERR_INVALID     any other status (4xx, a redirect), a bad URL or a header
 *                   value with a line break
 * Nothing here logs the URL, the token or the body. */
int webhook_deliver(const struct webhook_target *t, const char *event_name, const char *json,
		    const char *idempotency_key, const char *event_uuid,
		    struct webhook_result *out);
void webhook_result_release(struct webhook_result *r);

/* GitLab's current auto-disabling rule (4xx and 5xx alike): from the 4th
 * consecutive failed delivery a hook is disabled for 1 minute, doubling with
 * each further failure up to 24 hours; at 40 it is disabled until someone
 * re-enables it. */
#define WEBHOOK_TEMP_DISABLE_AFTER 4
#define WEBHOOK_PERM_DISABLE_AFTER 40
#define WEBHOOK_BACKOFF_FIRST_MS (60 * 1000)
#define WEBHOOK_BACKOFF_MAX_MS (24 * 60 * 60 * 1000)

enum webhook_hook_state {
	WEBHOOK_HOOK_ACTIVE,
	WEBHOOK_HOOK_TEMP_DISABLED,
	WEBHOOK_HOOK_PERM_DISABLED,
};

/* The state of a hook after `failures` consecutive failed deliveries; for
 * WEBHOOK_HOOK_TEMP_DISABLED, *disabled_ms_out says for how long (else 0). */
enum webhook_hook_state webhook_hook_state_after(int failures, int64_t *disabled_ms_out);

#endif
