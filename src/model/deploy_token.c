#include "deploy_token.h"
#include "names.h"
#include "namespace.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define DT_COLUMNS "id, project_id, namespace_id, name, username, scopes, expires_at, revoked," \
		   " created_at"

static const char *const scope_names[] = {
	"read_repository", "write_repository", "read_registry", "write_registry",
	"read_package_registry", "write_package_registry",
};
#define NSCOPES ((int)(sizeof(scope_names) / sizeof(scope_names[0])))

const char *deploy_token_scope_name(int i)
{
	return i >= 0 && i < NSCOPES ? scope_names[i] : NULL;
}

int deploy_token_scopes_parse(const char *list, unsigned *out)
{
	unsigned flags = 0;
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		int found = 0;

		for (int i = 0; i < NSCOPES; i++) {
			if (strlen(scope_names[i]) == n && !memcmp(p, scope_names[i], n)) {
				flags |= 1u << i;
				found = 1;
			}
		}
		if (!found)
			return ERR_INVALID;
		p += n;
		p += *p == ',';
	}
	if (!flags)
		return ERR_INVALID;
	*out = flags;
	return 0;
}

static void scopes_format_dt(struct buf *out, unsigned flags)
{
	for (int i = 0; i < NSCOPES; i++)
		if (flags & (1u << i))
			buf_addf(out, "%s%s", out->len ? "," : "", scope_names[i]);
}

static struct deploy_token *dt_from_row(struct db_stmt *st)
{
	struct deploy_token *t = xcalloc(1, sizeof(*t));
	unsigned scopes = 0;

	t->id = db_col_int64(st, 0);
	t->project_id = db_col_int64(st, 1);
	t->namespace_id = db_col_int64(st, 2);
	t->name = db_col_strdup(st, 3);
	t->username = db_col_strdup(st, 4);
	if (deploy_token_scopes_parse(db_col_text(st, 5), &scopes) == 0)
		t->scopes = scopes;
	t->expires_at = db_col_int64(st, 6);
	t->revoked = (int)db_col_int64(st, 7);
	t->created_at = db_col_int64(st, 8);
	return t;
}

void deploy_token_free(struct deploy_token *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->username);
	free(t);
}

/* GitLab: letters, digits, '_', '-', '+' and '.'. */
static int username_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= DEPLOY_TOKEN_USERNAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+.") == n;
}

static int req_check(const struct deploy_token_req *r, int64_t now, struct buf *err)
{
	if (names_check_display(r->name, "name", err) < 0)
		return ERR_INVALID;
	if (r->username && *r->username && !username_ok(r->username)) {
		buf_addstr(err, "username can contain only letters, digits, '_', '-', '+', and '.'");
		return ERR_INVALID;
	}
	if (!r->scopes || (r->scopes & ~(unsigned)DT_SCOPE_ALL)) {
		buf_addstr(err, "scopes can't be blank");
		return ERR_INVALID;
	}
	if (r->expires_at && r->expires_at <= now) {
		buf_addstr(err, "expires_at must be in the future");
		return ERR_INVALID;
	}
	if (!r->project_id == !r->namespace_id)
		BUG("a deploy token belongs to a project or a group");
	return 0;
}

static void secret_generate(struct buf *out)
{
	struct buf pat = BUF_INIT;

	/* The same 40 random base62 characters as a personal access token. */
	token_generate(&pat);
	buf_addstr(out, DEPLOY_TOKEN_PREFIX);
	buf_addstr(out, pat.ptr + strlen(TOKEN_PREFIX));
	sodium_memzero(pat.ptr, pat.len);
	buf_release(&pat);
}

int deploy_token_create(struct db *db, const struct deploy_token_req *r,
			struct buf *secret_out, int64_t *id_out, struct buf *err)
{
	struct buf secret = BUF_INIT, hash = BUF_INIT, scopes = BUF_INIT, name = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms(), id = 0;
	int ret;

	ret = req_check(r, now, err);
	if (ret < 0)
		return ret;
	secret_generate(&secret);
	token_hash(&hash, secret.ptr);
	scopes_format_dt(&scopes, r->scopes);
	ret = db_tx_begin(db);
	if (ret == 0)
		ret = db_queryp(db, &st, "INSERT INTO deploy_tokens (project_id, namespace_id, name,"
				" username, token_hash, scopes, expires_at, created_at)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", "IIssssIi",
				r->project_id, r->namespace_id, r->name,
				r->username && *r->username ? r->username : "", hash.ptr,
				scopes.ptr, r->expires_at, now);
	if (ret > 0) {
		id = db_col_int64(st, 0);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_INTERNAL;
	}
	db_stmt_free(st);
	/* The default username names the id, known only now. */
	if (ret == 0 && !(r->username && *r->username)) {
		buf_addf(&name, "gitlab+deploy-token-%lld", (long long)id);
		ret = db_execp(db, "UPDATE deploy_tokens SET username = $1 WHERE id = $2", "si",
			       name.ptr, id);
	}
	ret = db_tx_end(db, ret);
	if (ret == 0) {
		buf_add(secret_out, secret.ptr, secret.len);
		*id_out = id;
	}
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&hash);
	buf_release(&scopes);
	buf_release(&name);
	return ret;
}

int deploy_token_find(struct db *db, int64_t id, struct deploy_token **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " DT_COLUMNS " FROM deploy_tokens WHERE id = $1",
			    "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = dt_from_row(st);
	db_stmt_free(st);
	return 0;
}

int deploy_token_find_by_secret(struct db *db, const char *secret, struct deploy_token **out)
{
	struct buf hash = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	if (strlen(secret) > 255 || strncmp(secret, DEPLOY_TOKEN_PREFIX, strlen(DEPLOY_TOKEN_PREFIX)))
		return ERR_NOTFOUND;
	token_hash(&hash, secret);
	ret = db_queryp(db, &st, "SELECT " DT_COLUMNS " FROM deploy_tokens WHERE token_hash = $1",
			"s", hash.ptr);
	buf_release(&hash);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = dt_from_row(st);
	db_stmt_free(st);
	return 0;
}

int deploy_token_is_active(const struct deploy_token *t, int64_t now_ms)
{
	return !t->revoked && (!t->expires_at || t->expires_at > now_ms);
}

int deploy_token_applies(struct db *db, const struct deploy_token *t, int64_t project_id,
			 int64_t namespace_id)
{
	int64_t ns = namespace_id;

	if (t->project_id)
		return t->project_id == project_id;
	for (int depth = 0; ns && depth <= LIMIT_NAMESPACE_DEPTH; depth++) {
		struct namespace *n = NULL;

		if (ns == t->namespace_id)
			return 1;
		if (namespace_find(db, ns, &n) < 0)
			return 0;
		ns = n->parent_id;
		namespace_free(n);
	}
	return 0;
}

int deploy_token_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "DELETE FROM deploy_tokens WHERE id = $1 RETURNING id", "i",
			    id);

	db_stmt_free(st);
	return ret < 0 ? ret : ret == 0 ? ERR_NOTFOUND : 0;
}

/* $1 project (0: any), $2 namespace (0: any), $3 active only, $4 now. */
#define DT_WHERE \
	" FROM deploy_tokens WHERE ($1 = 0 OR project_id = $1) AND ($2 = 0 OR namespace_id = $2)" \
	" AND ($3 = 0 OR (revoked = 0 AND (expires_at IS NULL OR expires_at > $4)))"

int deploy_token_count(struct db *db, const struct deploy_token_filter *f, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*)" DT_WHERE, "iiii", f->project_id,
			    f->namespace_id, (int64_t)f->active_only, time_now_ms());

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int deploy_token_list(struct db *db, const struct deploy_token_filter *f, int64_t offset,
		      int64_t limit, int (*fn)(const struct deploy_token *t, void *ctx),
		      void *ctx)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, &st, "SELECT " DT_COLUMNS DT_WHERE " ORDER BY id LIMIT $5 OFFSET $6");
	if (ret == 0)
		ret = db_bind_int64(st, 1, f->project_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, f->namespace_id);
	if (ret == 0)
		ret = db_bind_int64(st, 3, f->active_only);
	if (ret == 0)
		ret = db_bind_int64(st, 4, time_now_ms());
	if (ret == 0)
		ret = db_bind_int64(st, 5, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 6, offset);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct deploy_token *t = dt_from_row(st);

		ret = fn(t, ctx);
		deploy_token_free(t);
	}
	db_stmt_free(st);
	return ret;
}
