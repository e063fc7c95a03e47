/* A record of each ref a push changed: the project's activity feed and the
 * source of push webhooks. */
#ifndef KURA_PUSH_EVENT_H
#define KURA_PUSH_EVENT_H
#include <stdint.h>

struct db;

struct ref_update {
	char old_oid[41];	/* 40 zeros for a new ref */
	char new_oid[41];	/* 40 zeros for a deleted ref */
	char *ref;		/* full name, refs/heads/… */
};

int push_event_record(struct db *db, int64_t project_id, int64_t user_id,
		      const struct ref_update *u, int64_t *id_out);

#endif
