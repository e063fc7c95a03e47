/* Forks: a new project whose repository is a full copy of another's, and
 * the relation between the two. The copy is made by `git clone --bare
 * --no-local`, so the fork shares no object store with its source (a
 * shared store would leak objects across projects: SECURITY.md 4.4). */
#ifndef KURA_FORK_H
#define KURA_FORK_H
#include <stdint.h>

struct buf;
struct db;
struct namespace;
struct project;
struct project_req;

/* Creates the project req describes in ns (its default branch is the
 * source's), records it as a fork of src and copies the repository. On any
 * failure nothing is left behind. ERR_INVALID or ERR_EXISTS with a sentence,
 * ERR_UNAVAILABLE when the copy failed. */
int fork_create(struct db *db, const struct project *src, const struct project_req *req,
		const struct namespace *ns, int64_t *id_out, struct buf *err);
/* The project id is a fork of: 0 when it is none. */
int fork_source(struct db *db, int64_t project_id, int64_t *source_out);
int fork_count(struct db *db, int64_t source_id, int64_t *out);
/* Ids of the forks of source_id, newest first. *ids_out is the caller's. */
int fork_list(struct db *db, int64_t source_id, int64_t offset, int64_t limit,
	      int64_t **ids_out, int *n_out);
/* Removes the relation (GitLab's DELETE /projects/:id/fork). ERR_NOTFOUND
 * when the project is no fork. */
int fork_unlink(struct db *db, int64_t project_id);
/* Records a relation between existing projects (POST /projects/:id/fork/:from).
 * ERR_EXISTS when the project already is a fork. */
int fork_link(struct db *db, int64_t project_id, int64_t source_id);

#endif
