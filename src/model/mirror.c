#include "mirror.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define PM_COLUMNS "project_id, url, credentials, mirror, interval_ms, import_status," \
		   " import_error, sched_seq, last_update_started_at, last_update_at," \
		   " last_successful_update_at, created_at"
#define RM_COLUMNS "id, project_id, url, credentials, enabled, only_protected_branches," \
		   " keep_divergent_refs, interval_ms, update_status, last_error, sched_seq," \
		   " last_update_started_at, last_update_at, last_successful_update_at, created_at"

/* ---- project_mirrors ---- */

static void pm_from_row(struct db_stmt *st, struct project_mirror *m)
{
	m->project_id = db_col_int64(st, 0);
	m->url = db_col_strdup(st, 1);
	m->credentials = db_col_strdup(st, 2);
	m->mirror = (int)db_col_int64(st, 3);
	m->interval_ms = db_col_int64(st, 4);
	m->import_status = db_col_strdup(st, 5);
	m->import_error = db_col_strdup(st, 6);
	m->sched_seq = db_col_int64(st, 7);
	m->last_update_started_at = db_col_int64(st, 8);
	m->last_update_at = db_col_int64(st, 9);
	m->last_successful_update_at = db_col_int64(st, 10);
	m->created_at = db_col_int64(st, 11);
}

int project_mirror_find(struct db *db, int64_t project_id, struct project_mirror **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " PM_COLUMNS " FROM project_mirrors"
			    " WHERE project_id = $1", "i", project_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = xcalloc(1, sizeof(**out));
	pm_from_row(st, *out);
	db_stmt_free(st);
	return 0;
}

void project_mirror_free(struct project_mirror *m)
{
	if (!m)
		return;
	free(m->url);
	free(m->credentials);
	free(m->import_status);
	free(m->import_error);
	free(m);
}

int project_mirror_save(struct db *db, const struct project_mirror *m)
{
	return db_execp(db, "INSERT INTO project_mirrors (project_id, url, credentials, mirror,"
			    " interval_ms, import_status, import_error, created_at)"
			    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
			    " ON CONFLICT (project_id) DO UPDATE SET url = $2, credentials = $3,"
			    " mirror = $4, interval_ms = $5, import_status = $6, import_error = $7",
			"issiissi", m->project_id, m->url, m->credentials, (int64_t)(m->mirror != 0),
			m->interval_ms, m->import_status, m->import_error, time_now_ms());
}

int project_mirror_is_pull(struct db *db, int64_t project_id)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT mirror FROM project_mirrors WHERE project_id = $1",
			    "i", project_id);

	if (ret <= 0)
		return ret;
	ret = db_col_int64(st, 0) != 0;
	db_stmt_free(st);
	return ret;
}

int project_mirror_set_status(struct db *db, int64_t project_id, const char *status,
			      const char *error)
{
	return db_execp(db, "UPDATE project_mirrors SET import_status = $1, import_error = $2"
			    " WHERE project_id = $3", "ssi", status, error, project_id);
}

int project_mirror_started(struct db *db, int64_t project_id)
{
	return db_execp(db, "UPDATE project_mirrors SET import_status = 'started',"
			    " last_update_started_at = $1 WHERE project_id = $2", "ii",
			time_now_ms(), project_id);
}

int project_mirror_finished(struct db *db, int64_t project_id, int ok, const char *error)
{
	int64_t now = time_now_ms();

	if (ok)
		return db_execp(db, "UPDATE project_mirrors SET import_status = 'finished',"
				    " import_error = NULL, last_update_at = $1,"
				    " last_successful_update_at = $1 WHERE project_id = $2", "ii",
				now, project_id);
	return db_execp(db, "UPDATE project_mirrors SET import_status = 'failed',"
			    " import_error = $1, last_update_at = $2 WHERE project_id = $3", "sii",
			error, now, project_id);
}

static int bump_seq(struct db *db, const char *sql, int64_t id, int64_t *seq_out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, sql, "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*seq_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int project_mirror_bump_seq(struct db *db, int64_t project_id, int64_t *seq_out)
{
	return bump_seq(db, "UPDATE project_mirrors SET sched_seq = sched_seq + 1"
			    " WHERE project_id = $1 RETURNING sched_seq", project_id, seq_out);
}

/* ---- remote_mirrors ---- */

static void rm_from_row(struct db_stmt *st, struct remote_mirror *m)
{
	m->id = db_col_int64(st, 0);
	m->project_id = db_col_int64(st, 1);
	m->url = db_col_strdup(st, 2);
	m->credentials = db_col_strdup(st, 3);
	m->enabled = (int)db_col_int64(st, 4);
	m->only_protected_branches = (int)db_col_int64(st, 5);
	m->keep_divergent_refs = (int)db_col_int64(st, 6);
	m->interval_ms = db_col_int64(st, 7);
	m->update_status = db_col_strdup(st, 8);
	m->last_error = db_col_strdup(st, 9);
	m->sched_seq = db_col_int64(st, 10);
	m->last_update_started_at = db_col_int64(st, 11);
	m->last_update_at = db_col_int64(st, 12);
	m->last_successful_update_at = db_col_int64(st, 13);
	m->created_at = db_col_int64(st, 14);
}

static void rm_release(struct remote_mirror *m)
{
	free(m->url);
	free(m->credentials);
	free(m->update_status);
	free(m->last_error);
}

int remote_mirror_find(struct db *db, int64_t project_id, int64_t id, struct remote_mirror **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " RM_COLUMNS " FROM remote_mirrors WHERE id = $1"
			    " AND ($2 = 0 OR project_id = $2)", "ii", id, project_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = xcalloc(1, sizeof(**out));
	rm_from_row(st, *out);
	db_stmt_free(st);
	return 0;
}

void remote_mirror_free(struct remote_mirror *m)
{
	if (!m)
		return;
	rm_release(m);
	free(m);
}

int remote_mirror_list(struct db *db, int64_t project_id, struct remote_mirror_list *out)
{
	struct remote_mirror_list l = { NULL, 0 };
	struct db_stmt *st = NULL;
	int ret;

	ret = db_prepare(db, &st, "SELECT " RM_COLUMNS " FROM remote_mirrors"
			 " WHERE project_id = $1 ORDER BY id");
	if (ret == 0)
		ret = db_bind_int64(st, 1, project_id);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		l.items = xrealloc(l.items, (l.nr + 1) * sizeof(*l.items));
		rm_from_row(st, &l.items[l.nr++]);
		ret = 0;
	}
	db_stmt_free(st);
	if (ret < 0) {
		remote_mirror_list_release(&l);
		return ret;
	}
	*out = l;
	return 0;
}

void remote_mirror_list_release(struct remote_mirror_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		rm_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = 0;
}

int remote_mirror_create(struct db *db, const struct remote_mirror *m, int64_t *id_out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "INSERT INTO remote_mirrors (project_id, url, credentials,"
			    " enabled, only_protected_branches, keep_divergent_refs, interval_ms,"
			    " update_status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'none', $8)"
			    " RETURNING id", "issiiiii", m->project_id, m->url, m->credentials,
			    (int64_t)(m->enabled != 0), (int64_t)(m->only_protected_branches != 0),
			    (int64_t)(m->keep_divergent_refs != 0), m->interval_ms, time_now_ms());

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*id_out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int remote_mirror_update(struct db *db, const struct remote_mirror *m)
{
	return db_execp(db, "UPDATE remote_mirrors SET url = $1, credentials = $2, enabled = $3,"
			    " only_protected_branches = $4, keep_divergent_refs = $5,"
			    " interval_ms = $6 WHERE id = $7", "ssiiiii", m->url, m->credentials,
			(int64_t)(m->enabled != 0), (int64_t)(m->only_protected_branches != 0),
			(int64_t)(m->keep_divergent_refs != 0), m->interval_ms, m->id);
}

int remote_mirror_delete(struct db *db, int64_t project_id, int64_t id)
{
	struct remote_mirror *m = NULL;
	int ret = remote_mirror_find(db, project_id, id, &m);

	if (ret == 0)
		ret = db_execp(db, "DELETE FROM remote_mirrors WHERE id = $1", "i", id);
	remote_mirror_free(m);
	return ret;
}

int remote_mirror_started(struct db *db, int64_t id)
{
	return db_execp(db, "UPDATE remote_mirrors SET update_status = 'started',"
			    " last_update_started_at = $1 WHERE id = $2", "ii", time_now_ms(), id);
}

int remote_mirror_finished(struct db *db, int64_t id, int ok, const char *error)
{
	int64_t now = time_now_ms();

	if (ok)
		return db_execp(db, "UPDATE remote_mirrors SET update_status = 'finished',"
				    " last_error = $1, last_update_at = $2,"
				    " last_successful_update_at = $2 WHERE id = $3", "sii", error, now,
				id);
	return db_execp(db, "UPDATE remote_mirrors SET update_status = 'failed', last_error = $1,"
			    " last_update_at = $2 WHERE id = $3", "sii", error, now, id);
}

int remote_mirror_bump_seq(struct db *db, int64_t id, int64_t *seq_out)
{
	return bump_seq(db, "UPDATE remote_mirrors SET sched_seq = sched_seq + 1 WHERE id = $1"
			    " RETURNING sched_seq", id, seq_out);
}
