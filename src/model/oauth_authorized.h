/* The OAuth applications a user has authorised: those holding a token pair
 * that is not revoked (a refresh token outlives its access token), and
 * revoking all of an application's pairs at once. */
#ifndef KURA_OAUTH_AUTHORIZED_H
#define KURA_OAUTH_AUTHORIZED_H
#include <stdint.h>

struct db;

struct oauth_authorized {
	int64_t app_id;
	const char *app_name;
	const char *scopes;	/* of the newest pair */
	int64_t authorized_at;	/* the oldest live pair's creation */
};

#define OAUTH_AUTHORIZED_MAX 200	/* applications listed at most */

/* By application name; strings are borrowed for the call of fn. */
int oauth_authorized_list(struct db *db, int64_t user_id,
			  int (*fn)(const struct oauth_authorized *a, void *ctx), void *ctx);
/* Revokes every live pair of the application for the user. ERR_NOTFOUND
 * when there was none. */
int oauth_authorized_revoke(struct db *db, int64_t user_id, int64_t app_id);

#endif
