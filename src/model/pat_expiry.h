/* Which personal access tokens are due an "expires soon" mail, and the
 * record that one was sent (one per token, whatever the sweeps do). */
#ifndef KURA_PAT_EXPIRY_H
#define KURA_PAT_EXPIRY_H
#include <stddef.h>
#include <stdint.h>

struct db;

#define PAT_EXPIRY_NOTICE_MS (7LL * 24 * 60 * 60 * 1000)	/* GitLab warns 7 days ahead */
#define PAT_EXPIRY_BATCH 500					/* tokens per sweep step */

/* Ids of live tokens (not revoked, owner active) expiring in (now, now +
 * PAT_EXPIRY_NOTICE_MS] that were not noticed yet, at most max of them, into
 * ids (caller's array); their number in *n_out. */
int pat_expiry_due(struct db *db, int64_t now, int64_t *ids, size_t max, size_t *n_out);
/* Records the notice of token_id: 1 when this call recorded it, 0 when it
 * was recorded already (another sweep got there first). */
int pat_expiry_mark(struct db *db, int64_t token_id);

#endif
