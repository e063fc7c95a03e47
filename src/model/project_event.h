/* A project's activity feed as GitLab's events API shows it: for now the
 * push events post-receive and API writes record, newest first. */
#ifndef KURA_PROJECT_EVENT_H
#define KURA_PROJECT_EVENT_H
#include <stdint.h>

struct db;

struct project_event {
	int64_t id;
	int64_t project_id;
	int64_t user_id;	/* 0: no user (a deploy token, a deleted user) */
	const char *ref;	/* full name; borrowed for the callback */
	const char *before;	/* 40-hex, zeros for a new ref */
	const char *after;	/* 40-hex, zeros for a deletion */
	int64_t created_at;
};

int project_event_count(struct db *db, int64_t project_id, int64_t *out);
int project_event_list(struct db *db, int64_t project_id, int64_t offset, int64_t limit,
		       int (*fn)(const struct project_event *e, void *ctx), void *ctx);

#endif
