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

/* Runs the hook named by argv0's basename; the process exit status. */
int hook_main(const char *name);
/* Is this basename one of our hooks? */
int hook_is_hook_name(const char *name);

/* Policy of pre-receive: 0, or ERR_DENIED with the reason for the client. */
int hook_pre_receive(struct db *db, const struct project *p, const struct principal *who,
		     const struct ref_update *u, size_t n, struct buf *reason);
/* Bookkeeping of post-receive: events and jobs in one transaction, the
 * default branch and HEAD of a first push. */
int hook_post_receive(struct db *db, const struct project *p, const struct principal *who,
		      const struct ref_update *u, size_t n);

#endif
