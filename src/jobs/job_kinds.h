/* The handlers behind each job kind (see queue.h for the contract). */
#ifndef KURA_JOB_KINDS_H
#define KURA_JOB_KINDS_H

struct buf;
struct db_pool;
struct job;

/* "push": one ref update recorded by post-receive; fans out one "webhook"
 * job per hook that wants it, with the payload built once. */
int push_job_run(struct db_pool *pool, const struct job *job, struct buf *err);
/* "webhook": one delivery of one event to one hook, logged, with GitLab's
 * auto-disabling after repeated failures. */
int webhook_job_run(struct db_pool *pool, const struct job *job, struct buf *err);

/* "mail": sends one composed message (notify.h queues them). */
int mail_job_run(struct db_pool *pool, const struct job *job, struct buf *err);
/* "push_mail": the emails-on-push mail of one ref update. */
int push_mail_job_run(struct db_pool *pool, const struct job *job, struct buf *err);
/* "token_expiry_sweep": daily; mails owners of tokens expiring within 7 days. */
int token_expiry_job_run(struct db_pool *pool, const struct job *job, struct buf *err);
/* "housekeeping": repacks a project's repository with a bitmap and prunes
 * old unreachable objects ({"project_id": N}). */
int housekeeping_job_run(struct db_pool *pool, const struct job *job, struct buf *err);
/* "pack_refs": after a push, packs the refs once many are loose
 * ({"project_id": N}). */
int pack_refs_job_run(struct db_pool *pool, const struct job *job, struct buf *err);

#endif
