#include "authn.h"
#include "password.h"
#include "token.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "model/deploy_token.h"
#include "model/oauth_app.h"
#include "model/oauth_token.h"
#include "model/pat.h"
#include "model/user.h"

#include <string.h>

void principal_release(struct principal *p)
{
	user_free(p->user);
	p->user = NULL;
	p->scopes = 0;
	p->token_id = 0;
	p->oauth_token_id = 0;
	p->deploy_token_id = 0;
}

int principal_is_admin(const struct principal *p)
{
	return p->user && p->user->is_admin;
}

int authn_password(struct db *db, const char *login, const char *password,
		   struct principal *out)
{
	struct user *u = NULL;
	int ret;

	ret = user_find_by_login(db, login, &u);
	if (ret == ERR_NOTFOUND) {
		password_dummy_verify(password);
		return ERR_AUTH;
	}
	if (ret < 0)
		return ret;
	ret = password_verify(u->password_hash, password);
	if (ret == 0 && !user_is_active(u))
		ret = ERR_AUTH;
	if (ret < 0) {
		user_free(u);
		return ret;
	}
	out->user = u;
	out->scopes = SCOPE_ALL;
	out->token_id = 0;
	return 0;
}

/* OAuth access tokens carry the scopes the user consented to and expire. */
static int authn_oauth(struct db *db, const char *secret, struct principal *out)
{
	struct oauth_token *t = NULL;
	struct user *u = NULL;
	int ret;

	ret = oauth_token_find_access(db, secret, &t);
	if (ret == ERR_NOTFOUND)
		return ERR_AUTH;
	if (ret < 0)
		return ret;
	ret = oauth_token_is_active(t, time_now_ms()) ? user_find(db, t->user_id, &u) : ERR_AUTH;
	if (ret == ERR_NOTFOUND || (ret == 0 && !user_is_active(u)))
		ret = ERR_AUTH;
	if (ret == 0) {
		(void)oauth_token_touch(db, t);
		out->user = u;
		out->scopes = oauth_scopes_flags(t->scopes);
		out->token_id = 0;
		out->oauth_token_id = t->id;
		u = NULL;
	}
	user_free(u);
	oauth_token_free(t);
	return ret;
}

int authn_token(struct db *db, const char *secret, struct principal *out)
{
	struct pat *t = NULL;
	struct user *u = NULL;
	int ret;

	ret = pat_find_by_secret(db, secret, &t);
	if (ret == ERR_NOTFOUND)
		return authn_oauth(db, secret, out);
	if (ret < 0)
		return ret;
	ret = pat_is_active(t, time_now_ms()) ? user_find(db, t->user_id, &u) : ERR_AUTH;
	if (ret == ERR_NOTFOUND || (ret == 0 && !user_is_active(u)))
		ret = ERR_AUTH;
	if (ret == 0) {
		(void)pat_touch(db, t);
		out->user = u;
		out->scopes = t->scopes;
		out->token_id = t->id;
		u = NULL;
	}
	user_free(u);
	pat_free(t);
	return ret;
}

int authn_basic(struct db *db, const char *login, const char *secret, struct principal *out)
{
	int ret = authn_token(db, secret, out);

	if (ret != ERR_AUTH)
		return ret;
	/* A token-shaped secret is never also tried as a password: it would
	 * only cost an argon2 run. */
	if (!strncmp(secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) ||
	    !strncmp(secret, DEPLOY_TOKEN_PREFIX, strlen(DEPLOY_TOKEN_PREFIX)))
		return ERR_AUTH;
	return authn_password(db, login, secret, out);
}

/* Takes t: the principal for it when it is usable for the project. */
static int deploy_principal(struct db *db, struct deploy_token *t, int64_t project_id,
			    int64_t namespace_id, struct principal *out)
{
	int ret = ERR_AUTH;

	if (deploy_token_is_active(t, time_now_ms()) &&
	    deploy_token_applies(db, t, project_id, namespace_id) == 1) {
		out->user = NULL;
		out->scopes = (t->scopes & DT_READ_REPOSITORY ? SCOPE_READ_REPOSITORY : 0) |
			      (t->scopes & DT_WRITE_REPOSITORY ? SCOPE_WRITE_REPOSITORY : 0);
		out->token_id = 0;
		out->oauth_token_id = 0;
		out->deploy_token_id = t->id;
		ret = 0;
	}
	deploy_token_free(t);
	return ret;
}

int authn_deploy_token(struct db *db, const char *login, const char *secret, int64_t project_id,
		       int64_t namespace_id, struct principal *out)
{
	struct deploy_token *t = NULL;
	int ret = deploy_token_find_by_secret(db, secret, &t);

	if (ret == ERR_NOTFOUND)
		return ERR_AUTH;
	if (ret < 0)
		return ret;
	if (strcmp(t->username, login)) {
		deploy_token_free(t);
		return ERR_AUTH;
	}
	return deploy_principal(db, t, project_id, namespace_id, out);
}

int authn_deploy_token_id(struct db *db, int64_t id, int64_t project_id, int64_t namespace_id,
			  struct principal *out)
{
	struct deploy_token *t = NULL;
	int ret = deploy_token_find(db, id, &t);

	if (ret == ERR_NOTFOUND)
		return ERR_AUTH;
	if (ret < 0)
		return ret;
	return deploy_principal(db, t, project_id, namespace_id, out);
}
