/* OAuth2 authorization codes (grants) and access/refresh token pairs, as
 * GitLab's Doorkeeper issues them: codes live ten minutes and work once;
 * access tokens live two hours; a refresh rotates the pair and revokes the
 * old one, and the old refresh token still works for a short grace so that
 * a client retrying a refresh whose answer it lost is not locked out. Every
 * secret is 64 hex characters and only its SHA-256 is stored. */
#ifndef KURA_OAUTH_TOKEN_H
#define KURA_OAUTH_TOKEN_H
#include <stdint.h>

struct buf;
struct db;

#define OAUTH_CODE_TTL_MS (10 * 60 * 1000)
#define OAUTH_ACCESS_TTL_S 7200
#define OAUTH_REFRESH_GRACE_MS (60 * 1000)

struct oauth_grant {
	int64_t id;
	int64_t app_id;
	int64_t user_id;
	char *redirect_uri;
	char *scopes;
	char *challenge;	/* PKCE code_challenge, or NULL */
	char *challenge_method;	/* "S256" or "plain", or NULL */
	int64_t expires_at;
};

/* Records a code for the grant (id and expires_at are ignored) and appends
 * the code to code_out. */
int oauth_grant_create(struct db *db, const struct oauth_grant *g, struct buf *code_out);
/* Consumes the code: it works once. ERR_NOTFOUND for unknown or expired
 * codes; ERR_EXISTS for a code already used, in which case the tokens issued
 * for it are revoked (RFC 6749 §4.1.2). *out is the caller's. */
int oauth_grant_take(struct db *db, const char *code, int64_t now_ms, struct oauth_grant **out);
void oauth_grant_free(struct oauth_grant *g);

struct oauth_token {
	int64_t id;
	int64_t app_id;
	int64_t user_id;
	char *scopes;
	char *app_uid;		/* the application's client id */
	int app_confidential;
	int64_t created_at;
	int64_t expires_at;	/* of the access token */
	int64_t revoked_at;	/* 0: live */
	int64_t last_used_at;	/* 0: never */
};

/* A new pair for the user and application; the secrets are appended to
 * access_out and refresh_out. grant_id (0: none) ties it to its code. */
int oauth_token_issue(struct db *db, int64_t app_id, int64_t user_id, int64_t grant_id,
		      const char *scopes, struct buf *access_out, struct buf *refresh_out,
		      int64_t *id_out);
/* The token whose access secret this is, whatever its state. ERR_NOTFOUND. */
int oauth_token_find_access(struct db *db, const char *secret, struct oauth_token **out);
/* The token whose access or refresh secret this is. ERR_NOTFOUND. */
int oauth_token_find_any(struct db *db, const char *secret, struct oauth_token **out);
/* Live: not revoked and the access token not expired. */
int oauth_token_is_active(const struct oauth_token *t, int64_t now_ms);
/* Rotates the pair of refresh_secret, which must belong to app_id: a new
 * pair (scopes narrowed to scopes when non-NULL) replaces it. A refresh
 * token already rotated within OAUTH_REFRESH_GRACE_MS may rotate again; the
 * pair it produced the first time is then revoked. ERR_NOTFOUND for an
 * unknown, revoked or foreign refresh token; ERR_INVALID when scopes widen.
 * The new token's row in *out (caller's), its secrets in the buffers. */
int oauth_token_refresh(struct db *db, int64_t app_id, const char *refresh_secret,
			const char *scopes, struct buf *access_out, struct buf *refresh_out,
			struct oauth_token **out);
int oauth_token_revoke(struct db *db, int64_t id);
/* Records use at most once a minute: no statement at all when t, as read,
 * was used within the minute. */
int oauth_token_touch(struct db *db, const struct oauth_token *t);
void oauth_token_free(struct oauth_token *t);

#endif
