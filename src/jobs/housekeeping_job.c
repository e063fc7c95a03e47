/* The "housekeeping" job: git maintenance of one project's repository,
 * queued by POST /projects/:id/housekeeping. It repacks everything into one
 * pack with a reachability bitmap (faster clones), packs the refs, then
 * prunes loose objects that are unreachable and older than two weeks: never
 * younger ones, which a push or an API write may be about to reference.
 *
 * The "pack_refs" job follows every push: once a repository holds many
 * loose refs (one file each), they go into packed-refs, where every ref
 * advertisement, ls-remote and fetch reads them in one file instead of
 * hundreds (git's own gc does the same; kura turns gc.auto off).
 *
 * Running either twice does no harm, so at-least-once delivery is fine. */
#include "job_kinds.h"
#include "queue.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"
#include "git/gitproc.h"
#include "git/repo_store.h"
#include "model/project.h"

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define HOUSEKEEPING_MS (30 * 60 * 1000)	/* a repack of a large repository */
#define PACK_REFS_MS (5 * 60 * 1000)
#define PACK_REFS_LOOSE_AT 64		/* loose refs that make packing worth a git run */
#define PACK_REFS_DEPTH 32		/* refs/ deeper than this is not counted further */

static int housekeeping_git(const char *dir, const char *const *argv, struct buf *err)
{
	int64_t limit = strcmp(argv[0], "pack-refs") ? HOUSEKEEPING_MS : PACK_REFS_MS;
	struct gitproc p = GITPROC_INIT;
	struct buf out = BUF_INIT_MAX(64 * 1024);
	int ret;

	gitproc_env(&p, "GIT_DIR", dir);
	for (int i = 0; argv[i]; i++)
		gitproc_arg(&p, argv[i]);
	ret = gitproc_run(&p, &out, limit);
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

/* The repository of the job's project, if the project still exists:
 * ERR_NOTFOUND when it was deleted meanwhile (nothing left to keep). */
static int housekeeping_repo(struct db_pool *pool, const struct job *job, struct buf *dir,
			     int64_t *id_out, struct buf *err)
{
	json_t *payload = json_loads(job->payload, 0, NULL);
	json_int_t id = json_integer_value(json_object_get(payload, "project_id"));
	struct project *p = NULL;
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
	if (ret < 0)
		return ret == ERR_INTERNAL ? ERR_UNAVAILABLE : ret;
	repo_store_path(dir, p->id);
	*id_out = p->id;
	project_free(p);
	return 0;
}

static const char *const pack_refs[] = { "pack-refs", "--all", "--prune", NULL };

int housekeeping_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	static const char *const repack[] = { "repack", "-a", "-d", "--write-bitmap-index",
					      "--quiet", NULL };
	static const char *const prune[] = { "prune", "--expire=2.weeks.ago", NULL };
	struct buf dir = BUF_INIT;
	int64_t id = 0;
	int ret = housekeeping_repo(pool, job, &dir, &id, err);

	if (ret == 0)
		ret = housekeeping_git(dir.ptr, repack, err);
	if (ret == 0)
		ret = housekeeping_git(dir.ptr, pack_refs, err);
	if (ret == 0)
		ret = housekeeping_git(dir.ptr, prune, err);
	if (ret == 0)
		log_info("housekeeping", "done project_id=%lld", (long long)id);
	buf_release(&dir);
	return ret == ERR_NOTFOUND ? 0 : ret;
}

/* Counts loose ref files under path, stopping once the count reaches max. */
static int loose_refs_count(const char *path, int depth, int count, int max)
{
	struct dirent *e;
	DIR *d;

	if (depth > PACK_REFS_DEPTH || !(d = opendir(path)))
		return count;
	while (count < max && (e = readdir(d))) {
		char sub[4096];

		if (e->d_name[0] == '.' || strstr(e->d_name, ".lock"))
			continue;
		if (e->d_type == DT_REG) {
			count++;
		} else if (e->d_type == DT_DIR &&
			   snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < (int)sizeof(sub)) {
			count = loose_refs_count(sub, depth + 1, count, max);
		}
	}
	closedir(d);
	return count;
}

int pack_refs_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	struct buf dir = BUF_INIT, refs = BUF_INIT;
	int64_t id = 0;
	int ret = housekeeping_repo(pool, job, &dir, &id, err);

	if (ret < 0)
		goto out;
	buf_addf(&refs, "%s/refs", dir.ptr);
	if (loose_refs_count(refs.ptr, 0, 0, PACK_REFS_LOOSE_AT) < PACK_REFS_LOOSE_AT)
		goto out;
	ret = housekeeping_git(dir.ptr, pack_refs, err);
	if (ret == 0)
		log_info("housekeeping", "refs packed project_id=%lld", (long long)id);
out:
	buf_release(&dir);
	buf_release(&refs);
	return ret == ERR_NOTFOUND ? 0 : ret;
}
