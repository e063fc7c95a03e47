/* Listing projects with GitLab's filters, visibility and ordering done in
 * SQL, one page at a time; and the edits the API makes to a project. */
#ifndef KURA_PROJECT_LIST_H
#define KURA_PROJECT_LIST_H
#include <stddef.h>
#include <stdint.h>

struct buf;
struct db;
struct project;

struct project_filter {
	int64_t viewer_id;		/* 0: anonymous */
	int viewer_admin;		/* sees every project */
	int64_t namespace_id;		/* 0: any namespace */
	int include_subgroups;		/* with namespace_id: descendants too */
	int64_t personal_of;		/* 0, or only that user's personal projects */
	const char *search;		/* substring of name, path or description */
	const char *visibility;		/* NULL: any */
	int owned;			/* the viewer is Owner */
	int membership;			/* the viewer is a member (Guest and up) */
	int min_access_level;		/* 0: none */
	int archived;			/* -1 any, 0 not archived, 1 archived */
	int64_t forked_from;		/* 0, or only forks of that project */
	int starred;			/* only projects the viewer starred */
	const char *order_by;		/* id name path created_at updated_at last_activity_at */
	int sort_asc;
};

#define PROJECT_FILTER_INIT { .archived = -1, .order_by = "created_at" }

/* The number of projects the filter selects. */
int project_list_count(struct db *db, const struct project_filter *f, int64_t *out);
/* Calls fn with each project of the window and the viewer's own membership
 * level in it (0 when none), until fn returns nonzero. */
int project_list(struct db *db, const struct project_filter *f, int64_t offset, int64_t limit,
		 int (*fn)(const struct project *p, int level, void *ctx), void *ctx);

struct namespace;
struct project_req;

/* project_create in ns, and in a personal namespace its owner as an Owner
 * member as well (GitLab lists them among the members), atomically. */
int project_create_owned(struct db *db, const struct project_req *req,
			 const struct namespace *ns, int64_t *id_out, struct buf *err);

struct project_update {
	const char *name;		/* NULL: unchanged */
	const char *path;
	const char *description;
	const char *visibility;
	const char *default_branch;
};

/* ERR_INVALID or ERR_EXISTS with a sentence in err. */
int project_update(struct db *db, const struct project *p, const struct project_update *u,
		   struct buf *err);
int project_set_archived(struct db *db, int64_t id, int archived);
/* Projects in a namespace and its descendants (group deletion). */
int project_ids_under(struct db *db, int64_t namespace_id, int64_t **ids_out, size_t *n_out);

#endif
