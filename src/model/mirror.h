/* Where a project's content comes from and goes to.
 *
 * project_mirrors: one row per project imported from a URL; with mirror set
 * it is a pull mirror, fetched every interval_ms. import_status follows
 * GitLab's import states (none, scheduled, started, finished, failed).
 *
 * remote_mirrors: GitLab's push mirrors, several per project.
 *
 * Both keep the URL without credentials; credentials are sealed text (see
 * import/secret.h) and never leave through the API. sched_seq names the one
 * live chain of scheduled jobs: a scheduled job whose seq differs from the
 * row's is a leftover and ends itself. */
#ifndef KURA_MIRROR_H
#define KURA_MIRROR_H
#include <stddef.h>
#include <stdint.h>

struct db;

struct project_mirror {
	int64_t project_id;
	char *url;
	char *credentials;		/* sealed; NULL: none */
	int mirror;			/* 1: a pull mirror */
	int64_t interval_ms;
	char *import_status;
	char *import_error;		/* NULL: none */
	int64_t sched_seq;
	int64_t last_update_started_at, last_update_at, last_successful_update_at;
	int64_t created_at;
};

struct remote_mirror {
	int64_t id;
	int64_t project_id;
	char *url;
	char *credentials;		/* sealed; NULL: none */
	int enabled;
	int only_protected_branches;
	int keep_divergent_refs;
	int64_t interval_ms;
	char *update_status;		/* none, scheduled, started, finished, failed */
	char *last_error;
	int64_t sched_seq;
	int64_t last_update_started_at, last_update_at, last_successful_update_at;
	int64_t created_at;
};

struct remote_mirror_list {
	struct remote_mirror *items;
	size_t nr;
};

/* ERR_NOTFOUND when the project was never imported from a URL. */
int project_mirror_find(struct db *db, int64_t project_id, struct project_mirror **out);
void project_mirror_free(struct project_mirror *m);
/* Inserts or replaces the settings (url, credentials, mirror, interval,
 * status, error) of m->project_id; timestamps are kept. */
int project_mirror_save(struct db *db, const struct project_mirror *m);
/* 1 when the project is a pull mirror (users may not push), 0 if not. */
int project_mirror_is_pull(struct db *db, int64_t project_id);
int project_mirror_set_status(struct db *db, int64_t project_id, const char *status,
			      const char *error);
/* An update starts (status started) or ends (finished or failed). */
int project_mirror_started(struct db *db, int64_t project_id);
int project_mirror_finished(struct db *db, int64_t project_id, int ok, const char *error);
/* Starts a new chain of scheduled updates: the new seq in *seq_out. */
int project_mirror_bump_seq(struct db *db, int64_t project_id, int64_t *seq_out);

/* ERR_NOTFOUND unless mirror id belongs to project_id (0: any project). */
int remote_mirror_find(struct db *db, int64_t project_id, int64_t id, struct remote_mirror **out);
void remote_mirror_free(struct remote_mirror *m);
int remote_mirror_list(struct db *db, int64_t project_id, struct remote_mirror_list *out);
void remote_mirror_list_release(struct remote_mirror_list *l);
int remote_mirror_create(struct db *db, const struct remote_mirror *m, int64_t *id_out);
/* Writes url, credentials, enabled and the two options of m->id. */
int remote_mirror_update(struct db *db, const struct remote_mirror *m);
int remote_mirror_delete(struct db *db, int64_t project_id, int64_t id);
int remote_mirror_started(struct db *db, int64_t id);
int remote_mirror_finished(struct db *db, int64_t id, int ok, const char *error);
int remote_mirror_bump_seq(struct db *db, int64_t id, int64_t *seq_out);

#endif
