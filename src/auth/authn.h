/* Who is calling: resolving credentials into a principal. */
#ifndef KURA_AUTHN_H
#define KURA_AUTHN_H
#include <stdint.h>

struct db;
struct user;

struct principal {
	struct user *user;	/* NULL: anonymous; owned */
	unsigned scopes;	/* enum scope_flags; SCOPE_ALL for passwords */
	int64_t token_id;	/* 0 unless a personal access token authenticated */
	int64_t oauth_token_id;	/* 0 unless an OAuth access token authenticated */
	/* 0 unless a deploy token authenticated (user is then NULL); it was
	 * checked against the one project the request is for. */
	int64_t deploy_token_id;
};

#define PRINCIPAL_INIT { NULL, 0, 0, 0, 0 }

void principal_release(struct principal *p);
int principal_is_admin(const struct principal *p);

/* Username or e-mail and password. ERR_AUTH for a wrong password, an unknown
 * user or a blocked one, in the same time for each. */
int authn_password(struct db *db, const char *login, const char *password,
		   struct principal *out);
/* A personal access token or OAuth access token secret. ERR_AUTH for
 * unknown, revoked or expired tokens and blocked owners. */
int authn_token(struct db *db, const char *secret, struct principal *out);
/* HTTP Basic for Git clients: GitLab accepts a token as the password with
 * any username, else the account password. */
int authn_basic(struct db *db, const char *login, const char *secret, struct principal *out);
/* A deploy token for Git over HTTP, as GitLab: login must be the token's
 * username, and the token must belong to project_id or to namespace_id or
 * one of its ancestor groups. Scopes: read_repository gives
 * SCOPE_READ_REPOSITORY (pull), write_repository SCOPE_WRITE_REPOSITORY
 * (pull and push). ERR_AUTH otherwise, revoked or expired. */
int authn_deploy_token(struct db *db, const char *login, const char *secret, int64_t project_id,
		       int64_t namespace_id, struct principal *out);
/* The same checks for a token already identified (the hooks re-check the
 * token kura passed them by id). */
int authn_deploy_token_id(struct db *db, int64_t id, int64_t project_id, int64_t namespace_id,
			  struct principal *out);

#endif
