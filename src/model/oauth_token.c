#include "oauth_token.h"
#include "oauth_app.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 60 * 60 * 1000)
#define GRANT_COLUMNS "id, application_id, user_id, redirect_uri, scopes, code_challenge," \
	" code_challenge_method, expires_at"
#define TOKEN_COLUMNS "t.id, t.application_id, t.user_id, t.scopes, a.uid, a.confidential," \
	" t.created_at, t.expires_at, t.revoked_at, t.revoke_reason, t.successor_id," \
	" t.last_used_at"
#define TOKEN_FROM " FROM oauth_access_tokens t JOIN oauth_applications a" \
	" ON a.id = t.application_id"

/* 32 random bytes as 64 hex characters, and their hash. */
static void secret_new(struct buf *secret, struct buf *hash)
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	buf_add_hex(secret, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	token_hash(hash, secret->ptr);
}

static void secret_wipe(struct buf *secret)
{
	sodium_memzero(secret->ptr, secret->len);
	buf_release(secret);
}

/* Our secrets are 64 hex characters; anything else is unknown without a
 * database round trip. */
static int secret_shape_ok(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

void oauth_grant_free(struct oauth_grant *g)
{
	if (!g)
		return;
	free(g->redirect_uri);
	free(g->scopes);
	free(g->challenge);
	free(g->challenge_method);
	free(g);
}

int oauth_grant_create(struct db *db, const struct oauth_grant *g, struct buf *code_out)
{
	struct buf code = BUF_INIT, hash = BUF_INIT;
	int64_t now = time_now_ms();
	int ret;

	/* Codes are useless a day after they expire: keep the table small. */
	ret = db_execp(db, "DELETE FROM oauth_grants WHERE expires_at < $1", "i", now - DAY_MS);
	secret_new(&code, &hash);
	if (ret == 0)
		ret = db_execp(db, "INSERT INTO oauth_grants (application_id, user_id, code_hash,"
			       " redirect_uri, scopes, code_challenge, code_challenge_method,"
			       " expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			       "iisssssii", g->app_id, g->user_id, hash.ptr, g->redirect_uri,
			       g->scopes, g->challenge, g->challenge_method,
			       now + OAUTH_CODE_TTL_MS, now);
	if (ret == 0)
		buf_add(code_out, code.ptr, code.len);
	secret_wipe(&code);
	buf_release(&hash);
	return ret;
}

static struct oauth_grant *grant_from_row(struct db_stmt *st)
{
	struct oauth_grant *g = xcalloc(1, sizeof(*g));

	g->id = db_col_int64(st, 0);
	g->app_id = db_col_int64(st, 1);
	g->user_id = db_col_int64(st, 2);
	g->redirect_uri = db_col_strdup(st, 3);
	g->scopes = db_col_strdup(st, 4);
	g->challenge = db_col_strdup(st, 5);
	g->challenge_method = db_col_strdup(st, 6);
	g->expires_at = db_col_int64(st, 7);
	return g;
}

/* A code presented twice was probably stolen: whatever it bought dies. */
static int grant_reused(struct db *db, const char *hash)
{
	struct db_stmt *st = NULL;
	int64_t id;
	int ret = db_queryp(db, &st, "SELECT id FROM oauth_grants WHERE code_hash = $1", "s", hash);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	id = db_col_int64(st, 0);
	db_stmt_free(st);
	log_info("oauth", "authorization code reused grant_id=%lld", (long long)id);
	ret = db_execp(db, "UPDATE oauth_access_tokens SET revoked_at = $1, revoke_reason = 'reused'"
		       " WHERE grant_id = $2 AND revoked_at IS NULL", "ii", time_now_ms(), id);
	return ret < 0 ? ret : ERR_EXISTS;
}

int oauth_grant_take(struct db *db, const char *code, int64_t now_ms, struct oauth_grant **out)
{
	struct buf hash = BUF_INIT;
	struct db_stmt *st = NULL;
	struct oauth_grant *g = NULL;
	int ret;

	if (!secret_shape_ok(code))
		return ERR_NOTFOUND;
	token_hash(&hash, code);
	ret = db_queryp(db, &st, "UPDATE oauth_grants SET used_at = $2 WHERE code_hash = $1"
			" AND used_at IS NULL RETURNING " GRANT_COLUMNS, "si", hash.ptr, now_ms);
	if (ret > 0) {
		g = grant_from_row(st);
		db_stmt_free(st);
		ret = g->expires_at > now_ms ? 0 : ERR_NOTFOUND;
	} else if (ret == 0) {
		ret = grant_reused(db, hash.ptr);
	}
	buf_release(&hash);
	if (ret == 0)
		*out = g;
	else
		oauth_grant_free(g);
	return ret;
}

void oauth_token_free(struct oauth_token *t)
{
	if (!t)
		return;
	free(t->scopes);
	free(t->app_uid);
	free(t);
}

static struct oauth_token *token_from_row(struct db_stmt *st)
{
	struct oauth_token *t = xcalloc(1, sizeof(*t));

	t->id = db_col_int64(st, 0);
	t->app_id = db_col_int64(st, 1);
	t->user_id = db_col_int64(st, 2);
	t->scopes = db_col_strdup(st, 3);
	t->app_uid = db_col_strdup(st, 4);
	t->app_confidential = (int)db_col_int64(st, 5);
	t->created_at = db_col_int64(st, 6);
	t->expires_at = db_col_int64(st, 7);
	t->revoked_at = db_col_is_null(st, 8) ? 0 : db_col_int64(st, 8);
	t->last_used_at = db_col_is_null(st, 11) ? 0 : db_col_int64(st, 11);
	return t;
}

int oauth_token_issue(struct db *db, int64_t app_id, int64_t user_id, int64_t grant_id,
		      const char *scopes, struct buf *access_out, struct buf *refresh_out,
		      int64_t *id_out)
{
	struct buf access = BUF_INIT, refresh = BUF_INIT, ahash = BUF_INIT, rhash = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms();
	int ret;

	secret_new(&access, &ahash);
	secret_new(&refresh, &rhash);
	ret = db_queryp(db, &st, "INSERT INTO oauth_access_tokens (application_id, user_id,"
			" grant_id, token_hash, refresh_hash, scopes, created_at, expires_at)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
			"iiIsssii", app_id, user_id, grant_id, ahash.ptr, rhash.ptr, scopes, now,
			now + OAUTH_ACCESS_TTL_S * 1000LL);
	if (ret > 0) {
		*id_out = db_col_int64(st, 0);
		buf_add(access_out, access.ptr, access.len);
		buf_add(refresh_out, refresh.ptr, refresh.len);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_INTERNAL;
	}
	db_stmt_free(st);
	secret_wipe(&access);
	secret_wipe(&refresh);
	buf_release(&ahash);
	buf_release(&rhash);
	return ret;
}

static int token_query(struct db *db, const char *where, const char *secret,
		       struct oauth_token **out)
{
	struct buf hash = BUF_INIT, sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	if (!secret_shape_ok(secret))
		return ERR_NOTFOUND;
	token_hash(&hash, secret);
	buf_addf(&sql, "SELECT " TOKEN_COLUMNS TOKEN_FROM " WHERE %s", where);
	ret = db_queryp(db, &st, sql.ptr, "s", hash.ptr);
	buf_release(&hash);
	buf_release(&sql);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = token_from_row(st);
	db_stmt_free(st);
	return 0;
}

static int token_query_id(struct db *db, int64_t id, struct oauth_token **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " TOKEN_COLUMNS TOKEN_FROM " WHERE t.id = $1", "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = token_from_row(st);
	db_stmt_free(st);
	return 0;
}

int oauth_token_find_access(struct db *db, const char *secret, struct oauth_token **out)
{
	return token_query(db, "t.token_hash = $1", secret, out);
}

int oauth_token_find_any(struct db *db, const char *secret, struct oauth_token **out)
{
	return token_query(db, "t.token_hash = $1 OR t.refresh_hash = $1", secret, out);
}

int oauth_token_is_active(const struct oauth_token *t, int64_t now_ms)
{
	return !t->revoked_at && t->expires_at > now_ms;
}

int oauth_token_revoke(struct db *db, int64_t id)
{
	return db_execp(db, "UPDATE oauth_access_tokens SET revoked_at = $1, revoke_reason ="
			" 'revoked' WHERE id = $2 AND revoked_at IS NULL", "ii", time_now_ms(), id);
}

int oauth_token_touch(struct db *db, const struct oauth_token *t)
{
	int64_t now = time_now_ms();

	/* Even an UPDATE that changes no row takes the database's one write
	 * lock, which every other writer (of every node) then waits for. */
	if (t->last_used_at && now - t->last_used_at < 60 * 1000)
		return 0;
	return db_execp(db, "UPDATE oauth_access_tokens SET last_used_at = $1 WHERE id = $2"
			" AND (last_used_at IS NULL OR last_used_at < $3)", "iii", now, t->id,
			now - 60 * 1000);
}

/* The refresh row: its token and why and when it was revoked. */
struct refresh_row {
	struct oauth_token *t;
	char *reason;
	int64_t successor_id;
};

static int refresh_row_load(struct db *db, const char *hash, struct refresh_row *r)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " TOKEN_COLUMNS TOKEN_FROM " WHERE t.refresh_hash = $1",
			    "s", hash);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	oauth_token_free(r->t);
	free(r->reason);
	r->t = token_from_row(st);
	r->reason = db_col_strdup(st, 9);
	r->successor_id = db_col_is_null(st, 10) ? 0 : db_col_int64(st, 10);
	db_stmt_free(st);
	return 0;
}

/* Marks the row refreshed unless someone else did first: 1 when we did. */
static int refresh_claim(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "UPDATE oauth_access_tokens SET revoked_at = $1,"
			    " revoke_reason = 'refreshed' WHERE id = $2 AND revoked_at IS NULL"
			    " RETURNING id", "ii", now, id);

	db_stmt_free(st);
	return ret;
}

/* A retried refresh inside the grace: allowed while the pair it produced
 * has not itself been refreshed (then the client surely had it). */
static int refresh_grace(struct db *db, const struct refresh_row *r, int64_t now)
{
	struct db_stmt *st = NULL;
	int ret;

	if (!r->reason || strcmp(r->reason, "refreshed") || !r->successor_id ||
	    now - r->t->revoked_at > OAUTH_REFRESH_GRACE_MS)
		return ERR_NOTFOUND;
	ret = db_queryp(db, &st, "SELECT id FROM oauth_access_tokens WHERE id = $1 AND"
			" (revoke_reason IS NULL OR revoke_reason <> 'refreshed')", "i",
			r->successor_id);
	db_stmt_free(st);
	/* Compare and swap on the successor: of two retries racing, one wins
	 * and the other is refused, so one live pair remains. */
	if (ret > 0) {
		st = NULL;
		ret = db_queryp(db, &st, "UPDATE oauth_access_tokens SET successor_id = NULL"
				" WHERE id = $1 AND successor_id = $2 RETURNING id", "ii", r->t->id,
				r->successor_id);
		db_stmt_free(st);
	}
	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	log_info("oauth", "refresh token reused within grace token_id=%lld",
		 (long long)r->t->id);
	return db_execp(db, "UPDATE oauth_access_tokens SET revoked_at = $1, revoke_reason ="
			" 'superseded' WHERE id = $2 AND revoked_at IS NULL", "ii", now,
			r->successor_id);
}

int oauth_token_refresh(struct db *db, int64_t app_id, const char *refresh_secret,
			const char *scopes, struct buf *access_out, struct buf *refresh_out,
			struct oauth_token **out)
{
	struct refresh_row r = { NULL, NULL, 0 };
	struct buf hash = BUF_INIT;
	int64_t now = time_now_ms(), id = 0;
	int ret;

	if (!secret_shape_ok(refresh_secret))
		return ERR_NOTFOUND;
	token_hash(&hash, refresh_secret);
	ret = db_tx_begin(db);
	if (ret < 0)
		goto out_hash;
	ret = refresh_row_load(db, hash.ptr, &r);
	if (ret == 0 && r.t->app_id != app_id)
		ret = ERR_NOTFOUND;
	if (ret == 0 && scopes && !oauth_scopes_subset(scopes, r.t->scopes))
		ret = ERR_INVALID;
	if (ret == 0 && !r.t->revoked_at) {
		ret = refresh_claim(db, r.t->id, now);
		/* Lost a race with a concurrent refresh: judge it as a retry. */
		if (ret == 0)
			ret = refresh_row_load(db, hash.ptr, &r);
		else if (ret > 0)
			ret = 0;
	}
	if (ret == 0 && r.t->revoked_at)
		ret = refresh_grace(db, &r, now);
	if (ret == 0)
		ret = oauth_token_issue(db, r.t->app_id, r.t->user_id, 0,
					scopes ? scopes : r.t->scopes, access_out, refresh_out, &id);
	if (ret == 0)
		ret = db_execp(db, "UPDATE oauth_access_tokens SET successor_id = $1 WHERE id = $2",
			       "ii", id, r.t->id);
	ret = db_tx_end(db, ret);
	if (ret == 0)
		ret = token_query_id(db, id, out);
out_hash:
	buf_release(&hash);
	oauth_token_free(r.t);
	free(r.reason);
	return ret;
}
