/* Commit statuses reported by external CI (CodeBuild, Jenkins …), as
 * GitLab's GenericCommitStatus: each hangs on an external pipeline of a
 * (sha, ref); posting the same name and ref again updates the status that
 * is still pending or running, otherwise starts a new one and marks the
 * older ones of that name as retried. Transitions follow GitLab's state
 * machine. */
#ifndef KURA_COMMIT_STATUS_H
#define KURA_COMMIT_STATUS_H
#include <stdint.h>

struct buf;
struct db;

struct commit_status {
	int64_t id;
	int64_t project_id;
	int64_t pipeline_id;
	char *sha;
	char *ref;
	char *name;
	char *stage;
	char *status;		/* pending running success failed canceled */
	char *target_url;	/* NULL when unset, as the two below */
	char *description;
	char *coverage;		/* a decimal number as text */
	int64_t user_id;	/* 0 when the author is gone */
	int retried;
	int64_t created_at, started_at, finished_at;	/* 0 when not yet */
};

struct commit_status_req {
	int64_t project_id;
	int64_t user_id;
	int64_t pipeline_id;	/* 0: the newest pipeline of sha (and ref) */
	const char *sha;	/* full object id */
	const char *ref;	/* NULL: the matching pipeline's ref, else ref_fallback */
	const char *ref_fallback;	/* NULL: none known */
	const char *name;	/* "default" when NULL */
	const char *state;
	const char *target_url;	/* NULL: unchanged (or unset on a new status) */
	const char *description;
	const char *coverage;
};

/* Records the status. ERR_INVALID with GitLab's sentence in err for a
 * transition the state machine refuses ("Cannot transition status via :run
 * from :running …"), ERR_NOTFOUND when no ref is known for the commit. */
int commit_status_post(struct db *db, const struct commit_status_req *r, int64_t *id_out,
		       struct buf *err);
int commit_status_find(struct db *db, int64_t id, struct commit_status **out);
void commit_status_free(struct commit_status *s);

struct commit_status_filter {
	int64_t project_id;
	const char *sha;
	const char *ref;	/* NULL: any, as the three below */
	const char *stage;
	const char *name;
	int64_t pipeline_id;	/* 0: any */
	int all;		/* include retried statuses */
};

int commit_status_count(struct db *db, const struct commit_status_filter *f, int64_t *out);
/* Oldest first; fn's nonzero return stops the walk. */
int commit_status_list(struct db *db, const struct commit_status_filter *f, int64_t offset,
		       int64_t limit, int (*fn)(const struct commit_status *s, void *ctx), void *ctx);

#endif
