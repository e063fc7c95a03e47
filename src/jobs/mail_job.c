/* The "mail" job: sends one composed message (notify_queue built it) over
 * SMTP. The payload holds the finished bytes, so every attempt sends the
 * same message with the same Message-ID; an outage only delays it. Once
 * sent, the payload is cleared: reset links must not outlive their mail in
 * the jobs table. */
#include "job_kinds.h"
#include "mail.h"
#include "notify.h"
#include "queue.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/strvec.h"
#include "db/db.h"

#include <jansson.h>
#include <string.h>

#define MAIL_SENT_PAYLOAD "{\"sent\":true}"

static void mail_job_scrub(struct db_pool *pool, int64_t id)
{
	struct db *db = db_get(pool);

	if (db)
		(void)db_execp(db, "UPDATE jobs SET payload = $1 WHERE id = $2", "si",
			       MAIL_SENT_PAYLOAD, id);
	db_put(pool, db);
}

int mail_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	json_t *root = NULL, *to = NULL, *v;
	const char *from = NULL, *message = NULL;
	struct buf sender = BUF_INIT;
	struct strvec rcpt = STRVEC_INIT;
	struct mail_smtp smtp;
	size_t i, len = 0;
	int ret;

	if (!strcmp(job->payload, MAIL_SENT_PAYLOAD))
		return 0;	/* sent before its lease ran out: once is enough */
	root = json_loads(job->payload, 0, NULL);
	if (!root || json_unpack(root, "{s:s, s:o, s:s%}", "from", &from, "to", &to, "message",
				 &message, &len) != 0 || !json_is_array(to)) {
		buf_addstr(err, "malformed mail job");
		ret = ERR_INVALID;
		goto out;
	}
	json_array_foreach(to, i, v)
		if (json_is_string(v))
			strvec_push(&rcpt, json_string_value(v));
	if (rcpt.nr == 0) {
		buf_addstr(err, "mail job without recipients");
		ret = ERR_INVALID;
		goto out;
	}
	ret = notify_config() ? mail_smtp_from_config(notify_config(), &smtp, &sender)
			      : ERR_NOTFOUND;
	if (ret == ERR_NOTFOUND) {
		/* Queued while mail was on: keep it for when it is on again. */
		buf_addstr(err, "smtp_url is not set; the mail waits");
		ret = ERR_UNAVAILABLE;
		goto out;
	}
	ret = mail_send(&smtp, from, &rcpt, message, len, err);
	if (ret == 0)
		mail_job_scrub(pool, job->id);
out:
	strvec_release(&rcpt);
	buf_release(&sender);
	json_decref(root);
	return ret;
}
