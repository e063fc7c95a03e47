/* A user's direct memberships of projects and groups, for administrators
 * (GET /users/:id/memberships). */
#ifndef KURA_USER_MEMBERSHIPS_H
#define KURA_USER_MEMBERSHIPS_H
#include <stdint.h>

struct db;

struct user_membership {
	int64_t source_id;
	const char *source_name;	/* borrowed for the callback */
	const char *source_type;	/* "Project" or "Namespace" */
	int access_level;
};

/* type: "Project", "Namespace" or NULL for both. */
int user_memberships_count(struct db *db, int64_t user_id, const char *type, int64_t *out);
/* Projects first, then groups, each by id. */
int user_memberships_list(struct db *db, int64_t user_id, const char *type, int64_t offset,
			  int64_t limit, int (*fn)(const struct user_membership *m, void *ctx),
			  void *ctx);

#endif
