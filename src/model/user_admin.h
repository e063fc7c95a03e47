/* What administrators do to users beyond creating them: filtered listing,
 * edits and deletion. */
#ifndef KURA_USER_ADMIN_H
#define KURA_USER_ADMIN_H
#include <stdint.h>

struct buf;
struct db;
struct user;

struct user_filter {
	const char *username;	/* exact, case-insensitive */
	const char *search;	/* substring of username or name (and e-mail) */
	int search_email;	/* search matches e-mail addresses too (admins) */
	const char *state;	/* "active", "blocked" or NULL */
	const char *order_by;	/* id name username created_at updated_at */
	int sort_asc;
};

int user_query_count(struct db *db, const struct user_filter *f, int64_t *out);
/* Calls fn for each user of the window until it returns nonzero. */
int user_query(struct db *db, const struct user_filter *f, int64_t offset, int64_t limit,
	       int (*fn)(const struct user *u, void *ctx), void *ctx);

struct user_update {
	const char *name;	/* NULL: unchanged */
	const char *email;
	int is_admin;		/* -1: unchanged */
};

/* ERR_INVALID with a sentence; ERR_EXISTS when the e-mail is taken. */
int user_update(struct db *db, int64_t id, const struct user_update *u, struct buf *err);
/* Deletes the user, their personal projects (rows, then repositories) and
 * namespace; memberships and tokens go with the row. */
int user_delete(struct db *db, int64_t id);

#endif
