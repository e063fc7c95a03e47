/* The /oauth route and its machine-facing endpoints, as GitLab's Doorkeeper
 * answers them: POST /oauth/token (authorization_code and refresh_token
 * grants), POST /oauth/revoke (RFC 7009) and GET /oauth/token/info. Errors
 * are RFC 6749 §5.2 JSON. Clients authenticate with HTTP Basic or with
 * client_id/client_secret in the body; public clients by client_id alone. */
#include "oauth.h"
#include "oauth_int.h"
#include "app.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "model/oauth_app.h"
#include "model/oauth_token.h"
#include "model/user.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OAUTH_BODY_MAX (64 * 1024)	/* token requests are a few hundred bytes */
#define VERIFIER_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

const char *oauth_param(struct web_ctx *c, const char *name)
{
	return c->is_post ? web_form_get(c, name) : http_query(c->req, name);
}

/* --- answers ---------------------------------------------------------------- */

static void respond_json(struct web_ctx *c, int status, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	http_add_header(c->req, "Cache-Control", "no-store");
	http_add_header(c->req, "Pragma", "no-cache");
	http_respond(c->req, status, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

static void token_error(struct web_ctx *c, int status, const char *error, const char *desc)
{
	if (status == 401)
		http_add_header(c->req, "WWW-Authenticate", "Basic realm=\"kura\"");
	respond_json(c, status, json_pack("{s:s, s:s}", "error", error,
					  "error_description", desc));
}

static void invalid_client(struct web_ctx *c)
{
	token_error(c, 401, "invalid_client", "Client authentication failed due to unknown "
		    "client, no client authentication included, or unsupported authentication "
		    "method.");
}

static void invalid_grant(struct web_ctx *c)
{
	token_error(c, 400, "invalid_grant", "The provided authorization grant is invalid, "
		    "expired, revoked, does not match the redirection URI used in the "
		    "authorization request, or was issued to another client.");
}

static void token_respond(struct web_ctx *c, const struct buf *access, const struct buf *refresh,
			  const char *scopes, int64_t created_ms)
{
	respond_json(c, 200, json_pack("{s:s, s:s, s:i, s:s, s:s, s:I}",
				       "access_token", access->ptr, "token_type", "Bearer",
				       "expires_in", OAUTH_ACCESS_TTL_S,
				       "refresh_token", refresh->ptr, "scope", scopes,
				       "created_at", (json_int_t)(created_ms / 1000)));
}

/* --- client authentication --------------------------------------------------- */

/* The calling client: Basic first, then body parameters. A confidential
 * client must prove its secret; a public one may omit it (*proved_out 0). */
static int client_auth(struct web_ctx *c, struct oauth_app **out, int *proved_out)
{
	const char *id = NULL, *secret = NULL;
	struct oauth_app *a = NULL;
	int ret = http_basic_auth(c->req, &id, &secret);

	if (ret == ERR_NOTFOUND) {
		id = oauth_param(c, "client_id");
		secret = oauth_param(c, "client_secret");
		ret = 0;
	}
	if (ret == 0 && (!id || !*id))
		ret = ERR_AUTH;
	if (ret == 0)
		ret = oauth_app_find_by_uid(c->db, id, &a);
	if (ret == ERR_NOTFOUND || ret == ERR_INVALID)
		ret = ERR_AUTH;
	if (ret == 0 && secret && *secret && !oauth_app_secret_ok(a, secret))
		ret = ERR_AUTH;
	if (ret == 0 && (!secret || !*secret) && a->confidential)
		ret = ERR_AUTH;
	if (ret < 0) {
		oauth_app_free(a);
		if (ret == ERR_AUTH)
			invalid_client(c);
		else
			web_fail(c, ret);
		return ret;
	}
	*proved_out = secret && *secret;
	*out = a;
	return 0;
}

/* --- grants ---------------------------------------------------------------------- */

/* RFC 7636 §4.6: S256 is BASE64URL(SHA256(verifier)) without padding. */
static int pkce_ok(const struct oauth_grant *g, const char *verifier)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	const char *want = verifier;
	size_t n;

	if (!g->challenge)
		return 1;
	n = verifier ? strlen(verifier) : 0;
	if (n < 43 || n > 128 || strspn(verifier, VERIFIER_CHARS) != n)
		return 0;
	if (!strcmp(g->challenge_method, "S256")) {
		crypto_hash_sha256(digest, (const unsigned char *)verifier, n);
		sodium_bin2base64(b64, sizeof(b64), digest, sizeof(digest),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		want = b64;
	}
	n = strlen(want);
	return strlen(g->challenge) == n && sodium_memcmp(want, g->challenge, n) == 0;
}

/* The user behind a grant or token must still be allowed in. */
static int owner_active(struct web_ctx *c, int64_t user_id)
{
	struct user *u = NULL;
	int ret = user_find(c->db, user_id, &u);

	if (ret == 0 && !user_is_active(u))
		ret = ERR_NOTFOUND;
	user_free(u);
	return ret;
}

static void grant_authorization_code(struct web_ctx *c, const struct oauth_app *a, int proved)
{
	const char *code = oauth_param(c, "code"), *redirect = oauth_param(c, "redirect_uri");
	struct buf access = BUF_INIT, refresh = BUF_INIT;
	struct oauth_grant *g = NULL;
	int64_t id = 0, now = time_now_ms();
	int ret;

	if (!code || !*code) {
		token_error(c, 400, "invalid_request", "Missing required parameter: code.");
		return;
	}
	ret = oauth_grant_take(c->db, code, now, &g);
	if (ret == 0 && (g->app_id != a->id || !redirect || strcmp(redirect, g->redirect_uri) ||
			 !pkce_ok(g, oauth_param(c, "code_verifier"))))
		ret = ERR_NOTFOUND;
	/* A public client that did not use PKCE has nothing tying it to the code. */
	if (ret == 0 && !proved && !g->challenge)
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = owner_active(c, g->user_id);
	if (ret == 0)
		ret = oauth_token_issue(c->db, a->id, g->user_id, g->id, g->scopes, &access,
					&refresh, &id);
	if (ret == ERR_NOTFOUND || ret == ERR_EXISTS) {
		log_info("oauth", "authorization code refused app_id=%lld", (long long)a->id);
		invalid_grant(c);
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		log_info("oauth", "token issued app_id=%lld user_id=%lld token_id=%lld",
			 (long long)a->id, (long long)g->user_id, (long long)id);
		c->req->user_id = g->user_id;
		token_respond(c, &access, &refresh, g->scopes, now);
	}
	sodium_memzero(access.ptr, access.len);
	sodium_memzero(refresh.ptr, refresh.len);
	buf_release(&access);
	buf_release(&refresh);
	oauth_grant_free(g);
}

static void grant_refresh_token(struct web_ctx *c, const struct oauth_app *a)
{
	const char *secret = oauth_param(c, "refresh_token"), *scope = oauth_param(c, "scope");
	struct buf access = BUF_INIT, refresh = BUF_INIT, scopes = BUF_INIT;
	struct oauth_token *t = NULL;
	int ret = 0;

	if (!secret || !*secret) {
		token_error(c, 400, "invalid_request", "Missing required parameter: refresh_token.");
		return;
	}
	if (scope && *scope && oauth_scopes_normalize(scope, &scopes) < 0)
		ret = ERR_INVALID;
	if (ret == 0)
		ret = oauth_token_refresh(c->db, a->id, secret, scopes.len ? scopes.ptr : NULL,
					  &access, &refresh, &t);
	if (ret == 0 && owner_active(c, t->user_id) < 0) {
		(void)oauth_token_revoke(c->db, t->id);
		ret = ERR_NOTFOUND;
	}
	if (ret == ERR_INVALID) {
		token_error(c, 400, "invalid_scope", "The requested scope is invalid, unknown, or "
			    "malformed.");
	} else if (ret == ERR_NOTFOUND) {
		log_info("oauth", "refresh token refused app_id=%lld", (long long)a->id);
		invalid_grant(c);
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		c->req->user_id = t->user_id;
		token_respond(c, &access, &refresh, t->scopes, t->created_at);
	}
	sodium_memzero(access.ptr, access.len);
	sodium_memzero(refresh.ptr, refresh.len);
	buf_release(&access);
	buf_release(&refresh);
	buf_release(&scopes);
	oauth_token_free(t);
}

static void oauth_token_post(struct web_ctx *c)
{
	const char *type = oauth_param(c, "grant_type");
	struct oauth_app *a = NULL;
	int proved = 0;

	if (!type || !*type) {
		token_error(c, 400, "invalid_request", "Missing required parameter: grant_type.");
		return;
	}
	if (strcmp(type, "authorization_code") && strcmp(type, "refresh_token")) {
		token_error(c, 400, "unsupported_grant_type", "The authorization grant type is "
			    "not supported by the authorization server.");
		return;
	}
	if (client_auth(c, &a, &proved) < 0)
		return;
	if (!strcmp(type, "authorization_code"))
		grant_authorization_code(c, a, proved);
	else
		grant_refresh_token(c, a);
	oauth_app_free(a);
}

/* RFC 7009: the answer is 200 whether or not the token existed, so that it
 * tells a caller nothing; only the client's own tokens are revoked. */
static void oauth_revoke(struct web_ctx *c)
{
	const char *secret = oauth_param(c, "token");
	struct oauth_token *t = NULL;
	struct oauth_app *a = NULL;
	int proved = 0, ret;

	if (client_auth(c, &a, &proved) < 0)
		return;
	if (!secret || !*secret) {
		token_error(c, 400, "invalid_request", "Missing required parameter: token.");
		goto out;
	}
	ret = oauth_token_find_any(c->db, secret, &t);
	if (ret == 0 && t->app_id == a->id) {
		ret = oauth_token_revoke(c->db, t->id);
		log_info("oauth", "token revoked token_id=%lld", (long long)t->id);
	}
	if (ret < 0 && ret != ERR_NOTFOUND)
		web_fail(c, ret);
	else
		respond_json(c, 200, json_object());
out:
	oauth_token_free(t);
	oauth_app_free(a);
}

static const char *bearer(struct web_ctx *c)
{
	const char *h = http_header(c->req, "Authorization");

	if (h && !strncasecmp(h, "Bearer ", 7))
		return h + 7 + strspn(h + 7, " ");
	return http_query(c->req, "access_token");
}

static json_t *scope_array(const char *scopes)
{
	json_t *a = json_array();
	const char *p = scopes;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		p += strspn(p, " ");
	}
	return a;
}

static void oauth_token_info(struct web_ctx *c)
{
	const char *secret = bearer(c);
	struct oauth_token *t = NULL;
	int64_t now = time_now_ms(), left;
	int ret = secret && *secret ? oauth_token_find_access(c->db, secret, &t) : ERR_NOTFOUND;

	if (ret == 0 && (!oauth_token_is_active(t, now) || owner_active(c, t->user_id) < 0))
		ret = ERR_NOTFOUND;
	if (ret == ERR_NOTFOUND) {
		http_add_header(c->req, "WWW-Authenticate", "Bearer realm=\"Doorkeeper\","
				" error=\"invalid_token\", error_description=\"The access token"
				" is invalid\"");
		respond_json(c, 401, json_pack("{s:s, s:s}", "error", "invalid_token",
					       "error_description", "The access token is invalid"));
	} else if (ret < 0) {
		web_fail(c, ret);
	} else {
		left = (t->expires_at - now) / 1000;
		respond_json(c, 200, json_pack("{s:I, s:o, s:o, s:I, s:I, s:{s:s}, s:I}",
					       "resource_owner_id", (json_int_t)t->user_id,
					       "scope", scope_array(t->scopes),
					       "scopes", scope_array(t->scopes),
					       "expires_in", (json_int_t)left,
					       "expires_in_seconds", (json_int_t)left,
					       "application", "uid", t->app_uid,
					       "created_at", (json_int_t)(t->created_at / 1000)));
	}
	oauth_token_free(t);
}

/* --- the route ----------------------------------------------------------------- */

enum oauth_flags {
	OAUTH_GET = 1 << 0,
	OAUTH_POST = 1 << 1,
	OAUTH_SESSION = 1 << 2,	/* a browser page: session cookie and CSRF apply */
};

struct oauth_page {
	const char *path;
	unsigned flags;
	void (*handler)(struct web_ctx *c);
};

static const struct oauth_page pages[] = {
	{ "/oauth/authorize", OAUTH_GET | OAUTH_POST | OAUTH_SESSION, oauth_authorize },
	{ "/oauth/token", OAUTH_POST, oauth_token_post },
	{ "/oauth/revoke", OAUTH_POST, oauth_revoke },
	{ "/oauth/token/info", OAUTH_GET, oauth_token_info },
	{ "/oauth/applications", OAUTH_GET | OAUTH_POST | OAUTH_SESSION, oauth_applications },
};

/* A JSON object body becomes form fields: strings as they are, numbers and
 * booleans as their text. */
static int json_body_parse(struct web_ctx *c)
{
	json_t *o = json_loadb(c->req->body.ptr, c->req->body.len, JSON_REJECT_DUPLICATES, NULL);
	const char *k;
	json_t *v;
	int ret = json_is_object(o) ? 0 : ERR_INVALID;

	json_object_foreach(o, k, v) {
		char *text;

		if (ret < 0 || c->nform >= WEB_FORM_FIELDS_MAX) {
			ret = ERR_INVALID;
			break;
		}
		if (json_is_string(v))
			text = xstrdup(json_string_value(v));
		else if (json_is_integer(v) || json_is_boolean(v))
			text = json_dumps(v, JSON_ENCODE_ANY);
		else
			continue;
		c->form = xrealloc(c->form, (c->nform + 1) * sizeof(*c->form));
		c->form[c->nform].name = xstrdup(k);
		c->form[c->nform].value = text;
		c->nform++;
	}
	json_decref(o);
	return ret;
}

static int body_parse(struct web_ctx *c)
{
	const char *ctype = http_header(c->req, "Content-Type");

	if (c->req->body.len && memchr(c->req->body.ptr, '\0', c->req->body.len))
		return ERR_INVALID;
	if (ctype && !strncasecmp(ctype, "application/json", 16))
		return json_body_parse(c);
	return web_form_parse(c);
}

static int oauth_match(struct http_req *req)
{
	const char *p = http_path(req);

	return !strncmp(p, "/oauth/", 7) || !strcmp(p, "/oauth");
}

static void oauth_ctx_release(struct web_ctx *c)
{
	for (size_t i = 0; i < c->nform; i++) {
		free(c->form[i].name);
		free(c->form[i].value);
	}
	free(c->form);
	free(c->sess);
	principal_release(&c->who);
	buf_release(&c->csrf);
	buf_release(&c->out);
	buf_release(&c->base);
}

/* Checks what every page needs before its handler: method, body, session
 * and, for browser forms, the CSRF token. 0 when the handler may run. */
static int oauth_prepare(struct web_ctx *c, const struct oauth_page *pg)
{
	if (!(pg->flags & (c->is_post ? OAUTH_POST : OAUTH_GET))) {
		http_add_header(c->req, "Allow", pg->flags & OAUTH_GET ? "GET, HEAD" : "POST");
		web_error(c, 405, "This address does not accept that kind of request.");
		return ERR_INVALID;
	}
	if (pg->flags & OAUTH_SESSION && web_session_load(c) < 0) {
		web_error(c, 503, NULL);
		return ERR_UNAVAILABLE;
	}
	c->req->user_id = c->who.user ? c->who.user->id : 0;
	if (!c->is_post)
		return 0;
	if (body_parse(c) < 0) {
		if (pg->flags & OAUTH_SESSION)
			web_error(c, 400, "The form could not be read.");
		else
			token_error(c, 400, "invalid_request", "The request body could not be read.");
		return ERR_INVALID;
	}
	if (pg->flags & OAUTH_SESSION && !web_csrf_ok(c)) {
		log_info("oauth", "csrf token refused path=\"%.128s\"", c->path);
		web_error(c, 422, "The form expired or did not come from this site. "
			  "Reload the page and try again.");
		return ERR_DENIED;
	}
	return 0;
}

static void oauth_end(struct http_req *req)
{
	struct web_ctx c = { 0 };
	const char *m = http_method(req);
	struct app *app = req->app;
	const struct oauth_page *pg = NULL;

	c.req = req;
	c.app = app;
	c.path = http_path(req);
	buf_init(&c.csrf, 128);
	buf_init(&c.out, SIZE_MAX - 1);
	buf_init(&c.base, LIMIT_FULL_PATH + 2);
	c.is_post = !strcmp(m, "POST");
	for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++)
		if (!strcmp(c.path, pages[i].path))
			pg = &pages[i];
	if (!c.is_post && strcmp(m, "GET") && strcmp(m, "HEAD")) {
		http_add_header(req, "Allow", "GET, HEAD, POST");
		web_error(&c, 405, NULL);
		goto out;
	}
	if (!pg) {
		web_error(&c, 404, NULL);
		goto out;
	}
	c.db = db_get(app->pool);
	if (!c.db) {
		web_error(&c, 503, NULL);
		goto out;
	}
	if (oauth_prepare(&c, pg) == 0)
		pg->handler(&c);
out:
	if (c.db)
		db_put(app->pool, c.db);
	oauth_ctx_release(&c);
}

const struct http_route oauth_routes[] = {
	{ .name = "oauth", .match = oauth_match, .end = oauth_end, .body_max = OAUTH_BODY_MAX },
};
