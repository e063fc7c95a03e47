/* Memberships of groups and projects with GitLab's access levels. Group
 * membership is inherited by subgroups and their projects; the highest level
 * along the chain wins. */
#ifndef KURA_MEMBER_H
#define KURA_MEMBER_H
#include <stdint.h>

struct db;

enum access_level {
	ACCESS_NONE = 0,
	ACCESS_GUEST = 10,
	ACCESS_REPORTER = 20,
	ACCESS_DEVELOPER = 30,
	ACCESS_MAINTAINER = 40,
	ACCESS_OWNER = 50,
};

enum member_source { MEMBER_PROJECT, MEMBER_NAMESPACE };

int access_level_valid(int level);
/* Adds or changes a membership; expires_at 0 means never. */
int member_set(struct db *db, enum member_source kind, int64_t source_id, int64_t user_id,
	       int level, int64_t expires_at);
int member_remove(struct db *db, enum member_source kind, int64_t source_id, int64_t user_id);
/* The user's own membership level in one project or group (not inherited),
 * ACCESS_NONE when there is none. */
int member_direct_level(struct db *db, enum member_source kind, int64_t source_id,
			int64_t user_id, int *level_out);
/* The user's effective level in a project: its own membership, memberships of
 * the namespace and its ancestors, and Owner for the owner of a personal
 * namespace. Expired memberships count as none. */
int member_project_level(struct db *db, int64_t project_id, int64_t namespace_id,
			 int64_t user_id, int *level_out);
/* The user's effective level in a group (own and inherited). */
int member_namespace_level(struct db *db, int64_t namespace_id, int64_t user_id,
			   int *level_out);

#endif
