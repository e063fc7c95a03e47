/* Browser sessions, stored in the database so that any node serves them.
 * The cookie carries a random secret; only its SHA-256 is stored. A session
 * ends after SESSION_IDLE_MS without use or SESSION_ABSOLUTE_MS after
 * sign-in, whichever comes first. The CSRF token of a session is derived
 * from its secret, so it needs no storage and dies with the session. */
#ifndef KURA_SESSION_H
#define KURA_SESSION_H
#include <stdint.h>

struct buf;
struct db;

#define SESSION_IDLE_MS (7LL * 24 * 60 * 60 * 1000)	/* GitLab's default: one week */
#define SESSION_ABSOLUTE_MS (30LL * 24 * 60 * 60 * 1000)	/* re-authenticate monthly */
#define SESSION_TOUCH_MS (60 * 1000)	/* record use at most once a minute */
#define SESSION_SECRET_HEX 64		/* 32 random bytes in hex */

struct session {
	int64_t id;
	int64_t user_id;
	int64_t created_at, last_seen_at, expires_at;
};

/* A new session for user_id; its secret (shown to the browser once, in the
 * cookie) is appended to secret_out. Expired rows are purged on the way. */
int session_create(struct db *db, int64_t user_id, struct buf *secret_out, int64_t *id_out);
/* The live session of secret, its last use recorded. ERR_NOTFOUND for an
 * unknown, malformed, idle or expired secret. *out is the caller's (free()). */
int session_find(struct db *db, const char *secret, int64_t now_ms, struct session **out);
/* Ends the session of secret (sign-out); unknown secrets are no error. */
int session_delete(struct db *db, const char *secret);
/* Ends every session of the user except keep_id (0: all): after a password
 * change or when an administrator blocks the user. */
int session_delete_user(struct db *db, int64_t user_id, int64_t keep_id);
/* The CSRF token of a session: hex SHA-256 over a label and the secret. */
void session_csrf_token(struct buf *out, const char *secret);

#endif
