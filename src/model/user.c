#include "user.h"
#include "user_internal.h"
#include "names.h"
#include "namespace.h"
#include "auth/password.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

struct user *user_from_row(struct db_stmt *st)
{
	struct user *u = xcalloc(1, sizeof(*u));

	u->id = db_col_int64(st, 0);
	u->username = db_col_strdup(st, 1);
	u->email = db_col_strdup(st, 2);
	u->name = db_col_strdup(st, 3);
	u->state = db_col_strdup(st, 4);
	u->password_hash = db_col_strdup(st, 5);
	u->is_admin = (int)db_col_int64(st, 6);
	u->created_at = db_col_int64(st, 7);
	u->updated_at = db_col_int64(st, 8);
	u->last_sign_in_at = db_col_int64(st, 9);
	u->last_activity_at = db_col_int64(st, 10);
	u->namespace_id = db_col_int64(st, 11);
	return u;
}

void user_free(struct user *u)
{
	if (!u)
		return;
	free(u->username);
	free(u->email);
	free(u->name);
	free(u->state);
	free(u->password_hash);
	free(u);
}

int user_is_active(const struct user *u)
{
	return !strcmp(u->state, "active");
}

static int user_req_check(const struct user_req *req, struct buf *err)
{
	if (names_check_segment(req->username, strlen(req->username), "username", err) < 0 ||
	    names_check_top_level(req->username, err) < 0 ||
	    names_check_email(req->email, err) < 0 ||
	    (req->name && names_check_display(req->name, "name", err) < 0))
		return ERR_INVALID;
	if (req->password && password_check_policy(req->password, err) < 0)
		return ERR_INVALID;
	return 0;
}

int user_create(struct db *db, const struct user_req *req, int64_t *id_out, struct buf *err)
{
	struct db_stmt *st = NULL;
	char *hash = NULL;
	int64_t now = time_now_ms(), id = 0, ns_id = 0;
	int ret;

	ret = user_req_check(req, err);
	if (ret < 0)
		return ret;
	if (req->password && password_hash(&hash, req->password) < 0)
		return ERR_INTERNAL;
	ret = db_tx_begin(db);
	if (ret < 0)
		goto out_free;
	ret = db_queryp(db, &st,
			"INSERT INTO users (username, email, name, password_hash, is_admin,"
			" created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
			"ssssii", req->username, req->email, req->name ? req->name : req->username,
			hash, (int64_t)(req->is_admin != 0), now);
	if (ret > 0) {
		id = db_col_int64(st, 0);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_INTERNAL;
	}
	db_stmt_free(st);
	if (ret == 0)
		ret = namespace_create_for_user(db, id, req->username,
						req->name ? req->name : req->username, &ns_id);
	if (ret == ERR_EXISTS)
		buf_addstr(err, "username or email has already been taken");
	ret = db_tx_end(db, ret);
	if (ret == 0)
		*id_out = id;
out_free:
	free(hash);
	return ret;
}

static int user_find_where(struct db *db, const char *where, const char *fmt, const void *arg,
			   struct user **out)
{
	struct db_stmt *st = NULL;
	struct buf sql = BUF_INIT;
	int ret;

	buf_addf(&sql, "SELECT " USER_COLUMNS " FROM users u WHERE %s", where);
	if (fmt[0] == 'i')
		ret = db_queryp(db, &st, sql.ptr, fmt, *(const int64_t *)arg);
	else
		ret = db_queryp(db, &st, sql.ptr, fmt, (const char *)arg);
	buf_release(&sql);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return ERR_NOTFOUND;
	*out = user_from_row(st);
	db_stmt_free(st);
	return 0;
}

int user_find(struct db *db, int64_t id, struct user **out)
{
	return user_find_where(db, "u.id = $1", "i", &id, out);
}

int user_find_by_username(struct db *db, const char *username, struct user **out)
{
	return user_find_where(db, "lower(u.username) = lower($1)", "s", username, out);
}

int user_find_by_login(struct db *db, const char *login, struct user **out)
{
	if (strchr(login, '@'))
		return user_find_where(db, "lower(u.email) = lower($1)", "s", login, out);
	return user_find_by_username(db, login, out);
}

int user_set_password(struct db *db, int64_t id, const char *password, struct buf *err)
{
	char *hash = NULL;
	int ret;

	ret = password_check_policy(password, err);
	if (ret < 0)
		return ret;
	if (password_hash(&hash, password) < 0)
		return ERR_INTERNAL;
	ret = db_execp(db, "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
		       "sii", hash, time_now_ms(), id);
	free(hash);
	return ret;
}

int user_set_state(struct db *db, int64_t id, const char *state)
{
	return db_execp(db, "UPDATE users SET state = $1, updated_at = $2 WHERE id = $3", "sii",
			state, time_now_ms(), id);
}

int user_touch_sign_in(struct db *db, int64_t id)
{
	return db_execp(db, "UPDATE users SET last_sign_in_at = $1 WHERE id = $2", "ii",
			time_now_ms(), id);
}

int user_count(struct db *db, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*) FROM users", "");

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int user_list(struct db *db, int64_t offset, int64_t limit,
	      int (*fn)(const struct user *u, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, &st, "SELECT " USER_COLUMNS
			 " FROM users u ORDER BY u.id DESC LIMIT $1 OFFSET $2");
	if (ret == 0)
		ret = db_bind_int64(st, 1, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 2, offset);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct user *u = user_from_row(st);

		ret = fn(u, ctx);
		user_free(u);
	}
	db_stmt_free(st);
	return ret;
}
