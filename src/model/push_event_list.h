/* The activity feed: push events of the projects a user belongs to,
 * newest first. */
#ifndef KURA_PUSH_EVENT_LIST_H
#define KURA_PUSH_EVENT_LIST_H
#include <stdint.h>

struct db;

struct push_event_row {
	int64_t id;
	int64_t project_id;
	const char *project_full_path;	/* "group/project" */
	const char *project_name;
	const char *username;		/* NULL when the pusher is gone */
	const char *ref;		/* refs/heads/… or refs/tags/… */
	const char *before_sha, *after_sha;
	int64_t created_at;
};

/* Events of projects where user_id is a Reporter or above (directly,
 * through a group or as the owner of the personal namespace), newest
 * first. The row's strings are borrowed for the call of fn; fn returning
 * nonzero stops the walk. *more_out is 1 when events follow the window. */
int push_event_feed(struct db *db, int64_t user_id, int64_t offset, int64_t limit,
		    int (*fn)(const struct push_event_row *e, void *ctx), void *ctx,
		    int *more_out);

#endif
