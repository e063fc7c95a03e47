/* Projects: a row plus a bare repository at a path derived from the id. */
#ifndef KURA_PROJECT_H
#define KURA_PROJECT_H
#include <stdint.h>

struct buf;
struct db;

struct project {
	int64_t id;
	int64_t namespace_id;
	char *path;
	char *name;
	char *description;
	char *visibility;	/* private, internal, public */
	char *default_branch;	/* NULL until set */
	int64_t creator_id;
	int archived;
	int64_t created_at, updated_at, last_activity_at;
	/* From the namespace, for URLs and permissions. */
	char *namespace_full_path;
	char *namespace_name;
	char *namespace_kind;
	int64_t namespace_owner_id;
	int64_t namespace_parent_id;	/* 0: top level */
};

struct project_req {
	int64_t namespace_id;
	const char *path;		/* NULL: derived from name */
	const char *name;		/* NULL: the path */
	const char *description;	/* NULL: "" */
	const char *visibility;		/* NULL: "private" */
	const char *default_branch;	/* NULL: "main" */
	int64_t creator_id;		/* 0: none (admin CLI) */
};

/* ERR_INVALID (sentence), ERR_EXISTS, ERR_NOTFOUND (namespace). */
int project_create(struct db *db, const struct project_req *req, int64_t *id_out,
		   struct buf *err);
int project_find(struct db *db, int64_t id, struct project **out);
/* "group/sub/name", case-insensitively. ERR_NOTFOUND. */
int project_find_by_full_path(struct db *db, const char *full_path, struct project **out);
void project_free(struct project *p);
/* Deletes the row and its memberships, then the repository. */
int project_delete(struct db *db, int64_t id);
int project_set_default_branch(struct db *db, int64_t id, const char *branch);
int project_touch_activity(struct db *db, int64_t id);
/* "namespace/path" into out. */
void project_full_path(struct buf *out, const struct project *p);

#endif
