#include "queue.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUEUE_LEASE_MS (5 * 60 * 1000)	/* longer than any handler's own timeout */
#define QUEUE_POLL_MS 200		/* idle workers look this often */
#define QUEUE_BACKOFF_BASE_MS 1000
#define QUEUE_BACKOFF_CAP_MS (15 * 60 * 1000)
#define QUEUE_MAX_KINDS 16
#define QUEUE_MAX_WORKERS 16

struct queue_kind {
	const char *kind;
	job_handler_fn fn;
};

static struct queue_kind kinds[QUEUE_MAX_KINDS];
static int nkinds;
static pthread_t workers[QUEUE_MAX_WORKERS];
static int nworkers;
static atomic_int stopping;
static struct db_pool *worker_pool;

void queue_register(const char *kind, job_handler_fn fn)
{
	if (nkinds == QUEUE_MAX_KINDS)
		BUG("too many job kinds");
	kinds[nkinds].kind = kind;
	kinds[nkinds].fn = fn;
	nkinds++;
}

static job_handler_fn handler_for(const char *kind)
{
	for (int i = 0; i < nkinds; i++)
		if (!strcmp(kinds[i].kind, kind))
			return kinds[i].fn;
	return NULL;
}

int queue_enqueue(struct db *db, const char *kind, const char *payload, const char *key,
		  int max_attempts, int64_t run_at)
{
	struct buf random_key = BUF_INIT;
	unsigned char raw[16];
	int64_t now = time_now_ms();
	int ret;

	if (!key) {
		randombytes_buf(raw, sizeof(raw));
		buf_add_hex(&random_key, raw, sizeof(raw));
		key = random_key.ptr;
	}
	ret = db_execp(db, "INSERT INTO jobs (kind, payload, idempotency_key, run_at, max_attempts,"
			   " created_at) VALUES ($1, $2, $3, $4, $5, $6)", "sssiii", kind, payload,
		       key, run_at ? run_at : now, (int64_t)max_attempts, now);
	buf_release(&random_key);
	return ret;
}

int64_t queue_backoff_ms(int attempts)
{
	int64_t delay = QUEUE_BACKOFF_BASE_MS;

	for (int i = 1; i < attempts && delay < QUEUE_BACKOFF_CAP_MS; i++)
		delay *= 2;
	if (delay > QUEUE_BACKOFF_CAP_MS)
		delay = QUEUE_BACKOFF_CAP_MS;
	/* Jitter spreads retries of many failed jobs over time. */
	return delay / 2 + (int64_t)randombytes_uniform((uint32_t)delay + 1);
}

static void job_free_fields(struct job *j)
{
	free(j->kind);
	free(j->payload);
	free(j->idempotency_key);
}

/* Picks a due job and leases it to this worker. The lease condition is in
 * the UPDATE itself, so of two workers racing for one row only one wins. */
static int queue_claim(struct db *db, const char *worker_id, struct job *out)
{
	struct buf sql = BUF_INIT, in = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms();
	int ret;

	if (nkinds == 0)
		return 0;
	/* Only kinds this binary can run: a node of another version leaves
	 * the rest to the nodes that know them. */
	for (int i = 0; i < nkinds; i++)
		buf_addf(&in, "%s$%d", i ? ", " : "", i + 4);
	buf_addf(&sql, "UPDATE jobs SET lease_until = $1, locked_by = $2, attempts = attempts + 1"
		 " WHERE id = (SELECT id FROM jobs WHERE state = 'pending' AND run_at <= $3"
		 "  AND (lease_until IS NULL OR lease_until < $3) AND kind IN (%s)"
		 "  ORDER BY run_at, id LIMIT 1%s)"
		 " AND state = 'pending' AND (lease_until IS NULL OR lease_until < $3)"
		 " RETURNING id, kind, payload, idempotency_key, attempts, max_attempts", in.ptr,
		 /* PostgreSQL: racing workers skip a row another one is claiming
		  * instead of queueing behind it. SQLite has one writer anyway. */
		 db_dialect(db) == DB_POSTGRES ? " FOR UPDATE SKIP LOCKED" : "");
	ret = db_prepare(db, &st, sql.ptr);
	if (ret == 0)
		ret = db_bind_int64(st, 1, now + QUEUE_LEASE_MS);
	if (ret == 0)
		ret = db_bind_text(st, 2, worker_id);
	if (ret == 0)
		ret = db_bind_int64(st, 3, now);
	for (int i = 0; ret == 0 && i < nkinds; i++)
		ret = db_bind_text(st, i + 4, kinds[i].kind);
	if (ret == 0)
		ret = db_step(st);
	if (ret > 0) {
		out->id = db_col_int64(st, 0);
		out->kind = db_col_strdup(st, 1);
		out->payload = db_col_strdup(st, 2);
		out->idempotency_key = db_col_strdup(st, 3);
		out->attempts = (int)db_col_int64(st, 4);
		out->max_attempts = (int)db_col_int64(st, 5);
		/* Finish the statement so the claim commits now. */
		while (db_step(st) > 0)
			;
	}
	db_stmt_free(st);
	buf_release(&sql);
	buf_release(&in);
	return ret;
}

static int queue_finish(struct db *db, const struct job *j, int ret, const char *error)
{
	int64_t now = time_now_ms();
	int retry = (ret == ERR_BUSY || ret == ERR_UNAVAILABLE) && j->attempts < j->max_attempts;

	if (ret == 0)
		return db_execp(db, "UPDATE jobs SET state = 'done', finished_at = $1,"
				    " lease_until = NULL, last_error = NULL WHERE id = $2", "ii",
				now, j->id);
	if (retry)
		return db_execp(db, "UPDATE jobs SET run_at = $1, lease_until = NULL,"
				    " last_error = $2 WHERE id = $3", "isi",
				now + queue_backoff_ms(j->attempts), error, j->id);
	return db_execp(db, "UPDATE jobs SET state = 'failed', finished_at = $1,"
			    " lease_until = NULL, last_error = $2 WHERE id = $3", "isi", now, error,
			j->id);
}

int queue_run_one(struct db_pool *pool, const char *worker_id)
{
	struct buf err = BUF_INIT_MAX(1024);
	struct job j = { 0 };
	struct db *db = db_get(pool);
	job_handler_fn fn;
	int ret, claimed;

	if (!db)
		return ERR_UNAVAILABLE;
	claimed = queue_claim(db, worker_id, &j);
	db_put(pool, db);
	if (claimed <= 0)
		return claimed;
	fn = handler_for(j.kind);
	ret = fn ? fn(pool, &j, &err) : ERR_INVALID;
	if (!fn)
		buf_addf(&err, "no handler for job kind %s", j.kind);
	if (ret < 0)
		log_warn("jobs", "job failed id=%lld kind=%s attempt=%d/%d error=\"%s\"",
			 (long long)j.id, j.kind, j.attempts, j.max_attempts, err.ptr);
	else
		log_info("jobs", "job done id=%lld kind=%s attempt=%d", (long long)j.id, j.kind,
			 j.attempts);
	db = db_get(pool);
	/* If the database is gone the lease runs out and the job runs again:
	 * at least once, never lost. */
	if (db)
		(void)queue_finish(db, &j, ret, err.len ? err.ptr : err_name(ret));
	db_put(pool, db);
	job_free_fields(&j);
	buf_release(&err);
	return 1;
}

static void *queue_worker(void *arg)
{
	char id[128], host[64] = "host";

	gethostname(host, sizeof(host) - 1);
	snprintf(id, sizeof(id), "%s:%d:%ld", host, (int)getpid(), (long)(intptr_t)arg);
	while (!atomic_load(&stopping)) {
		int ran = queue_run_one(worker_pool, id);

		if (ran <= 0)
			usleep(QUEUE_POLL_MS * 1000);
	}
	return NULL;
}

int queue_workers_start(struct db_pool *pool, int nthreads)
{
	worker_pool = pool;
	atomic_store(&stopping, 0);
	for (nworkers = 0; nworkers < nthreads && nworkers < QUEUE_MAX_WORKERS; nworkers++) {
		if (pthread_create(&workers[nworkers], NULL, queue_worker,
				   (void *)(intptr_t)nworkers) != 0)
			return ERR_INTERNAL;
	}
	return 0;
}

void queue_workers_stop(void)
{
	atomic_store(&stopping, 1);
	for (int i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	nworkers = 0;
}
