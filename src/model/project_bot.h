/* Project bots: the users behind project access tokens, as on GitLab. Each
 * token gets a bot of its own (project_<id>_bot_<hex>, no password) that is
 * a member of the project with the token's role; the token itself is an
 * ordinary personal access token of the bot, so the API and Git HTTP take
 * it without knowing about bots. */
#ifndef KURA_PROJECT_BOT_H
#define KURA_PROJECT_BOT_H
#include <stdint.h>

struct buf;
struct db;

struct project_bot_req {
	int64_t project_id;
	const char *name;	/* the token's name, also the bot's display name */
	int access_level;
	unsigned scopes;
	int64_t expires_at;	/* 0: the default token lifetime */
};

/* Creates the bot, its membership and its token in one transaction; the
 * secret is appended to secret_out. ERR_INVALID with a sentence. */
int project_bot_create(struct db *db, const struct project_bot_req *r, struct buf *secret_out,
		       int64_t *token_id_out, struct buf *err);
/* 0 when user_id is a bot of project_id, else ERR_NOTFOUND. */
int project_bot_of(struct db *db, int64_t project_id, int64_t user_id);
/* Revokes the token, drops the membership and blocks the bot. */
int project_bot_retire(struct db *db, int64_t project_id, int64_t user_id, int64_t token_id);
/* Active bots of a project (those still members), oldest first. */
int project_bot_count(struct db *db, int64_t project_id, int64_t *out);
int project_bot_list(struct db *db, int64_t project_id, int64_t offset, int64_t limit,
		     int64_t *ids_out, int *n_out);

#endif
