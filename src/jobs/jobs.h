/* Every job kind kura serve runs, and the settings their handlers share. */
#ifndef KURA_JOBS_H
#define KURA_JOBS_H
#include <stdint.h>

struct buf;
struct config;
struct outbound_allow;

/* Worker threads per process: deliveries wait on the network, not the CPU. */
#define JOB_WORKERS 4

/* Reads what the handlers need from the configuration (the outbound
 * allow-list above all). ERR_INVALID with a sentence for a bad value. */
int jobs_init(const struct config *cfg, struct buf *err);
void jobs_release(void);
void jobs_register_all(void);

/* For handlers that vet URLs at creation time (webhooks, imports). */
const struct outbound_allow *jobs_outbound_allow(void);
const char *jobs_external_url(void);

struct db;
struct project;
struct user;

/* GitLab's Push Hook / Tag Push Hook payload for one ref update of p, from
 * the repository as it is now. u may be NULL. */
int jobs_push_payload(struct db *db, const struct project *p, const struct user *u,
		      const char *ref, const char *before, const char *after, struct buf *body,
		      struct buf *err);
/* Queues one delivery of body to a hook; key NULL makes a fresh one. */
int jobs_enqueue_webhook(struct db *db, int64_t hook_id, const char *event, const char *uuid,
			 const char *body, const char *key);


#endif
