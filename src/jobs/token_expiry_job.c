/* The daily "token_expiry_sweep" job: mails the owner of each personal
 * access token that expires within seven days, once per token. Each sweep
 * first queues the next one (keyed by its day, so several nodes queue one),
 * then records and queues the notices a token at a time: a crash between
 * the two leaves the record with a queued mail, or neither. */
#include "job_kinds.h"
#include "notify.h"
#include "queue.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "model/pat_expiry.h"

#include <stdio.h>

#define DAY_MS (24LL * 60 * 60 * 1000)
#define SWEEP_ATTEMPTS 5
#define SWEEP_HOUR_MS (3LL * 60 * 60 * 1000)	/* at 03:00 UTC, a quiet hour */

static int queue_next_sweep(struct db *db, int64_t now)
{
	int64_t day = now / DAY_MS + 1;
	struct db_stmt *st = NULL;
	char key[64];
	int ret;

	snprintf(key, sizeof(key), "token-expiry-sweep-%lld", (long long)day);
	ret = db_queryp(db, &st, "SELECT id FROM jobs WHERE idempotency_key = $1", "s", key);
	db_stmt_free(st);
	if (ret != 0)
		return ret > 0 ? 0 : ret;
	return queue_enqueue(db, "token_expiry_sweep", "{}", key, SWEEP_ATTEMPTS,
			     day * DAY_MS + SWEEP_HOUR_MS);
}

static int notice_one(struct db *db, int64_t token_id)
{
	int ret = db_tx_begin(db);

	if (ret < 0)
		return ret;
	ret = pat_expiry_mark(db, token_id);
	if (ret > 0)
		ret = notify_pat_expiring(db, notify_config(), token_id);
	return db_tx_end(db, ret < 0 ? ret : 0);
}

int token_expiry_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	int64_t ids[PAT_EXPIRY_BATCH], now = time_now_ms();
	struct db *db = db_get(pool);
	size_t n = 0, sent = 0;
	int ret;

	(void)job;
	if (!db)
		return ERR_UNAVAILABLE;
	ret = queue_next_sweep(db, now);
	/* Without mail there is nothing to record: a token noticed while
	 * mail is off would never get its mail once it is on. */
	if (ret == 0 && !notify_enabled(notify_config()))
		goto out;
	do {
		if (ret == 0)
			ret = pat_expiry_due(db, now, ids, PAT_EXPIRY_BATCH, &n);
		for (size_t i = 0; ret == 0 && i < n; i++, sent++)
			ret = notice_one(db, ids[i]);
	} while (ret == 0 && n == PAT_EXPIRY_BATCH);
	if (ret == 0)
		log_info("mail", "token expiry sweep notices=%zu", sent);
	else
		buf_addstr(err, "token expiry sweep failed");
out:
	db_put(pool, db);
	return ret;
}
