/* OAuth2 applications (clients): GitLab's instance-wide applications that
 * administrators register through the API, and users' own. The client id
 * ("uid", 64 hex) is public; the secret is shown once and only its SHA-256
 * is stored. Redirect URIs are kept as registered (several separated by
 * whitespace) and matched by exact string comparison. */
#ifndef KURA_OAUTH_APP_H
#define KURA_OAUTH_APP_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct db;

#define OAUTH_REDIRECT_URIS_MAX 16
#define OAUTH_REDIRECT_URI_LEN 2048
#define OAUTH_SCOPES_LEN 512

struct oauth_app {
	int64_t id;
	char *uid;		/* client_id */
	char *secret_hash;	/* hex SHA-256 of the secret */
	char *name;
	char *redirect_uri;	/* one or more URIs separated by whitespace */
	char *scopes;		/* space-separated, as registered */
	int confidential;
	int64_t owner_id;	/* 0: instance-wide (created by an administrator) */
	int64_t created_at;
};

/* Registers an application; its secret is appended to secret_out (shown
 * once). ERR_INVALID with a "field problem" sentence for a bad name, a
 * redirect URI that is not absolute or uses javascript:, data: or vbscript:,
 * or bad scopes. */
int oauth_app_create(struct db *db, const char *name, const char *redirect_uri,
		     const char *scopes, int confidential, int64_t owner_id,
		     struct buf *secret_out, int64_t *id_out, struct buf *err);
/* ERR_NOTFOUND. *out is the caller's (oauth_app_free). */
int oauth_app_find(struct db *db, int64_t id, struct oauth_app **out);
int oauth_app_find_by_uid(struct db *db, const char *uid, struct oauth_app **out);
/* Applications of owner_id (0: the instance-wide ones; -1: all), oldest first. */
int oauth_app_list(struct db *db, int64_t owner_id,
		   int (*fn)(const struct oauth_app *a, void *ctx), void *ctx);
/* Deletes the application with its grants and tokens. ERR_NOTFOUND. */
int oauth_app_delete(struct db *db, int64_t id);
/* A new secret replaces the old one at once; appended to secret_out. */
int oauth_app_renew_secret(struct db *db, int64_t id, struct buf *secret_out);
void oauth_app_free(struct oauth_app *a);

/* 1 when secret is the application's (constant time over the hashes). */
int oauth_app_secret_ok(const struct oauth_app *a, const char *secret);
/* 1 when uri equals one of the registered redirect URIs, byte for byte. */
int oauth_app_redirect_ok(const struct oauth_app *a, const char *uri);
/* The only registered redirect URI (borrowed copy in out), or ERR_NOTFOUND
 * when there are several. */
int oauth_app_redirect_single(const struct oauth_app *a, struct buf *out);

/* Checks one registered redirect URI list; ERR_INVALID with a sentence. */
int oauth_redirect_uris_check(const char *list, struct buf *err);
/* Normalises a scope list ("api read_user", "api+read_user", "api,read_user")
 * into space-separated words in out. ERR_INVALID for an empty list, an
 * overlong one or a word outside [a-z0-9_:.-]. */
int oauth_scopes_normalize(const char *list, struct buf *out);
/* 1 when the word s[0..n) is one of the space-separated words of have. */
int oauth_scopes_subset_n(const char *s, size_t n, const char *have);
/* 1 when every word of want is a word of have. */
int oauth_scopes_subset(const char *want, const char *have);
/* The kura scope flags (enum scope_flags) the words grant; unknown words,
 * such as openid, grant nothing. */
unsigned oauth_scopes_flags(const char *scopes);

#endif
