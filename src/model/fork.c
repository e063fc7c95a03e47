#include "fork.h"
#include "namespace.h"
#include "project.h"
#include "project_list.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/gitproc.h"
#include "git/repo_store.h"

#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define FORK_CLONE_MS (60 * 60 * 1000)	/* a large repository copies for a while */

/* Clones the source into a fresh directory next to the trash, on the same
 * file system as the repositories so that a rename puts it in place. The
 * file transport is allowed for this one command only. */
static int fork_clone(int64_t source_id, const char *tmp, struct buf *err)
{
	struct gitproc p = GITPROC_INIT;
	struct buf src = BUF_INIT, out = BUF_INIT_MAX(4096);
	int ret;

	repo_store_path(&src, source_id);
	gitproc_arg(&p, "-c");
	gitproc_arg(&p, "protocol.file.allow=always");
	gitproc_arg(&p, "clone");
	gitproc_arg(&p, "--bare");
	gitproc_arg(&p, "--no-local");
	gitproc_arg(&p, "--quiet");
	gitproc_arg(&p, "--");
	gitproc_arg_value(&p, src.ptr);
	gitproc_arg_value(&p, tmp);
	ret = gitproc_run(&p, &out, FORK_CLONE_MS);
	if (ret < 0) {
		log_warn("fork", "clone failed source=%lld stderr=\"%.512s\"", (long long)source_id,
			 p.err.ptr);
		buf_addstr(err, "The repository could not be copied.");
		ret = ERR_UNAVAILABLE;
	}
	gitproc_release(&p);
	/* The clone names its source as origin: the fork has no remote. */
	if (ret == 0) {
		struct gitproc q = GITPROC_INIT;

		buf_reset(&out);
		gitproc_env(&q, "GIT_DIR", tmp);
		gitproc_arg(&q, "remote");
		gitproc_arg(&q, "remove");
		gitproc_arg(&q, "origin");
		(void)gitproc_run(&q, &out, 60 * 1000);
		gitproc_release(&q);
	}
	buf_release(&src);
	buf_release(&out);
	return ret;
}

/* Swaps the empty repository project_create made for the copy. */
static int fork_install(int64_t id, const char *tmp)
{
	struct buf path = BUF_INIT;
	int ret = repo_store_remove(id);

	repo_store_path(&path, id);
	if (ret == 0 && rename(tmp, path.ptr) != 0) {
		log_error("fork", "rename failed id=%lld errno=%d", (long long)id, errno);
		ret = ERR_UNAVAILABLE;
	}
	buf_release(&path);
	return ret;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A failed clone may leave a partial directory in the trash area. */
static void fork_tmp_remove(const char *tmp)
{
	if (access(tmp, F_OK) == 0 && nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		log_warn("fork", "partial copy not removed path=%s", tmp);
}

int fork_create(struct db *db, const struct project *src, const struct project_req *req,
		const struct namespace *ns, int64_t *id_out, struct buf *err)
{
	struct project_req r = *req;
	struct buf tmp = BUF_INIT;
	int64_t id = 0;
	int ret;

	r.default_branch = src->default_branch;
	ret = db_tx_begin(db);
	if (ret < 0)
		return ret;
	ret = project_create_owned(db, &r, ns, &id, err);
	if (ret == 0)
		ret = db_execp(db, "INSERT INTO project_forks (project_id, forked_from_id, created_at)"
			       " VALUES ($1, $2, $3)", "iii", id, src->id, time_now_ms());
	ret = db_tx_end(db, ret);
	if (ret < 0) {
		if (id)
			(void)repo_store_remove(id);
		return ret;
	}
	buf_addf(&tmp, "%s/trash/fork-%lld-%08x.git", repo_store_data_dir(), (long long)id,
		 randombytes_random());
	ret = fork_clone(src->id, tmp.ptr, err);
	if (ret == 0)
		ret = fork_install(id, tmp.ptr);
	if (ret < 0) {
		fork_tmp_remove(tmp.ptr);
		(void)project_delete(db, id);
	} else {
		*id_out = id;
	}
	buf_release(&tmp);
	return ret;
}

int fork_source(struct db *db, int64_t project_id, int64_t *source_out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT forked_from_id FROM project_forks"
			    " WHERE project_id = $1", "i", project_id);

	if (ret < 0)
		return ret;
	*source_out = ret > 0 ? db_col_int64(st, 0) : 0;
	db_stmt_free(st);
	return 0;
}

int fork_count(struct db *db, int64_t source_id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*) FROM project_forks WHERE forked_from_id = $1",
			    "i", source_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int fork_list(struct db *db, int64_t source_id, int64_t offset, int64_t limit,
	      int64_t **ids_out, int *n_out)
{
	struct db_stmt *st = NULL;
	int64_t *ids = NULL;
	int n = 0;
	int ret = db_prepare(db, &st, "SELECT project_id FROM project_forks WHERE forked_from_id = $1"
			     " ORDER BY project_id DESC LIMIT $2 OFFSET $3");

	if (ret == 0)
		ret = db_bind_int64(st, 1, source_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 3, offset);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		ids = xrealloc(ids, (size_t)(n + 1) * sizeof(*ids));
		ids[n++] = db_col_int64(st, 0);
		ret = 0;
	}
	db_stmt_free(st);
	if (ret < 0) {
		free(ids);
		return ret;
	}
	*ids_out = ids;
	*n_out = n;
	return 0;
}

int fork_unlink(struct db *db, int64_t project_id)
{
	int64_t src = 0;
	int ret = fork_source(db, project_id, &src);

	if (ret == 0 && !src)
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = db_execp(db, "DELETE FROM project_forks WHERE project_id = $1", "i", project_id);
	return ret;
}

int fork_link(struct db *db, int64_t project_id, int64_t source_id)
{
	int64_t src = 0;
	int ret = fork_source(db, project_id, &src);

	if (ret == 0 && src)
		ret = ERR_EXISTS;
	if (ret == 0)
		ret = db_execp(db, "INSERT INTO project_forks (project_id, forked_from_id, created_at)"
			       " VALUES ($1, $2, $3)", "iii", project_id, source_id, time_now_ms());
	return ret;
}
