/* Project integrations (GitLab's "services"). kura has one: emails on push,
 * which mails the pushed commits to a list of recipients. A project has at
 * most one row per kind; properties are kept as a JSON object so kinds to
 * come need no new columns. */
#ifndef KURA_INTEGRATION_H
#define KURA_INTEGRATION_H
#include <stdint.h>

struct buf;
struct db;

#define INTEGRATION_EMAILS_ON_PUSH "emails_on_push"
#define INTEGRATION_RECIPIENTS_MAX 4096		/* bytes of the recipients list */

struct emails_on_push {
	int64_t id, project_id;
	int active;
	char *recipients;		/* addresses separated by spaces, commas or newlines */
	int disable_diffs;
	int send_from_committer_email;
	char *branches;			/* all, default, protected, default_and_protected */
	int64_t created_at, updated_at;
};

/* 1 when s is one of the branches_to_be_notified words. */
int integration_branches_valid(const char *s);

/* ERR_NOTFOUND when the project has none; *out is the caller's. */
int integration_eop_find(struct db *db, int64_t project_id, struct emails_on_push **out);
/* Creates or replaces the settings of in->project_id (id and times are
 * ignored). ERR_INVALID with a sentence for a bad branches word or an
 * oversized recipients list; addresses are the caller's to check. */
int integration_eop_save(struct db *db, const struct emails_on_push *in, struct buf *err);
/* Removes it; no error when there was none. */
int integration_eop_delete(struct db *db, int64_t project_id);
void integration_eop_free(struct emails_on_push *e);

#endif
