/* What the admin area's system page reports beyond counts: the job queue,
 * recent failures, and how much the database and repositories take. */
#ifndef KURA_SYSINFO_H
#define KURA_SYSINFO_H
#include <stdint.h>

struct db;

struct sysinfo_jobs {
	int64_t pending, failed;
};

struct sysinfo_failed_job {
	int64_t id;
	const char *kind;
	int attempts;
	const char *last_error;	/* may be NULL */
	int64_t updated_at;	/* when it gave up (run_at of the last try) */
};

int sysinfo_job_counts(struct db *db, struct sysinfo_jobs *out);
/* Failed jobs, newest first; strings are borrowed for the call of fn. */
int sysinfo_failed_jobs(struct db *db, int64_t limit,
			int (*fn)(const struct sysinfo_failed_job *j, void *ctx), void *ctx);
/* The database's size in bytes (SQLite: its pages; PostgreSQL:
 * pg_database_size of the current database). */
int sysinfo_db_bytes(struct db *db, int64_t *out);
/* Bytes used under dir (allocated blocks), walking at most max_entries
 * entries; *partial_out is 1 when it stopped early. */
int sysinfo_dir_bytes(const char *dir, int64_t max_entries, int64_t *out, int *partial_out);

#endif
