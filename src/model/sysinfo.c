#include "sysinfo.h"
#include "core/err.h"
#include "db/db.h"

#include <ftw.h>
#include <pthread.h>
#include <sys/stat.h>

int sysinfo_job_counts(struct db *db, struct sysinfo_jobs *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT (SELECT count(*) FROM jobs WHERE state = 'pending'),"
			    " (SELECT count(*) FROM jobs WHERE state = 'failed')", "");

	if (ret < 0)
		return ret;
	if (ret == 0)
		return ERR_INTERNAL;
	out->pending = db_col_int64(st, 0);
	out->failed = db_col_int64(st, 1);
	db_stmt_free(st);
	return 0;
}

int sysinfo_failed_jobs(struct db *db, int64_t limit,
			int (*fn)(const struct sysinfo_failed_job *j, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT id, kind, attempts, last_error, run_at FROM jobs"
			    " WHERE state = 'failed' ORDER BY id DESC LIMIT $1", "i", limit);

	while (ret == 1) {
		struct sysinfo_failed_job j = {
			db_col_int64(st, 0), db_col_text(st, 1), (int)db_col_int64(st, 2),
			db_col_is_null(st, 3) ? NULL : db_col_text(st, 3), db_col_int64(st, 4),
		};

		if (fn(&j, ctx))
			break;
		ret = db_step(st);
	}
	db_stmt_free(st);
	return ret < 0 ? ret : 0;
}

int sysinfo_db_bytes(struct db *db, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, db_dialect(db) == DB_SQLITE ?
			    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()" :
			    "SELECT pg_database_size(current_database())", "");

	if (ret < 0)
		return ret;
	if (ret == 0)
		return ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

/* nftw has no context argument; one walk at a time is enough for an admin
 * page, so the totals live here under a lock. */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t walk_bytes, walk_entries, walk_max;

static int walk_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	if (++walk_entries > walk_max)
		return 1;
	walk_bytes += (int64_t)sb->st_blocks * 512;
	return 0;
}

int sysinfo_dir_bytes(const char *dir, int64_t max_entries, int64_t *out, int *partial_out)
{
	int ret;

	pthread_mutex_lock(&walk_lock);
	walk_bytes = 0;
	walk_entries = 0;
	walk_max = max_entries;
	ret = nftw(dir, walk_one, 32, FTW_PHYS);
	*out = walk_bytes;
	*partial_out = ret == 1;
	pthread_mutex_unlock(&walk_lock);
	return ret < 0 ? ERR_NOTFOUND : 0;
}
