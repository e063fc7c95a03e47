/* Sharing a group or a project with another group (GitLab's group links):
 * the members of the invited group get access up to the link's level
 * (member.c counts it), until the link expires. */
#ifndef KURA_GROUP_LINK_H
#define KURA_GROUP_LINK_H
#include <stdint.h>

struct db;

enum group_link_kind { GROUP_LINK_GROUP, GROUP_LINK_PROJECT };

struct group_link {
	int64_t group_id;		/* the invited group */
	const char *group_name;		/* borrowed for the callback */
	const char *group_full_path;
	int access_level;
	int64_t expires_at;		/* 0: never */
};

/* Shares source_id (a group or a project, by kind) with group_id.
 * ERR_EXISTS when it already is; ERR_INVALID for a bad level. */
int group_link_add(struct db *db, enum group_link_kind kind, int64_t source_id,
		   int64_t group_id, int level, int64_t expires_at);
/* ERR_NOTFOUND when there is no such link. */
int group_link_remove(struct db *db, enum group_link_kind kind, int64_t source_id,
		      int64_t group_id);
/* The links of source_id, oldest first. */
int group_link_list(struct db *db, enum group_link_kind kind, int64_t source_id,
		    int (*fn)(const struct group_link *l, void *ctx), void *ctx);

#endif
