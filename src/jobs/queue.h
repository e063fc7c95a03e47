/* The durable job queue: rows in the jobs table, claimed with a lease so that
 * several processes can share one queue without running a job twice at once,
 * retried with exponential backoff and jitter, surviving restarts.
 * Delivery is at least once: handlers must be idempotent (webhooks carry an
 * Idempotency-Key stable across retries). */
#ifndef KURA_QUEUE_H
#define KURA_QUEUE_H
#include <stdint.h>

struct buf;
struct db;
struct db_pool;

struct job {
	int64_t id;
	char *kind;
	char *payload;		/* JSON text */
	char *idempotency_key;
	int attempts;		/* including the one running now */
	int max_attempts;
};

/* Returns 0 when done; ERR_BUSY or ERR_UNAVAILABLE to retry later; any other
 * negative code fails the job for good. err gets one sentence. */
typedef int (*job_handler_fn)(struct db_pool *pool, const struct job *job, struct buf *err);

/* Registers the handler of a kind, before the workers start. */
void queue_register(const char *kind, job_handler_fn fn);

/* Adds a job inside the caller's transaction (if any). key NULL: a random
 * one. run_at 0: now. */
int queue_enqueue(struct db *db, const char *kind, const char *payload, const char *key,
		  int max_attempts, int64_t run_at);

/* Claims and runs at most one due job; 1 when one ran, 0 when none was due. */
int queue_run_one(struct db_pool *pool, const char *worker_id);

/* Worker threads polling the queue; stop waits for jobs in hand. */
int queue_workers_start(struct db_pool *pool, int nthreads);
void queue_workers_stop(void);

/* The delay before attempt n+1 after n failures: base 2^(n-1), capped, with
 * ±50% jitter (exposed for tests). */
int64_t queue_backoff_ms(int attempts);

#endif
