#include "oauth_app.h"
#include "names.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define APP_COLUMNS "id, uid, secret_hash, name, redirect_uri, scopes, confidential," \
	" owner_id, created_at"
#define URI_SPACE " \t\r\n"
#define SCOPE_WORD_MAX 64

static struct oauth_app *app_from_row(struct db_stmt *st)
{
	struct oauth_app *a = xcalloc(1, sizeof(*a));

	a->id = db_col_int64(st, 0);
	a->uid = db_col_strdup(st, 1);
	a->secret_hash = db_col_strdup(st, 2);
	a->name = db_col_strdup(st, 3);
	a->redirect_uri = db_col_strdup(st, 4);
	a->scopes = db_col_strdup(st, 5);
	a->confidential = (int)db_col_int64(st, 6);
	a->owner_id = db_col_is_null(st, 7) ? 0 : db_col_int64(st, 7);
	a->created_at = db_col_int64(st, 8);
	return a;
}

void oauth_app_free(struct oauth_app *a)
{
	if (!a)
		return;
	free(a->uid);
	free(a->secret_hash);
	free(a->name);
	free(a->redirect_uri);
	free(a->scopes);
	free(a);
}

static void random_hex(struct buf *out, size_t nbytes)
{
	unsigned char raw[32];

	randombytes_buf(raw, nbytes);
	buf_add_hex(out, raw, nbytes);
	sodium_memzero(raw, sizeof(raw));
}

/* One URI: absolute, printable ASCII, no fragment (RFC 6749 §3.1.2), and
 * not a scheme that runs code in the browser that follows the redirect. */
static int redirect_uri_check(const char *s, size_t n, struct buf *err)
{
	static const char *const refused[] = { "javascript", "data", "vbscript", NULL };
	size_t scheme = 0;

	if (n > OAUTH_REDIRECT_URI_LEN) {
		buf_addf(err, "redirect_uri is longer than %d characters", OAUTH_REDIRECT_URI_LEN);
		return ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '#') {
			buf_addstr(err, "redirect_uri cannot contain a fragment, spaces or "
				   "non-ASCII characters");
			return ERR_INVALID;
		}
	}
	while (scheme < n && (((s[scheme] | 0x20) >= 'a' && (s[scheme] | 0x20) <= 'z') ||
			      (scheme && strchr("0123456789+.-", s[scheme]))))
		scheme++;
	if (!scheme || scheme >= n || s[scheme] != ':' || scheme + 1 == n) {
		buf_addstr(err, "redirect_uri must be an absolute URI");
		return ERR_INVALID;
	}
	for (int i = 0; refused[i]; i++) {
		if (strlen(refused[i]) == scheme && !strncasecmp(s, refused[i], scheme)) {
			buf_addstr(err, "redirect_uri is forbidden by the server");
			return ERR_INVALID;
		}
	}
	if ((scheme == 4 && !strncasecmp(s, "http", 4)) ||
	    (scheme == 5 && !strncasecmp(s, "https", 5))) {
		const char *host = s + scheme + 1;

		if (n - scheme - 1 < 3 || strncmp(host, "//", 2) || strchr("/?", host[2])) {
			buf_addstr(err, "redirect_uri must be an absolute URI");
			return ERR_INVALID;
		}
	}
	return 0;
}

int oauth_redirect_uris_check(const char *list, struct buf *err)
{
	const char *p = list + strspn(list, URI_SPACE);
	int count = 0;

	while (*p) {
		size_t n = strcspn(p, URI_SPACE);

		if (++count > OAUTH_REDIRECT_URIS_MAX) {
			buf_addf(err, "redirect_uri cannot hold more than %d URIs",
				 OAUTH_REDIRECT_URIS_MAX);
			return ERR_INVALID;
		}
		if (redirect_uri_check(p, n, err) < 0)
			return ERR_INVALID;
		p += n;
		p += strspn(p, URI_SPACE);
	}
	if (!count) {
		buf_addstr(err, "redirect_uri can't be blank");
		return ERR_INVALID;
	}
	return 0;
}

int oauth_scopes_normalize(const char *list, struct buf *out)
{
	struct buf words = BUF_INIT_MAX(OAUTH_SCOPES_LEN);
	const char *p = list;
	int ret = 0;

	while (*p && ret == 0) {
		size_t n = strcspn(p, " +,\t\r\n");

		if (n > SCOPE_WORD_MAX)
			ret = ERR_INVALID;
		for (size_t i = 0; i < n && ret == 0; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_:.-", p[i]))
				ret = ERR_INVALID;
		if (n && ret == 0 && !oauth_scopes_subset_n(p, n, words.ptr)) {
			if (words.len)
				buf_addch(&words, ' ');
			buf_add(&words, p, n);
		}
		p += n;
		p += strspn(p, " +,\t\r\n");
	}
	if (ret == 0 && (!words.len || buf_error(&words)))
		ret = ERR_INVALID;
	if (ret == 0)
		buf_add(out, words.ptr, words.len);
	buf_release(&words);
	return ret;
}

int oauth_scopes_subset_n(const char *s, size_t n, const char *have)
{
	const char *p = have;

	while (*p) {
		size_t m = strcspn(p, " ");

		if (m == n && !strncmp(p, s, n))
			return 1;
		p += m;
		p += strspn(p, " ");
	}
	return 0;
}

int oauth_scopes_subset(const char *want, const char *have)
{
	const char *p = want;

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n && !oauth_scopes_subset_n(p, n, have))
			return 0;
		p += n;
		p += strspn(p, " ");
	}
	return 1;
}

unsigned oauth_scopes_flags(const char *scopes)
{
	unsigned flags = 0;

	for (int i = 0; scope_name(i); i++)
		if (oauth_scopes_subset_n(scope_name(i), strlen(scope_name(i)), scopes))
			flags |= 1u << i;
	return flags;
}

int oauth_app_create(struct db *db, const char *name, const char *redirect_uri,
		     const char *scopes, int confidential, int64_t owner_id,
		     struct buf *secret_out, int64_t *id_out, struct buf *err)
{
	struct buf uid = BUF_INIT, secret = BUF_INIT, hash = BUF_INIT, words = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	if (names_check_display(name, "name", err) < 0 ||
	    oauth_redirect_uris_check(redirect_uri, err) < 0)
		return ERR_INVALID;
	if (oauth_scopes_normalize(scopes, &words) < 0) {
		buf_addstr(err, "scopes must be words of a-z, 0-9, _ : . -");
		buf_release(&words);
		return ERR_INVALID;
	}
	random_hex(&uid, 32);
	random_hex(&secret, 32);
	token_hash(&hash, secret.ptr);
	ret = db_queryp(db, &st,
			"INSERT INTO oauth_applications (uid, secret_hash, name, redirect_uri,"
			" scopes, confidential, owner_id, created_at)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
			"sssssiIi", uid.ptr, hash.ptr, name, redirect_uri, words.ptr,
			(int64_t)(confidential != 0), owner_id, time_now_ms());
	if (ret > 0) {
		*id_out = db_col_int64(st, 0);
		buf_add(secret_out, secret.ptr, secret.len);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_INTERNAL;
	}
	db_stmt_free(st);
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&uid);
	buf_release(&hash);
	buf_release(&words);
	return ret;
}

static int app_query(struct db *db, struct oauth_app **out, const char *where, const char *fmt,
		     const void *arg)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	buf_addf(&sql, "SELECT " APP_COLUMNS " FROM oauth_applications WHERE %s", where);
	if (fmt[0] == 'i')
		ret = db_queryp(db, &st, sql.ptr, "i", *(const int64_t *)arg);
	else
		ret = db_queryp(db, &st, sql.ptr, "s", (const char *)arg);
	buf_release(&sql);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = app_from_row(st);
	db_stmt_free(st);
	return 0;
}

int oauth_app_find(struct db *db, int64_t id, struct oauth_app **out)
{
	return app_query(db, out, "id = $1", "i", &id);
}

int oauth_app_find_by_uid(struct db *db, const char *uid, struct oauth_app **out)
{
	if (strlen(uid) != 64)
		return ERR_NOTFOUND;
	return app_query(db, out, "uid = $1", "s", uid);
}

int oauth_app_list(struct db *db, int64_t owner_id,
		   int (*fn)(const struct oauth_app *a, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, &st, "SELECT " APP_COLUMNS " FROM oauth_applications"
			 " WHERE $1 = -1 OR ($1 = 0 AND owner_id IS NULL) OR owner_id = $1"
			 " ORDER BY id");
	if (ret == 0)
		ret = db_bind_int64(st, 1, owner_id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct oauth_app *a = app_from_row(st);

		ret = fn(a, ctx);
		oauth_app_free(a);
	}
	db_stmt_free(st);
	return ret;
}

int oauth_app_delete(struct db *db, int64_t id)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "DELETE FROM oauth_applications WHERE id = $1 RETURNING id",
			    "i", id);

	db_stmt_free(st);
	return ret < 0 ? ret : ret == 0 ? ERR_NOTFOUND : 0;
}

int oauth_app_renew_secret(struct db *db, int64_t id, struct buf *secret_out)
{
	struct buf secret = BUF_INIT, hash = BUF_INIT;
	struct db_stmt *st = NULL;
	int ret;

	random_hex(&secret, 32);
	token_hash(&hash, secret.ptr);
	ret = db_queryp(db, &st, "UPDATE oauth_applications SET secret_hash = $1 WHERE id = $2"
			" RETURNING id", "si", hash.ptr, id);
	db_stmt_free(st);
	if (ret > 0)
		buf_add(secret_out, secret.ptr, secret.len);
	ret = ret < 0 ? ret : ret == 0 ? ERR_NOTFOUND : 0;
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&hash);
	return ret;
}

int oauth_app_secret_ok(const struct oauth_app *a, const char *secret)
{
	struct buf hash = BUF_INIT;
	int ok;

	if (strlen(secret) > 255)
		return 0;
	token_hash(&hash, secret);
	ok = hash.len == strlen(a->secret_hash) &&
	     sodium_memcmp(hash.ptr, a->secret_hash, hash.len) == 0;
	buf_release(&hash);
	return ok;
}

int oauth_app_redirect_ok(const struct oauth_app *a, const char *uri)
{
	const char *p = a->redirect_uri + strspn(a->redirect_uri, URI_SPACE);
	size_t len = strlen(uri);

	while (*p) {
		size_t n = strcspn(p, URI_SPACE);

		if (n == len && !memcmp(p, uri, n))
			return 1;
		p += n;
		p += strspn(p, URI_SPACE);
	}
	return 0;
}

int oauth_app_redirect_single(const struct oauth_app *a, struct buf *out)
{
	const char *p = a->redirect_uri + strspn(a->redirect_uri, URI_SPACE);
	size_t n = strcspn(p, URI_SPACE);

	if (!n || p[n + strspn(p + n, URI_SPACE)])
		return ERR_NOTFOUND;
	buf_add(out, p, n);
	return 0;
}
