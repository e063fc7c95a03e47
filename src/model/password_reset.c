#include "password_reset.h"
#include "user.h"
#include "auth/password.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <sodium.h>
#include <string.h>

#define HOUR_MS (60LL * 60 * 1000)

static void reset_digest(struct buf *out, const char *label, const char *s)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)label, strlen(label) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)s, strlen(s));
	crypto_hash_sha256_final(&st, digest);
	buf_add_hex(out, digest, sizeof(digest));
}

/* What a token remembers of the password it was issued against: a digest,
 * so the table never holds a copy of the hash itself. */
static int password_stamp(struct db *db, int64_t user_id, struct buf *out)
{
	struct user *u = NULL;
	int ret = user_find(db, user_id, &u);

	if (ret == 0)
		reset_digest(out, "password-stamp", u->password_hash ? u->password_hash : "");
	user_free(u);
	return ret;
}

static int secret_valid(const char *secret)
{
	return secret && strlen(secret) == PASSWORD_RESET_SECRET_HEX &&
	       strspn(secret, "0123456789abcdef") == PASSWORD_RESET_SECRET_HEX;
}

static int recent_count(struct db *db, int64_t user_id, int64_t now, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_queryp(db, &st, "SELECT count(*) FROM password_resets WHERE user_id = $1"
			" AND created_at > $2", "ii", user_id, now - HOUR_MS);
	if (ret == 1) {
		*out = db_col_int64(st, 0);
		ret = 0;
	}
	db_stmt_free(st);
	return ret < 0 ? ret : 0;
}

int password_reset_create(struct db *db, int64_t user_id, int64_t ttl_ms, struct buf *secret_out)
{
	unsigned char raw[PASSWORD_RESET_SECRET_HEX / 2];
	struct buf secret = BUF_INIT, hash = BUF_INIT, stamp = BUF_INIT;
	int64_t now = time_now_ms(), recent = 0;
	int ret;

	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	/* Dead rows go first: the table holds only what could still be used. */
	ret = db_execp(db, "DELETE FROM password_resets WHERE expires_at <= $1 AND created_at <= $2",
		       "ii", now, now - HOUR_MS);
	if (ret == 0)
		ret = recent_count(db, user_id, now, &recent);
	if (ret == 0 && recent >= PASSWORD_RESET_PER_HOUR)
		ret = ERR_BUSY;
	if (ret == 0)
		ret = password_stamp(db, user_id, &stamp);
	if (ret == 0) {
		randombytes_buf(raw, sizeof(raw));
		buf_add_hex(&secret, raw, sizeof(raw));
		sodium_memzero(raw, sizeof(raw));
		reset_digest(&hash, "password-reset", secret.ptr);
		ret = db_execp(db, "INSERT INTO password_resets (user_id, token_hash, password_stamp,"
				   " created_at, expires_at) VALUES ($1, $2, $3, $4, $5)", "issii",
			       user_id, hash.ptr, stamp.ptr, now, now + ttl_ms);
	}
	ret = db_tx_end(db, ret);
	if (ret == 0)
		buf_add(secret_out, secret.ptr, secret.len);
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&hash);
	buf_release(&stamp);
	return ret;
}

/* The user of a live token; consume also marks it used (inside the caller's
 * transaction), so a second use finds nothing. */
static int reset_lookup(struct db *db, const char *secret, int consume, int64_t *user_id_out)
{
	struct buf hash = BUF_INIT, stamp = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms(), user_id = 0;
	int ret;

	if (!secret_valid(secret))
		return ERR_NOTFOUND;
	reset_digest(&hash, "password-reset", secret);
	if (consume)
		ret = db_queryp(db, &st, "UPDATE password_resets SET used_at = $1"
				" WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1"
				" RETURNING user_id, password_stamp", "is", now, hash.ptr);
	else
		ret = db_queryp(db, &st, "SELECT user_id, password_stamp FROM password_resets"
				" WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1",
				"is", now, hash.ptr);
	if (ret == 1) {
		user_id = db_col_int64(st, 0);
		buf_addstr(&stamp, db_col_text(st, 1));
		/* Finish the statement before the next one on this connection. */
		while (db_step(st) > 0)
			;
	}
	db_stmt_free(st);
	st = NULL;
	if (ret == 0)
		ret = ERR_NOTFOUND;
	if (ret == 1) {
		struct buf now_stamp = BUF_INIT;

		ret = password_stamp(db, user_id, &now_stamp);
		/* The password changed since the mail left: the link is void. */
		if (ret == 0 && strcmp(now_stamp.ptr, stamp.ptr))
			ret = ERR_NOTFOUND;
		buf_release(&now_stamp);
	}
	if (ret == 0)
		*user_id_out = user_id;
	buf_release(&hash);
	buf_release(&stamp);
	return ret;
}

int password_reset_check(struct db *db, const char *secret, int64_t *user_id_out)
{
	return reset_lookup(db, secret, 0, user_id_out);
}

int password_reset_redeem(struct db *db, const char *secret, const char *password,
			  int64_t *user_id_out, struct buf *err)
{
	int64_t user_id = 0;
	int ret;

	/* Policy first: a refused password must not use the token up. */
	ret = password_check_policy(password, err);
	if (ret == 0)
		ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	ret = reset_lookup(db, secret, 1, &user_id);
	if (ret == 0)
		ret = user_set_password(db, user_id, password, err);
	if (ret == 0)
		ret = db_execp(db, "UPDATE password_resets SET used_at = $1 WHERE user_id = $2"
				   " AND used_at IS NULL", "ii", time_now_ms(), user_id);
	ret = db_tx_end(db, ret);
	if (ret == 0)
		*user_id_out = user_id;
	return ret;
}
