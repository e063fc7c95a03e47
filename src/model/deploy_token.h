/* Deploy tokens: credentials of a project or of a group (then valid for
 * every project below it) that are not users. Git clients present them as
 * HTTP Basic username and secret; only the SHA-256 of the secret is stored,
 * and the secret is shown once, when the token is created. */
#ifndef KURA_DEPLOY_TOKEN_H
#define KURA_DEPLOY_TOKEN_H
#include <stdint.h>

struct buf;
struct db;

/* "kdt-" and 40 base62 characters: told apart from personal access tokens
 * (and never tried as an account password) by its prefix. */
#define DEPLOY_TOKEN_PREFIX "kdt-"
#define DEPLOY_TOKEN_USERNAME_MAX 255

enum deploy_token_scope {
	DT_READ_REPOSITORY = 1 << 0,
	DT_WRITE_REPOSITORY = 1 << 1,
	DT_READ_REGISTRY = 1 << 2,
	DT_WRITE_REGISTRY = 1 << 3,
	DT_READ_PACKAGE_REGISTRY = 1 << 4,
	DT_WRITE_PACKAGE_REGISTRY = 1 << 5,
	DT_SCOPE_ALL = (1 << 6) - 1,
};

struct deploy_token {
	int64_t id;
	int64_t project_id;	/* 0 for a group token */
	int64_t namespace_id;	/* 0 for a project token */
	char *name;
	char *username;
	unsigned scopes;	/* enum deploy_token_scope */
	int64_t expires_at;	/* ms; 0: never */
	int revoked;
	int64_t created_at;
};

struct deploy_token_req {
	int64_t project_id;	/* exactly one of project_id and namespace_id */
	int64_t namespace_id;
	const char *name;
	const char *username;	/* NULL or "": gitlab+deploy-token-<id>, as GitLab */
	unsigned scopes;
	int64_t expires_at;	/* 0: never */
};

/* "read_repository,write_registry" into flags; ERR_INVALID for an unknown
 * name or an empty list. */
int deploy_token_scopes_parse(const char *list, unsigned *out);
/* The scope name at index i, NULL past the end. */
const char *deploy_token_scope_name(int i);

/* Creates the token and appends its secret to secret_out. ERR_INVALID with a
 * "field problem" sentence in err for a bad name, username, scope or a past
 * expiry. */
int deploy_token_create(struct db *db, const struct deploy_token_req *r,
			struct buf *secret_out, int64_t *id_out, struct buf *err);
int deploy_token_find(struct db *db, int64_t id, struct deploy_token **out);
/* The token whose secret this is, whatever its state; ERR_NOTFOUND. */
int deploy_token_find_by_secret(struct db *db, const char *secret, struct deploy_token **out);
/* Not revoked and not expired at now_ms. */
int deploy_token_is_active(const struct deploy_token *t, int64_t now_ms);
/* 1 when t may be used for the project (project_id in namespace_id): it
 * is the project's token, or a token of that namespace or one of its
 * ancestor groups; 0 otherwise. */
int deploy_token_applies(struct db *db, const struct deploy_token *t, int64_t project_id,
			 int64_t namespace_id);
/* Deletes it, as GitLab's API does; ERR_NOTFOUND. */
int deploy_token_delete(struct db *db, int64_t id);
void deploy_token_free(struct deploy_token *t);

/* Tokens of a project (project_id), of a group (namespace_id) or all of
 * them (both 0), oldest first; active_only keeps those neither revoked nor
 * expired (GitLab's active=true). */
struct deploy_token_filter {
	int64_t project_id;
	int64_t namespace_id;
	int active_only;
};

int deploy_token_count(struct db *db, const struct deploy_token_filter *f, int64_t *out);
int deploy_token_list(struct db *db, const struct deploy_token_filter *f, int64_t offset,
		      int64_t limit, int (*fn)(const struct deploy_token *t, void *ctx),
		      void *ctx);

#endif
