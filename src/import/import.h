/* Importing repositories from a URL, pull mirrors and push mirrors: the
 * operations the CLI, the API and the job queue share.
 *
 * Job kinds (registered by jobs_register_all):
 *   "import"       {"project_id"}            the first fetch of an API import
 *   "mirror_pull"  {"project_id", "seq"}     a pull mirror update; seq 0 is on
 *                                            demand, else the scheduled chain
 *   "mirror_push"  {"mirror_id", "seq"}      a push mirror update; seq 0 after
 *                                            a push or on demand (retried with
 *                                            backoff), else the schedule */
#ifndef KURA_IMPORT_H
#define KURA_IMPORT_H
#include <stdint.h>

struct buf;
struct db;
struct db_pool;
struct job;
struct outbound_allow;
struct remote;

#define IMPORT_INTERVAL_DEFAULT_S 1800		/* pull mirrors: every 30 minutes */
#define IMPORT_INTERVAL_MIN_S 1
#define IMPORT_INTERVAL_MAX_S (7 * 24 * 3600)
#define PUSH_MIRROR_INTERVAL_DEFAULT_S 300	/* push mirrors also catch up this often */

/* Seals r's credentials for storage: NULL in *out when it has none. */
int import_seal_credentials(char **out, const struct remote *r);
/* The remote stored as url + sealed credentials. ERR_INVALID, ERR_UNAVAILABLE. */
int import_remote_load(struct remote *out, const char *url, const char *sealed,
		       struct buf *err);

struct import_req {
	const char *url;
	const char *username;		/* NULL: from the URL's userinfo, or none */
	const char *password;
	const char *full_path;		/* namespace/path of the project */
	const char *name;		/* NULL: the path */
	const char *visibility;		/* NULL: private */
	int mirror;
	int64_t interval_s;		/* 0: the default */
};

/* Imports synchronously (the CLI): creates the project and fetches every
 * ref; on failure nothing is left behind. A project that already exists
 * and was imported before is fetched again (idempotent re-runs); one that
 * was not is ERR_EXISTS. *created_out tells which happened. */
int import_run(struct db *db, const struct import_req *req, const struct outbound_allow *allow,
	       int64_t *id_out, int *created_out, struct buf *err);

/* The API: records the import of a freshly created project and queues its
 * fetch (import_status "scheduled"). r was vetted by the caller. */
int import_schedule(struct db *db, int64_t project_id, const struct remote *r, int mirror,
		    int64_t interval_s, struct buf *err);
/* Queues an on-demand update of a pull mirror. ERR_NOTFOUND if it is none. */
int import_pull_now(struct db *db, int64_t project_id);

/* Push mirrors: queue one update of every enabled push mirror of the
 * project (post-receive calls this inside its transaction), of one, or
 * start a mirror's schedule after it was created or enabled. */
int mirror_enqueue_pushes(struct db *db, int64_t project_id);
int mirror_enqueue_push(struct db *db, int64_t mirror_id);
int mirror_schedule_push(struct db *db, int64_t mirror_id, int64_t interval_ms);

int import_job_run(struct db_pool *pool, const struct job *job, struct buf *err);
int mirror_pull_job_run(struct db_pool *pool, const struct job *job, struct buf *err);
int mirror_push_job_run(struct db_pool *pool, const struct job *job, struct buf *err);

#endif
