#include "commit_status.h"
#include "sqlq.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define CS_COLUMNS "id, project_id, pipeline_id, sha, ref, name, stage, status, target_url," \
		   " description, coverage, user_id, retried, created_at, started_at, finished_at"

static void cs_from_row(struct db_stmt *st, struct commit_status *s)
{
	s->id = db_col_int64(st, 0);
	s->project_id = db_col_int64(st, 1);
	s->pipeline_id = db_col_int64(st, 2);
	s->sha = db_col_strdup(st, 3);
	s->ref = db_col_strdup(st, 4);
	s->name = db_col_strdup(st, 5);
	s->stage = db_col_strdup(st, 6);
	s->status = db_col_strdup(st, 7);
	s->target_url = db_col_strdup(st, 8);
	s->description = db_col_strdup(st, 9);
	s->coverage = db_col_strdup(st, 10);
	s->user_id = db_col_int64(st, 11);
	s->retried = (int)db_col_int64(st, 12);
	s->created_at = db_col_int64(st, 13);
	s->started_at = db_col_int64(st, 14);
	s->finished_at = db_col_int64(st, 15);
}

static void cs_release(struct commit_status *s)
{
	free(s->sha);
	free(s->ref);
	free(s->name);
	free(s->stage);
	free(s->status);
	free(s->target_url);
	free(s->description);
	free(s->coverage);
}

void commit_status_free(struct commit_status *s)
{
	if (!s)
		return;
	cs_release(s);
	free(s);
}

int commit_status_find(struct db *db, int64_t id, struct commit_status **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " CS_COLUMNS " FROM commit_statuses WHERE id = $1",
			    "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = xcalloc(1, sizeof(**out));
	cs_from_row(st, *out);
	db_stmt_free(st);
	return 0;
}

/* GitLab's all_matching_pipelines.first: the newest external pipeline of
 * the commit, narrowed by ref and id when given. ERR_NOTFOUND when none. */
static int pipeline_find(struct db *db, const struct commit_status_req *r, int64_t *id_out,
			 struct buf *ref_out)
{
	struct db_stmt *st = NULL;
	struct sqlq q;
	int ret;

	sqlq_init(&q);
	sqlq_add(&q, "SELECT id, ref FROM ci_pipelines WHERE project_id = ");
	sqlq_int(&q, r->project_id);
	sqlq_add(&q, " AND sha = ");
	sqlq_str(&q, r->sha);
	if (r->ref) {
		sqlq_add(&q, " AND ref = ");
		sqlq_str(&q, r->ref);
	}
	if (r->pipeline_id) {
		sqlq_add(&q, " AND id = ");
		sqlq_int(&q, r->pipeline_id);
	}
	sqlq_add(&q, " ORDER BY id DESC LIMIT 1");
	ret = sqlq_prepare(&q, db, &st);
	if (ret == 0)
		ret = db_step(st);
	if (ret > 0) {
		*id_out = db_col_int64(st, 0);
		buf_addstr(ref_out, db_col_text(st, 1));
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_NOTFOUND;
	}
	db_stmt_free(st);
	sqlq_release(&q);
	return ret;
}

static int pipeline_create(struct db *db, const struct commit_status_req *r, const char *ref,
			   int64_t *id_out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "INSERT INTO ci_pipelines (project_id, sha, ref, user_id,"
			    " created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id", "issIi",
			    r->project_id, r->sha, ref, r->user_id, time_now_ms());

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

/* The event GitLab's API fires for a requested state, and the state it
 * reaches from "from"; NULL when the machine refuses. "running" on a new
 * status is enqueue then run, so it passes through pending. */
static const char *transition(const char *from, const char *state, const char **event)
{
	int active = !strcmp(from, "pending") || !strcmp(from, "running");

	if (!strcmp(state, "pending")) {
		*event = "enqueue";
		return strcmp(from, "created") ? NULL : "pending";
	}
	if (!strcmp(state, "running")) {
		*event = "run";
		return strcmp(from, "running") ? "running" : NULL;
	}
	if (!strcmp(state, "success"))
		*event = "success";
	else if (!strcmp(state, "failed"))
		*event = "drop";
	else if (!strcmp(state, "canceled"))
		*event = "cancel";
	else
		return NULL;
	return active || !strcmp(from, "created") ? state : NULL;
}

/* The status still pending or running for this pipeline, name, ref and
 * user (GitLab's running_or_pending.find_or_initialize_by). */
static int active_find(struct db *db, int64_t pipeline_id, const struct commit_status_req *r,
		       const char *ref, const char *name, struct commit_status *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " CS_COLUMNS " FROM commit_statuses"
			    " WHERE pipeline_id = $1 AND name = $2 AND ref = $3 AND user_id = $4"
			    " AND status IN ('pending', 'running') ORDER BY id DESC LIMIT 1",
			    "issi", pipeline_id, name, ref, r->user_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	cs_from_row(st, out);
	db_stmt_free(st);
	return 0;
}

static int status_insert(struct db *db, const struct commit_status_req *r, int64_t pipeline_id,
			 const char *ref, const char *name, const char *status, int64_t *id_out)
{
	struct db_stmt *st = NULL;
	int64_t now = time_now_ms();
	int running = !strcmp(status, "running"), pending = !strcmp(status, "pending");
	int ret;

	ret = db_queryp(db, &st, "INSERT INTO commit_statuses (project_id, pipeline_id, sha, ref,"
			" name, status, target_url, description, coverage, user_id, created_at,"
			" started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
			" $11, $12, $13) RETURNING id", "iisssssssIiII", r->project_id,
			pipeline_id, r->sha, ref, name, status, r->target_url, r->description,
			r->coverage, r->user_id, now, running ? now : 0,
			running || pending ? 0 : now);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	/* Only the newest status of a name counts unless all are asked for. */
	return db_execp(db, "UPDATE commit_statuses SET retried = 1 WHERE pipeline_id = $1"
			    " AND name = $2 AND id <> $3", "isi", pipeline_id, name, *id_out);
}

static int status_update(struct db *db, const struct commit_status_req *r,
			 const struct commit_status *old, const char *status)
{
	int64_t now = time_now_ms();
	int64_t started = old->started_at, finished = 0;

	if (!strcmp(status, "running") && !started)
		started = now;
	if (strcmp(status, "running") && strcmp(status, "pending"))
		finished = now;
	return db_execp(db, "UPDATE commit_statuses SET status = $1, target_url = $2,"
			    " description = $3, coverage = $4, started_at = $5, finished_at = $6"
			    " WHERE id = $7", "ssssIIi", status,
			r->target_url ? r->target_url : old->target_url,
			r->description ? r->description : old->description,
			r->coverage ? r->coverage : old->coverage, started, finished, old->id);
}

static void transition_error(struct buf *err, const char *event, const char *from)
{
	buf_addf(err, "Cannot transition status via :%s from :%s (Reason(s): Status cannot"
		      " transition via \"%s\")", event, from, event);
}

static int status_apply(struct db *db, const struct commit_status_req *r, int64_t pipeline_id,
			const char *ref, int64_t *id_out, struct buf *err)
{
	struct commit_status old = { 0 };
	const char *name = r->name ? r->name : "default", *event = NULL, *to;
	int ret = active_find(db, pipeline_id, r, ref, name, &old);

	if (ret < 0 && ret != ERR_NOTFOUND)
		return ret;
	to = transition(ret == 0 ? old.status : "created", r->state, &event);
	if (!to) {
		transition_error(err, event ? event : r->state, ret == 0 ? old.status : "created");
		ret = ERR_INVALID;
	} else if (ret == 0) {
		ret = status_update(db, r, &old, to);
		if (ret == 0)
			*id_out = old.id;
	} else {
		ret = status_insert(db, r, pipeline_id, ref, name, to, id_out);
	}
	cs_release(&old);
	return ret;
}

int commit_status_post(struct db *db, const struct commit_status_req *r, int64_t *id_out,
		       struct buf *err)
{
	struct buf ref = BUF_INIT;
	int64_t pipeline_id = 0, id = 0;
	int ret = db_tx_begin(db);

	if (ret < 0)
		return ret;
	ret = pipeline_find(db, r, &pipeline_id, &ref);
	if (ret == ERR_NOTFOUND) {
		/* A new external pipeline on the given ref, or the fallback. */
		buf_reset(&ref);
		buf_addstr(&ref, r->ref ? r->ref : r->ref_fallback ? r->ref_fallback : "");
		ret = ref.len ? pipeline_create(db, r, ref.ptr, &pipeline_id) : ERR_NOTFOUND;
	}
	if (ret == 0)
		ret = status_apply(db, r, pipeline_id, r->ref ? r->ref : ref.ptr, &id, err);
	ret = db_tx_end(db, ret);
	if (ret == 0)
		*id_out = id;
	buf_release(&ref);
	return ret;
}

static void filter_where(struct sqlq *q, const struct commit_status_filter *f)
{
	sqlq_add(q, " FROM commit_statuses WHERE project_id = ");
	sqlq_int(q, f->project_id);
	sqlq_add(q, " AND sha = ");
	sqlq_str(q, f->sha);
	if (f->ref) {
		sqlq_add(q, " AND ref = ");
		sqlq_str(q, f->ref);
	}
	if (f->stage) {
		sqlq_add(q, " AND stage = ");
		sqlq_str(q, f->stage);
	}
	if (f->name) {
		sqlq_add(q, " AND name = ");
		sqlq_str(q, f->name);
	}
	if (f->pipeline_id) {
		sqlq_add(q, " AND pipeline_id = ");
		sqlq_int(q, f->pipeline_id);
	}
	if (!f->all)
		sqlq_add(q, " AND retried = 0");
}

int commit_status_count(struct db *db, const struct commit_status_filter *f, int64_t *out)
{
	struct sqlq q;
	int ret;

	sqlq_init(&q);
	sqlq_add(&q, "SELECT count(*)");
	filter_where(&q, f);
	ret = sqlq_count(&q, db, out);
	sqlq_release(&q);
	return ret;
}

int commit_status_list(struct db *db, const struct commit_status_filter *f, int64_t offset,
		       int64_t limit, int (*fn)(const struct commit_status *s, void *ctx), void *ctx)
{
	struct db_stmt *st = NULL;
	struct sqlq q;
	int ret;

	sqlq_init(&q);
	sqlq_add(&q, "SELECT " CS_COLUMNS);
	filter_where(&q, f);
	sqlq_add(&q, " ORDER BY id LIMIT ");
	sqlq_int(&q, limit);
	sqlq_add(&q, " OFFSET ");
	sqlq_int(&q, offset);
	ret = sqlq_prepare(&q, db, &st);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		struct commit_status s;
		int stop;

		cs_from_row(st, &s);
		stop = fn(&s, ctx);
		cs_release(&s);
		ret = stop ? 1 : 0;
		if (stop)
			break;
	}
	db_stmt_free(st);
	sqlq_release(&q);
	return ret < 0 ? ret : 0;
}
