/* Users. A user owns a namespace of the same path for personal projects. */
#ifndef KURA_USER_H
#define KURA_USER_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct db;

struct user {
	int64_t id;
	char *username;
	char *email;
	char *name;
	char *state;		/* "active" or "blocked" */
	char *password_hash;	/* NULL: no password sign-in */
	int is_admin;
	int64_t created_at, updated_at;
	int64_t last_sign_in_at, last_activity_at;	/* 0 when never */
	int64_t namespace_id;
};

struct user_req {
	const char *username;
	const char *email;
	const char *name;	/* NULL: the username */
	const char *password;	/* NULL: none set */
	int is_admin;
};

/* ERR_INVALID (sentence in err), ERR_EXISTS (username, email or namespace taken). */
int user_create(struct db *db, const struct user_req *req, int64_t *id_out, struct buf *err);
/* ERR_NOTFOUND when absent; *out is the caller's (user_free). */
int user_find(struct db *db, int64_t id, struct user **out);
int user_find_by_username(struct db *db, const char *username, struct user **out);
/* By username or e-mail, case-insensitively (sign-in forms accept both). */
int user_find_by_login(struct db *db, const char *login, struct user **out);
void user_free(struct user *u);
int user_is_active(const struct user *u);

/* Checks the password policy, hashes and stores. ERR_INVALID with a sentence. */
int user_set_password(struct db *db, int64_t id, const char *password, struct buf *err);
int user_set_state(struct db *db, int64_t id, const char *state);
int user_touch_sign_in(struct db *db, int64_t id);
int user_count(struct db *db, int64_t *out);
/* Calls fn for each user, newest id first, in the window [offset, offset+limit). */
int user_list(struct db *db, int64_t offset, int64_t limit,
	      int (*fn)(const struct user *u, void *ctx), void *ctx);

#endif
