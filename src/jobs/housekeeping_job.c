/* The "housekeeping" job: git maintenance of one project's repository,
 * queued by POST /projects/:id/housekeeping. It repacks everything into one
 * pack with a reachability bitmap (faster clones), then prunes loose
 * objects that are unreachable and older than two weeks: never younger
 * ones, which a push or an API write may be about to reference. Running it
 * twice does no harm, so the queue's at-least-once delivery is fine. */
#include "job_kinds.h"
#include "queue.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"
#include "git/gitproc.h"
#include "git/repo_store.h"
#include "model/project.h"

#include <jansson.h>
#include <stdint.h>

#define HOUSEKEEPING_MS (30 * 60 * 1000)	/* a repack of a large repository */

static int housekeeping_git(const char *dir, const char *const *argv, struct buf *err)
{
	struct gitproc p = GITPROC_INIT;
	struct buf out = BUF_INIT_MAX(64 * 1024);
	int ret;

	gitproc_env(&p, "GIT_DIR", dir);
	for (int i = 0; argv[i]; i++)
		gitproc_arg(&p, argv[i]);
	ret = gitproc_run(&p, &out, HOUSEKEEPING_MS);
	if (ret < 0) {
		log_warn("housekeeping", "git %s failed stderr=\"%.512s\"", argv[0], p.err.ptr);
		buf_addf(err, "git %s failed", argv[0]);
		/* The repository is left as it was: retry later. */
		ret = ERR_BUSY;
	}
	gitproc_release(&p);
	buf_release(&out);
	return ret;
}

int housekeeping_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	static const char *const repack[] = { "repack", "-a", "-d", "--write-bitmap-index",
					      "--quiet", NULL };
	static const char *const prune[] = { "prune", "--expire=2.weeks.ago", NULL };
	json_t *payload = json_loads(job->payload, 0, NULL);
	json_int_t id = json_integer_value(json_object_get(payload, "project_id"));
	struct project *p = NULL;
	struct buf dir = BUF_INIT;
	struct db *db;
	int ret;

	json_decref(payload);
	if (id <= 0) {
		buf_addstr(err, "the payload names no project");
		return ERR_INVALID;
	}
	db = db_get(pool);
	if (!db)
		return ERR_UNAVAILABLE;
	ret = project_find(db, (int64_t)id, &p);
	db_put(pool, db);
	if (ret == ERR_NOTFOUND)
		return 0;	/* deleted meanwhile: nothing to keep */
	if (ret < 0)
		return ret == ERR_INTERNAL ? ERR_UNAVAILABLE : ret;
	repo_store_path(&dir, p->id);
	ret = housekeeping_git(dir.ptr, repack, err);
	if (ret == 0)
		ret = housekeeping_git(dir.ptr, prune, err);
	if (ret == 0)
		log_info("housekeeping", "done project_id=%lld", (long long)p->id);
	project_free(p);
	buf_release(&dir);
	return ret;
}
