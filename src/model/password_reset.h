/* Password reset tokens: the secret travels in an e-mailed link; only its
 * SHA-256 is stored. A token is single-use, expires, and dies when the
 * password changes by any other way (it remembers a digest of the password
 * hash it was issued against), so an old mail cannot undo a later change. */
#ifndef KURA_PASSWORD_RESET_H
#define KURA_PASSWORD_RESET_H
#include <stdint.h>

struct buf;
struct db;

#define PASSWORD_RESET_TTL_MS (60LL * 60 * 1000)		/* a reset link: one hour */
/* A new user's set-password link: they may read their mail a day later. */
#define PASSWORD_RESET_WELCOME_TTL_MS (3LL * 24 * 60 * 60 * 1000)
/* Links mailed to one user per hour: enough for a lost mail, too few to
 * flood an inbox through the public form. */
#define PASSWORD_RESET_PER_HOUR 3
#define PASSWORD_RESET_SECRET_HEX 64		/* 32 random bytes */

/* Issues a token for user_id living ttl_ms and appends its secret to
 * secret_out. ERR_BUSY when the user was sent PASSWORD_RESET_PER_HOUR tokens
 * in the last hour; ERR_NOTFOUND when the user is gone. */
int password_reset_create(struct db *db, int64_t user_id, int64_t ttl_ms, struct buf *secret_out);

/* The user whose live token this is (unused, unexpired, password unchanged
 * since it was issued). ERR_NOTFOUND for anything else, malformed included. */
int password_reset_check(struct db *db, const char *secret, int64_t *user_id_out);

/* Sets the password through a live token and voids every token of the user,
 * in one transaction: of two racing uses only one succeeds. ERR_INVALID with
 * a sentence when the password breaks the policy (the token stays usable);
 * ERR_NOTFOUND for a dead token. */
int password_reset_redeem(struct db *db, const char *secret, const char *password,
			  int64_t *user_id_out, struct buf *err);

#endif
