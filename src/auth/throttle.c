#include "throttle.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <sodium.h>
#include <string.h>

/* The key is a hash so that odd usernames never reach the table as text. */
static void throttle_key(struct buf *out, const char *address, const char *login)
{
	unsigned char digest[crypto_generichash_BYTES];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(digest));
	crypto_generichash_update(&st, (const unsigned char *)address, strlen(address) + 1);
	crypto_generichash_update(&st, (const unsigned char *)login, strlen(login));
	crypto_generichash_final(&st, digest, sizeof(digest));
	buf_add_hex(out, digest, sizeof(digest));
}

int throttle_check(struct db *db, const char *address, const char *login)
{
	struct buf key = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	throttle_key(&key, address, login);
	ret = db_queryp(db, &st, "SELECT failures FROM auth_failures WHERE key = $1"
			" AND window_start > $2", "si", key.ptr,
			time_now_ms() - LIMIT_AUTH_WINDOW_MS);
	if (ret > 0)
		ret = db_col_int64(st, 0) >= LIMIT_AUTH_FAILURES ? ERR_BUSY : 0;
	db_stmt_free(st);
	buf_release(&key);
	return ret;
}

int throttle_fail(struct db *db, const char *address, const char *login)
{
	struct buf key = BUF_INIT;
	int64_t now = time_now_ms();
	int ret;

	throttle_key(&key, address, login);
	/* A window that has passed starts again at one failure. */
	ret = db_execp(db, "INSERT INTO auth_failures (key, window_start, failures)"
			   " VALUES ($1, $2, 1) ON CONFLICT (key) DO UPDATE SET"
			   " failures = CASE WHEN auth_failures.window_start > $3"
			   "  THEN auth_failures.failures + 1 ELSE 1 END,"
			   " window_start = CASE WHEN auth_failures.window_start > $3"
			   "  THEN auth_failures.window_start ELSE $2 END",
		       "sii", key.ptr, now, now - LIMIT_AUTH_WINDOW_MS);
	buf_release(&key);
	return ret;
}

int throttle_clear(struct db *db, const char *address, const char *login)
{
	struct buf key = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	throttle_key(&key, address, login);
	/* Every successful sign-in and Git request ends here: read first, so
	 * the common case (no failures on record) writes nothing. */
	ret = db_queryp(db, &st, "SELECT 1 FROM auth_failures WHERE key = $1", "s", key.ptr);
	db_stmt_free(st);
	if (ret > 0)
		ret = db_execp(db, "DELETE FROM auth_failures WHERE key = $1", "s", key.ptr);
	buf_release(&key);
	return ret < 0 ? ret : 0;
}
