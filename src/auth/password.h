/* Account passwords: argon2id through libsodium. Only hashes are stored. */
#ifndef KURA_PASSWORD_H
#define KURA_PASSWORD_H

struct buf;

/* 0, or ERR_INVALID with a sentence in err (length rules). */
int password_check_policy(const char *pw, struct buf *err);
/* The encoded argon2id hash of pw in *out (caller frees). */
int password_hash(char **out, const char *pw);
/* 0 when pw matches hash; ERR_AUTH otherwise (also for a NULL hash: a user
 * without a password cannot sign in with one). Runs in the same time for a
 * missing user when called with password_dummy_verify(). */
int password_verify(const char *hash, const char *pw);
/* Spends the time of one verification, so that an unknown username does not
 * answer faster than a wrong password. */
void password_dummy_verify(const char *pw);
/* A random password of 24 URL-safe characters. */
void password_random(struct buf *out);

#endif
