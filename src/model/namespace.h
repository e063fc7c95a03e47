/* Namespaces: a user's personal one, and groups nested to any depth. Every
 * namespace has a unique (case-insensitive) full path. */
#ifndef KURA_NAMESPACE_H
#define KURA_NAMESPACE_H
#include <stdint.h>

struct buf;
struct db;

struct namespace {
	int64_t id;
	char *kind;		/* "user" or "group" */
	char *name;
	char *path;
	char *full_path;
	char *description;
	char *visibility;
	int64_t parent_id;	/* 0: top level */
	int64_t owner_id;	/* user namespaces: the user; groups: 0 */
	int64_t created_at, updated_at;
};

struct group_req {
	const char *path;		/* one segment */
	const char *name;		/* NULL: the path */
	const char *description;	/* NULL: "" */
	const char *visibility;		/* NULL: "private" */
	int64_t parent_id;		/* 0: top level */
	int64_t creator_id;		/* becomes Owner; 0: nobody (admin CLI) */
};

int namespace_create_for_user(struct db *db, int64_t user_id, const char *username,
			      const char *name, int64_t *id_out);
/* ERR_INVALID (sentence), ERR_EXISTS, ERR_NOTFOUND (parent). */
int group_create(struct db *db, const struct group_req *req, int64_t *id_out, struct buf *err);
/* Creates "a/b/c" and any missing ancestors (admin CLI). */
int group_create_path(struct db *db, const char *full_path, const char *name,
		      int64_t *id_out, struct buf *err);
int namespace_find(struct db *db, int64_t id, struct namespace **out);
int namespace_find_by_full_path(struct db *db, const char *full_path, struct namespace **out);
void namespace_free(struct namespace *ns);

#endif
