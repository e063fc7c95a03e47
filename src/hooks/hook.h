/* Server-side git hooks. kura installs DATA/git/hooks/pre-receive and
 * post-receive as links to its own binary; git runs them inside
 * receive-pack, and they learn who pushes to which project only from the
 * environment kura set when it spawned git (KURA_HOOK_*), never from the
 * client. They answer in milliseconds: one database connection, a few
 * indexed queries. */
#ifndef KURA_HOOK_H
#define KURA_HOOK_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct principal;
struct project;
struct ref_update;
struct buf;

/* Who pushes to which project: set by kura when it starts git, never
 * taken from the client. */
struct hook_context {
	int64_t project_id, user_id, deploy_token_id;
};

/* The most receive-pack hands a hook on stdin (HOOK_MAX_REFS lines). */
#define HOOK_MAX_INPUT (16 * 1024 * 1024)

/* Runs the hook named by argv0's basename; the process exit status. */
int hook_main(const char *name);
/* One hook run on receive-pack's input[0..len): the exit status for git,
 * with the lines for the client's "remote:" appended to msg. quarantine is
 * GIT_OBJECT_DIRECTORY as receive-pack set it (pre-receive looks there for
 * the pushed objects), or NULL. Used by the hook process and by the hook
 * service in the server alike. */
int hook_run(const char *name, struct db *db, const struct hook_context *ctx,
	     const char *quarantine, const char *input, size_t len, struct buf *msg);
/* Is this basename one of our hooks? */
int hook_is_hook_name(const char *name);

/* Policy of pre-receive: 0, or ERR_DENIED with the reason for the client. */
int hook_pre_receive(struct db *db, const struct project *p, const struct principal *who,
		     const struct ref_update *u, size_t n, const char *quarantine,
		     struct buf *reason);
/* Bookkeeping of post-receive: events and jobs in one transaction, the
 * default branch and HEAD of a first push. */
int hook_post_receive(struct db *db, const struct project *p, const struct principal *who,
		      const struct ref_update *u, size_t n);

#endif
