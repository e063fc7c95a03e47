/* Failed-authentication throttling, per client address and username, kept
 * in the database so every node sees the same window. */
#ifndef KURA_THROTTLE_H
#define KURA_THROTTLE_H

struct db;

/* ERR_BUSY while the key has LIMIT_AUTH_FAILURES failures in the window. */
int throttle_check(struct db *db, const char *address, const char *login);
int throttle_fail(struct db *db, const char *address, const char *login);
int throttle_clear(struct db *db, const char *address, const char *login);

#endif
