/* Listing the members of a project or group, directly or with those
 * inherited from ancestor groups (the highest level per user wins). */
#ifndef KURA_MEMBER_LIST_H
#define KURA_MEMBER_LIST_H
#include <stdint.h>

#include "member.h"

struct db;
struct user;

struct member_scope {
	enum member_source kind;
	int64_t source_id;	/* the project or group */
	int64_t namespace_id;	/* inherited: the project's namespace or the group; 0 direct */
	const char *query;	/* substring of username or name; NULL: all */
	int64_t user_id;	/* 0, or only this user */
};

struct member_row {
	const struct user *user;
	int level;
	int64_t created_at;
	int64_t expires_at;	/* 0: never */
};

int member_list_count(struct db *db, const struct member_scope *s, int64_t *out);
/* In user id order; calls fn until it returns nonzero. */
int member_list(struct db *db, const struct member_scope *s, int64_t offset, int64_t limit,
		int (*fn)(const struct member_row *m, void *ctx), void *ctx);
/* Users with Owner in the group, its ancestors included. */
int member_owner_count(struct db *db, int64_t namespace_id, int64_t *out);

#endif
