#include "ssh_key.h"
#include "names.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define KEY_COLUMNS "id, kind, user_id, title, key, key_type, fingerprint_sha256," \
		    " fingerprint_md5, usage_type, expires_at, last_used_at, created_at"

static void key_from_row(struct db_stmt *st, struct ssh_key *k)
{
	k->id = db_col_int64(st, 0);
	k->kind = db_col_strdup(st, 1);
	k->user_id = db_col_int64(st, 2);
	k->title = db_col_strdup(st, 3);
	k->key = db_col_strdup(st, 4);
	k->key_type = db_col_strdup(st, 5);
	k->fingerprint_sha256 = db_col_strdup(st, 6);
	k->fingerprint_md5 = db_col_strdup(st, 7);
	k->usage_type = db_col_strdup(st, 8);
	k->expires_at = db_col_int64(st, 9);
	k->last_used_at = db_col_int64(st, 10);
	k->created_at = db_col_int64(st, 11);
}

static void key_release(struct ssh_key *k)
{
	free(k->kind);
	free(k->title);
	free(k->key);
	free(k->key_type);
	free(k->fingerprint_sha256);
	free(k->fingerprint_md5);
	free(k->usage_type);
}

void ssh_key_free(struct ssh_key *k)
{
	if (!k)
		return;
	key_release(k);
	free(k);
}

static int usage_valid(const char *u)
{
	return !strcmp(u, "auth") || !strcmp(u, "signing") || !strcmp(u, "auth_and_signing");
}

int ssh_key_create(struct db *db, const struct ssh_key_req *r, int64_t *id_out, struct buf *err)
{
	struct buf norm = BUF_INIT_MAX(SSH_KEY_TEXT_MAX + 16), sha = BUF_INIT, md5 = BUF_INIT;
	struct ssh_key_info info = { .normalised = &norm, .sha256 = &sha, .md5 = &md5 };
	const char *usage = r->usage_type ? r->usage_type : "auth_and_signing";
	struct db_stmt *st = NULL;
	int ret;

	ret = names_check_display(r->title, "title", err);
	if (ret == 0 && !usage_valid(usage)) {
		buf_addstr(err, "usage_type is invalid");
		ret = ERR_INVALID;
	}
	if (ret == 0 && r->expires_at && r->expires_at <= time_now_ms()) {
		buf_addstr(err, "expires_at must be in the future");
		ret = ERR_INVALID;
	}
	if (ret == 0)
		ret = ssh_key_parse(r->key, &info, err);
	if (ret == 0)
		ret = db_queryp(db, &st, "INSERT INTO ssh_keys (kind, user_id, title, key, key_type,"
				" fingerprint_sha256, fingerprint_md5, usage_type, expires_at, created_at)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
				"sIssssssIi", r->kind, r->user_id, r->title, norm.ptr, info.type,
				sha.ptr, md5.ptr, usage, r->expires_at, time_now_ms());
	if (ret == ERR_EXISTS)
		buf_addstr(err, "fingerprint_sha256 has already been taken");
	if (ret == 1) {
		*id_out = db_col_int64(st, 0);
		db_stmt_free(st);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_INTERNAL;
	}
	buf_release(&norm);
	buf_release(&sha);
	buf_release(&md5);
	return ret;
}

static int key_query_one(struct db *db, const char *sql, const char *fmt, const char *s,
			 int64_t id, struct ssh_key **out)
{
	struct db_stmt *st = NULL;
	int ret = s ? db_queryp(db, &st, sql, fmt, s) : db_queryp(db, &st, sql, fmt, id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = xcalloc(1, sizeof(**out));
	key_from_row(st, *out);
	db_stmt_free(st);
	return 0;
}

int ssh_key_find(struct db *db, int64_t id, struct ssh_key **out)
{
	return key_query_one(db, "SELECT " KEY_COLUMNS " FROM ssh_keys WHERE id = $1", "i", NULL,
			     id, out);
}

int ssh_key_find_by_fingerprint(struct db *db, const char *fp, struct ssh_key **out)
{
	if (!strncmp(fp, "SHA256:", 7))
		return key_query_one(db, "SELECT " KEY_COLUMNS " FROM ssh_keys"
				     " WHERE fingerprint_sha256 = $1", "s", fp, 0, out);
	if (!strncmp(fp, "MD5:", 4))
		fp += 4;
	return key_query_one(db, "SELECT " KEY_COLUMNS " FROM ssh_keys WHERE fingerprint_md5 = $1"
			     " ORDER BY id LIMIT 1", "s", fp, 0, out);
}

int ssh_key_update(struct db *db, int64_t id, const char *title)
{
	return db_execp(db, "UPDATE ssh_keys SET title = $1 WHERE id = $2", "si", title, id);
}

int ssh_key_delete(struct db *db, int64_t id)
{
	return db_execp(db, "DELETE FROM ssh_keys WHERE id = $1", "i", id);
}

int ssh_key_count(struct db *db, const char *kind, int64_t user_id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = user_id ?
		db_queryp(db, &st, "SELECT count(*) FROM ssh_keys WHERE kind = $1 AND user_id = $2",
			  "si", kind, user_id) :
		db_queryp(db, &st, "SELECT count(*) FROM ssh_keys WHERE kind = $1", "s", kind);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int ssh_key_list(struct db *db, const char *kind, int64_t user_id, int64_t offset, int64_t limit,
		 int (*fn)(const struct ssh_key *k, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret = db_prepare(db, &st, user_id ?
			     "SELECT " KEY_COLUMNS " FROM ssh_keys WHERE kind = $1 AND user_id = $4"
			     " ORDER BY id LIMIT $2 OFFSET $3" :
			     "SELECT " KEY_COLUMNS " FROM ssh_keys WHERE kind = $1"
			     " ORDER BY id LIMIT $2 OFFSET $3");

	if (ret == 0)
		ret = db_bind_text(st, 1, kind);
	if (ret == 0)
		ret = db_bind_int64(st, 2, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 3, offset);
	if (ret == 0 && user_id)
		ret = db_bind_int64(st, 4, user_id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct ssh_key k;
		int stop;

		key_from_row(st, &k);
		stop = fn(&k, ctx);
		key_release(&k);
		ret = 0;
		if (stop)
			break;
	}
	db_stmt_free(st);
	return ret < 0 ? ret : 0;
}
