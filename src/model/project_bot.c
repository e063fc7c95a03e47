#include "project_bot.h"
#include "member.h"
#include "pat.h"
#include "user.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "db/db.h"

#include <sodium.h>
#include <string.h>

static void bot_username(struct buf *out, int64_t project_id)
{
	unsigned char raw[16];

	randombytes_buf(raw, sizeof(raw));
	buf_addf(out, "project_%lld_bot_", (long long)project_id);
	buf_add_hex(out, raw, sizeof(raw));
}

int project_bot_create(struct db *db, const struct project_bot_req *r, struct buf *secret_out,
		       int64_t *token_id_out, struct buf *err)
{
	struct buf username = BUF_INIT, email = BUF_INIT;
	struct user_req ur = { 0 };
	int64_t uid = 0, tid = 0;
	int ret;

	bot_username(&username, r->project_id);
	buf_addf(&email, "%s@noreply.kura.invalid", username.ptr);
	ur.username = username.ptr;
	ur.email = email.ptr;
	ur.name = r->name;
	ret = db_tx_begin(db);
	if (ret == 0)
		ret = user_create(db, &ur, &uid, err);
	if (ret == 0)
		ret = db_execp(db, "INSERT INTO project_bots (user_id, project_id, created_at)"
				   " VALUES ($1, $2, $3)", "iii", uid, r->project_id, time_now_ms());
	if (ret == 0)
		ret = member_set(db, MEMBER_PROJECT, r->project_id, uid, r->access_level, 0);
	if (ret == 0)
		ret = pat_create(db, uid, r->name, r->scopes, r->expires_at, secret_out, &tid, err);
	ret = db_tx_end(db, ret);
	if (ret == 0)
		*token_id_out = tid;
	buf_release(&username);
	buf_release(&email);
	return ret;
}

int project_bot_of(struct db *db, int64_t project_id, int64_t user_id)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT 1 FROM project_bots WHERE project_id = $1"
			    " AND user_id = $2", "ii", project_id, user_id);

	db_stmt_free(st);
	return ret < 0 ? ret : ret ? 0 : ERR_NOTFOUND;
}

int project_bot_retire(struct db *db, int64_t project_id, int64_t user_id, int64_t token_id)
{
	int ret = db_tx_begin(db);

	if (ret == 0)
		ret = pat_revoke(db, token_id);
	if (ret == 0)
		ret = member_remove(db, MEMBER_PROJECT, project_id, user_id);
	if (ret == ERR_NOTFOUND)
		ret = 0;
	if (ret == 0)
		ret = user_set_state(db, user_id, "blocked");
	return db_tx_end(db, ret);
}

#define ACTIVE_BOTS " FROM project_bots b JOIN members m ON m.source_kind = 'project'" \
		    " AND m.source_id = b.project_id AND m.user_id = b.user_id" \
		    " WHERE b.project_id = $1"

int project_bot_count(struct db *db, int64_t project_id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*)" ACTIVE_BOTS, "i", project_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int project_bot_list(struct db *db, int64_t project_id, int64_t offset, int64_t limit,
		     int64_t *ids_out, int *n_out)
{
	struct db_stmt *st = NULL;
	int n = 0;
	int ret = db_prepare(db, &st, "SELECT b.user_id" ACTIVE_BOTS
			     " ORDER BY b.user_id LIMIT $2 OFFSET $3");

	if (ret == 0)
		ret = db_bind_int64(st, 1, project_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 3, offset);
	while (ret == 0 && n < limit && (ret = db_step(st)) > 0) {
		ids_out[n++] = db_col_int64(st, 0);
		ret = 0;
	}
	db_stmt_free(st);
	if (ret < 0)
		return ret;
	*n_out = n;
	return 0;
}
