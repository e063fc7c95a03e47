/* Listing groups and namespaces with visibility and membership worked out
 * in SQL, and the edits the API makes to groups. */
#ifndef KURA_GROUP_LIST_H
#define KURA_GROUP_LIST_H
#include <stdint.h>

struct buf;
struct db;
struct namespace;

struct group_filter {
	int64_t viewer_id;		/* 0: anonymous */
	int viewer_admin;
	int all_available;		/* every visible group, not only memberships */
	int64_t parent_id;		/* 0, or only direct children of it */
	int64_t descendants_of;		/* 0, or only descendants of it */
	int top_level_only;
	const char *search;		/* substring of name or path */
	int owned;			/* the viewer is Owner */
	int min_access_level;
	const char *order_by;		/* name path id */
	int sort_asc;
};

int group_list_count(struct db *db, const struct group_filter *f, int64_t *out);
/* Calls fn with each group and the viewer's level in it (own or inherited). */
int group_list(struct db *db, const struct group_filter *f, int64_t offset, int64_t limit,
	       int (*fn)(const struct namespace *ns, int level, void *ctx), void *ctx);

/* The viewer's namespaces: their own and groups they belong to (all for
 * administrators), newest id last. */
int namespace_list_count(struct db *db, int64_t viewer_id, int admin, const char *search,
			 int64_t *out);
int namespace_list(struct db *db, int64_t viewer_id, int admin, const char *search,
		   int64_t offset, int64_t limit,
		   int (*fn)(const struct namespace *ns, void *ctx), void *ctx);

struct group_update {
	const char *name;		/* NULL: unchanged */
	const char *path;		/* renames the full paths below it too */
	const char *description;
	const char *visibility;
};

/* ERR_INVALID or ERR_EXISTS with a sentence in err. */
int group_update(struct db *db, const struct namespace *ns, const struct group_update *u,
		 struct buf *err);
/* Deletes the group, its subgroups, their projects (rows, then
 * repositories) and memberships. */
int group_delete(struct db *db, int64_t id);

#endif
