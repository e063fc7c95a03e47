/* The mail kura sends: each notice is composed here (subject, a text part
 * and an HTML part in which every user-controlled string is escaped) and
 * queued as a "mail" job holding the finished message, so a retry after an
 * SMTP outage sends the same bytes with the same Message-ID.
 *
 * Mail is off unless smtp_url is configured: then every notify_* function
 * returns 0 without queueing anything (the server says so once, at info,
 * when it starts). Handlers call one function per event. */
#ifndef KURA_NOTIFY_H
#define KURA_NOTIFY_H
#include <stdint.h>

struct buf;
struct config;
struct db;
struct job;
struct strvec;
struct user;

#define NOTIFY_MAIL_ATTEMPTS 16		/* a few hours of backoff: outages end */

/* Remembers the configuration for the job handlers (borrowed; it lives for
 * the whole process) and logs when mail is off. Called by jobs_init. */
void notify_configure(const struct config *cfg);
const struct config *notify_config(void);

/* 1 when smtp_url is set. */
int notify_enabled(const struct config *cfg);

/* A finished message for the queue. Strings are borrowed. */
struct notify_mail {
	const struct strvec *to;
	const char *from;		/* NULL: the configured sender */
	const char *subject;
	const char *text;
	const char *html;
};

/* Composes m and queues it inside the caller's transaction (if any). key,
 * when non-NULL, makes the queueing idempotent: a mail with that key that is
 * already queued is not queued twice. ERR_INVALID with a sentence in err for
 * what mail_compose refuses. */
int notify_queue(struct db *db, const struct config *cfg, const struct notify_mail *m,
		 const char *key, struct buf *err);

/* Password reset: issues a token and mails the link to the user. ERR_BUSY
 * when the user was sent too many links this hour (nothing is queued). */
int notify_password_reset(struct db *db, const struct config *cfg, const struct user *u);

/* Welcome mail for an account an administrator created: with a link to set
 * the password when the account has none. */
int notify_user_created(struct db *db, const struct config *cfg, int64_t user_id);

/* Notice that a personal access token was created (a stolen session making
 * itself a token is then seen by the owner). */
int notify_pat_created(struct db *db, const struct config *cfg, int64_t pat_id);

/* Notice that the token expires on expires_at; key makes it once per token. */
int notify_pat_expiring(struct db *db, const struct config *cfg, int64_t pat_id);

/* From push_job_run: queues a "push_mail" job for this ref update when the
 * project has an active emails-on-push integration; once per push job. */
int notify_push_enqueue(struct db *db, const struct job *push_job, int64_t project_id);

/* Splits a recipients list (spaces, commas, semicolons or newlines between
 * addresses) into out, dropping repeats. ERR_INVALID with a sentence naming
 * the first bad address, or for more than MAIL_RCPT_MAX of them. */
int notify_recipients_parse(const char *list, struct strvec *out, struct buf *err);

#endif
