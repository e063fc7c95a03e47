#include "pat.h"
#include "names.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 60 * 60 * 1000)
#define PAT_COLUMNS "id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked," \
		    " impersonation"

static struct pat *pat_from_row(struct db_stmt *st)
{
	struct pat *t = xcalloc(1, sizeof(*t));
	unsigned scopes = 0;

	t->id = db_col_int64(st, 0);
	t->user_id = db_col_int64(st, 1);
	t->name = db_col_strdup(st, 2);
	if (scopes_parse(db_col_text(st, 3), &scopes, NULL) == 0)
		t->scopes = scopes;
	t->created_at = db_col_int64(st, 4);
	t->expires_at = db_col_int64(st, 5);
	t->last_used_at = db_col_int64(st, 6);
	t->revoked = (int)db_col_int64(st, 7);
	t->impersonation = (int)db_col_int64(st, 8);
	return t;
}

void pat_free(struct pat *t)
{
	if (!t)
		return;
	free(t->name);
	free(t);
}

int pat_create(struct db *db, int64_t user_id, const char *name, unsigned scopes,
	       int64_t expires_at, struct buf *secret_out, int64_t *id_out, struct buf *err)
{
	struct buf secret = BUF_INIT, hash = BUF_INIT, scope_list = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms();
	int ret;

	if (names_check_display(name, "name", err) < 0)
		return ERR_INVALID;
	if (!expires_at)
		expires_at = (now / DAY_MS + LIMIT_TOKEN_DEFAULT_DAYS) * DAY_MS;
	if (expires_at <= now) {
		buf_addstr(err, "expires_at must be in the future");
		return ERR_INVALID;
	}
	if (expires_at > (now / DAY_MS + LIMIT_TOKEN_MAX_DAYS + 1) * DAY_MS) {
		buf_addf(err, "expires_at must be within %d days", LIMIT_TOKEN_MAX_DAYS);
		return ERR_INVALID;
	}
	if (!scopes || (scopes & ~(unsigned)SCOPE_ALL)) {
		buf_addstr(err, "scopes are invalid");
		return ERR_INVALID;
	}
	token_generate(&secret);
	token_hash(&hash, secret.ptr);
	scopes_format(&scope_list, scopes);
	ret = db_queryp(db, &st,
			"INSERT INTO personal_access_tokens (user_id, name, token_hash, scopes,"
			" created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
			"isssii", user_id, name, hash.ptr, scope_list.ptr, now, expires_at);
	if (ret > 0) {
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
	buf_release(&scope_list);
	return ret;
}

int pat_find_by_secret(struct db *db, const char *secret, struct pat **out)
{
	struct buf hash = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	if (strlen(secret) > 255)
		return ERR_NOTFOUND;
	token_hash(&hash, secret);
	ret = db_queryp(db, &st, "SELECT " PAT_COLUMNS " FROM personal_access_tokens"
			" WHERE token_hash = $1", "s", hash.ptr);
	buf_release(&hash);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = pat_from_row(st);
	db_stmt_free(st);
	return 0;
}

int pat_find(struct db *db, int64_t id, struct pat **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " PAT_COLUMNS " FROM personal_access_tokens"
			    " WHERE id = $1", "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = pat_from_row(st);
	db_stmt_free(st);
	return 0;
}

int pat_is_active(const struct pat *t, int64_t now_ms)
{
	return !t->revoked && (!t->expires_at || t->expires_at > now_ms);
}

int pat_revoke(struct db *db, int64_t id)
{
	return db_execp(db, "UPDATE personal_access_tokens SET revoked = 1 WHERE id = $1", "i", id);
}

int pat_touch(struct db *db, const struct pat *t)
{
	int64_t now = time_now_ms();

	if (t->last_used_at && now - t->last_used_at < 60 * 1000)
		return 0;
	return db_execp(db, "UPDATE personal_access_tokens SET last_used_at = $1 WHERE id = $2",
			"ii", now, t->id);
}

/* $1 user (0: all), $2 state ('' both), $3 now, $4 impersonation only. */
#define PAT_WHERE \
	" FROM personal_access_tokens WHERE ($1 = 0 OR user_id = $1) AND ($2 = ''" \
	" OR ($2 = 'active' AND revoked = 0 AND (expires_at IS NULL OR expires_at > $3))" \
	" OR ($2 = 'inactive' AND (revoked = 1 OR expires_at <= $3)))" \
	" AND ($4 = 0 OR impersonation = 1)"

static int pat_count_where(struct db *db, int64_t user_id, const char *state, int64_t imp,
			   int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*)" PAT_WHERE, "isii", user_id,
			    state ? state : "", time_now_ms(), imp);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

static int pat_list_where(struct db *db, int64_t user_id, const char *state, int64_t imp,
			  int64_t offset, int64_t limit,
			  int (*fn)(const struct pat *t, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, &st, "SELECT " PAT_COLUMNS PAT_WHERE
			 " ORDER BY id DESC LIMIT $5 OFFSET $6");
	if (ret == 0)
		ret = db_bind_int64(st, 1, user_id);
	if (ret == 0)
		ret = db_bind_text(st, 2, state ? state : "");
	if (ret == 0)
		ret = db_bind_int64(st, 3, time_now_ms());
	if (ret == 0)
		ret = db_bind_int64(st, 4, imp);
	if (ret == 0)
		ret = db_bind_int64(st, 5, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 6, offset);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct pat *t = pat_from_row(st);

		ret = fn(t, ctx);
		pat_free(t);
	}
	db_stmt_free(st);
	return ret;
}

int pat_count(struct db *db, int64_t user_id, const char *state, int64_t *out)
{
	return pat_count_where(db, user_id, state, 0, out);
}

int pat_list(struct db *db, int64_t user_id, const char *state, int64_t offset, int64_t limit,
	     int (*fn)(const struct pat *t, void *ctx), void *ctx)
{
	return pat_list_where(db, user_id, state, 0, offset, limit, fn, ctx);
}

int pat_set_impersonation(struct db *db, int64_t id)
{
	return db_execp(db, "UPDATE personal_access_tokens SET impersonation = 1 WHERE id = $1",
			"i", id);
}

int pat_impersonation_count(struct db *db, int64_t user_id, const char *state, int64_t *out)
{
	return pat_count_where(db, user_id, state, 1, out);
}

int pat_impersonation_list(struct db *db, int64_t user_id, const char *state, int64_t offset,
			   int64_t limit, int (*fn)(const struct pat *t, void *ctx), void *ctx)
{
	return pat_list_where(db, user_id, state, 1, offset, limit, fn, ctx);
}
