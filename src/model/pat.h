/* Personal access tokens: rows keyed by the SHA-256 of the secret. */
#ifndef KURA_PAT_H
#define KURA_PAT_H
#include <stdint.h>

struct buf;
struct db;

struct pat {
	int64_t id;
	int64_t user_id;
	char *name;
	unsigned scopes;	/* enum scope_flags */
	int64_t created_at;
	int64_t expires_at;	/* ms at 00:00 UTC of the expiry date; 0: never */
	int64_t last_used_at;	/* 0: never */
	int revoked;
	int impersonation;	/* made by an administrator to act as the user */
};

/* Creates a token and appends its secret to secret_out (shown once).
 * expires_at 0 means the default of LIMIT_TOKEN_DEFAULT_DAYS from now.
 * ERR_INVALID with a sentence for a bad name or a past expiry. */
int pat_create(struct db *db, int64_t user_id, const char *name, unsigned scopes,
	       int64_t expires_at, struct buf *secret_out, int64_t *id_out, struct buf *err);
/* The token whose secret this is, whatever its state (the caller decides
 * whether revoked or expired matters). ERR_NOTFOUND. */
int pat_find_by_secret(struct db *db, const char *secret, struct pat **out);
int pat_find(struct db *db, int64_t id, struct pat **out);
/* Usable now: not revoked, not expired. */
int pat_is_active(const struct pat *t, int64_t now_ms);
int pat_revoke(struct db *db, int64_t id);
/* Records use at most once a minute, to keep reads read-only. */
int pat_touch(struct db *db, const struct pat *t);
void pat_free(struct pat *t);
/* Tokens of user_id (0: everyone's), newest first; state "active",
 * "inactive" or NULL for both. */
int pat_count(struct db *db, int64_t user_id, const char *state, int64_t *out);
int pat_list(struct db *db, int64_t user_id, const char *state, int64_t offset, int64_t limit,
	     int (*fn)(const struct pat *t, void *ctx), void *ctx);

/* Impersonation tokens: ordinary tokens flagged as made by an administrator
 * (GitLab's impersonation_tokens API lists only these). */
int pat_set_impersonation(struct db *db, int64_t id);
int pat_impersonation_count(struct db *db, int64_t user_id, const char *state, int64_t *out);
int pat_impersonation_list(struct db *db, int64_t user_id, const char *state, int64_t offset,
			   int64_t limit, int (*fn)(const struct pat *t, void *ctx), void *ctx);

#endif
