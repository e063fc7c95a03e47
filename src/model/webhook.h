/* Webhooks of projects, groups and the whole instance (system hooks), their
 * delivery log, and GitLab's auto-disabling state. Only rows: validation of
 * the URL against the outbound policy happens in the handlers. */
#ifndef KURA_WEBHOOK_H
#define KURA_WEBHOOK_H
#include <stddef.h>
#include <stdint.h>

struct db;

enum webhook_scope { WEBHOOK_PROJECT, WEBHOOK_GROUP, WEBHOOK_SYSTEM };

struct webhook {
	int64_t id;
	enum webhook_scope scope;
	int64_t scope_id;		/* project or namespace id; 0 for system hooks */
	char *url;
	char *token;			/* NULL: none */
	int push_events, tag_push_events, merge_requests_events, repository_update_events;
	int enable_ssl_verification;
	char *branch_filter;		/* NULL: none */
	char *branch_filter_strategy;	/* wildcard, regex, all_branches */
	char *uuid;
	int recent_failures;
	int64_t disabled_until;		/* 0: not disabled */
	int permanently_disabled;
	int64_t created_at;
};

struct webhook_list {
	struct webhook *items;
	size_t nr;
};

/* Inserts w (id, uuid and created_at are set here). */
int webhook_create(struct db *db, struct webhook *w);
/* Updates the settings of w->id (not its scope or failure state). */
int webhook_update(struct db *db, const struct webhook *w);
int webhook_delete(struct db *db, int64_t id);
int webhook_find(struct db *db, int64_t id, struct webhook **out);
/* The hooks of one scope, oldest first, paginated. */
int webhook_list(struct db *db, enum webhook_scope scope, int64_t scope_id, int64_t offset,
		 int64_t limit, struct webhook_list *out);
int webhook_count(struct db *db, enum webhook_scope scope, int64_t scope_id, int64_t *out);
/* Every hook that hears about pushes to a project: its own, those of the
 * groups above it, and system hooks; permanently disabled ones left out. */
int webhook_list_for_project(struct db *db, int64_t project_id, int64_t namespace_id,
			     struct webhook_list *out);
void webhook_free(struct webhook *w);
void webhook_list_release(struct webhook_list *l);

/* Does branch pass the hook's push branch filter? */
int webhook_branch_matches(const struct webhook *w, const char *branch);

struct webhook_delivery {
	int64_t id;
	char *event;
	char *idempotency_key;
	char *request_body;
	int response_status;		/* 0: no response */
	char *response_body;
	char *error;
	int64_t duration_ms;
	int64_t created_at;
};

int webhook_delivery_record(struct db *db, int64_t webhook_id, const struct webhook_delivery *d);
/* Newest first, at most limit. */
int webhook_delivery_list(struct db *db, int64_t webhook_id, int64_t limit,
			  struct webhook_delivery **out, size_t *n_out);
void webhook_delivery_list_free(struct webhook_delivery *d, size_t n);
/* Records the outcome for auto-disabling: success resets the count; a
 * failure sets the count and the state the caller computed. */
int webhook_note_result(struct db *db, int64_t id, int ok, int failures, int64_t disabled_until,
			int permanently);
/* Re-enables a disabled hook (GitLab: editing or testing it). */
int webhook_reenable(struct db *db, int64_t id);

#endif
