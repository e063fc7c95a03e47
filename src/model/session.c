#include "session.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void session_hash(struct buf *out, const char *label, const char *secret)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)label, strlen(label) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)secret, strlen(secret));
	crypto_hash_sha256_final(&st, digest);
	buf_add_hex(out, digest, sizeof(digest));
}

/* Only lowercase hex of the right length ever reaches the database. */
static int session_secret_valid(const char *secret)
{
	return secret && strlen(secret) == SESSION_SECRET_HEX &&
	       strspn(secret, "0123456789abcdef") == SESSION_SECRET_HEX;
}

int session_create(struct db *db, int64_t user_id, struct buf *secret_out, int64_t *id_out)
{
	unsigned char raw[SESSION_SECRET_HEX / 2];
	struct buf secret = BUF_INIT, hash = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms();
	int ret;

	randombytes_buf(raw, sizeof(raw));
	buf_add_hex(&secret, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	session_hash(&hash, "session", secret.ptr);
	ret = db_execp(db, "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
		       "ii", now, now - SESSION_IDLE_MS);
	if (ret == 0)
		ret = db_queryp(db, &st, "INSERT INTO sessions (secret_hash, user_id, created_at,"
				" last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4) RETURNING id",
				"siii", hash.ptr, user_id, now, now + SESSION_ABSOLUTE_MS);
	if (ret == 1) {
		*id_out = db_col_int64(st, 0);
		buf_add(secret_out, secret.ptr, secret.len);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_INTERNAL;
	}
	db_stmt_free(st);
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&hash);
	return ret;
}

int session_find(struct db *db, const char *secret, int64_t now_ms, struct session **out)
{
	struct buf hash = BUF_INIT;
	struct db_stmt *st = NULL;
	struct session *s;
	int ret;

	if (!session_secret_valid(secret))
		return ERR_NOTFOUND;
	session_hash(&hash, "session", secret);
	ret = db_queryp(db, &st, "SELECT id, user_id, created_at, last_seen_at, expires_at"
			" FROM sessions WHERE secret_hash = $1", "s", hash.ptr);
	buf_release(&hash);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	s = xcalloc(1, sizeof(*s));
	s->id = db_col_int64(st, 0);
	s->user_id = db_col_int64(st, 1);
	s->created_at = db_col_int64(st, 2);
	s->last_seen_at = db_col_int64(st, 3);
	s->expires_at = db_col_int64(st, 4);
	db_stmt_free(st);
	if (s->expires_at <= now_ms || s->last_seen_at + SESSION_IDLE_MS <= now_ms) {
		(void)db_execp(db, "DELETE FROM sessions WHERE id = $1", "i", s->id);
		free(s);
		return ERR_NOTFOUND;
	}
	if (now_ms - s->last_seen_at >= SESSION_TOUCH_MS) {
		ret = db_execp(db, "UPDATE sessions SET last_seen_at = $1 WHERE id = $2", "ii",
			       now_ms, s->id);
		if (ret < 0) {
			free(s);
			return ret;
		}
		s->last_seen_at = now_ms;
	}
	*out = s;
	return 0;
}

int session_delete(struct db *db, const char *secret)
{
	struct buf hash = BUF_INIT;
	int ret;

	if (!session_secret_valid(secret))
		return 0;
	session_hash(&hash, "session", secret);
	ret = db_execp(db, "DELETE FROM sessions WHERE secret_hash = $1", "s", hash.ptr);
	buf_release(&hash);
	return ret;
}

int session_delete_user(struct db *db, int64_t user_id, int64_t keep_id)
{
	return db_execp(db, "DELETE FROM sessions WHERE user_id = $1 AND id <> $2", "ii",
			user_id, keep_id);
}

void session_csrf_token(struct buf *out, const char *secret)
{
	session_hash(out, "csrf", secret);
}
