/* Moving refs between a project's repository and a vetted remote with the
 * git binary: every branch, tag and note (never refs/remotes/ or anything
 * else), so that both sides list the same refs.
 *
 * Fetches go straight into the served repository with fetch.fsckObjects and
 * transfer.fsckObjects on (kura's global git config; repeated here as -c so
 * that no config change can turn them off): a malformed or malicious object
 * fails the fetch before any ref moves. */
#ifndef KURA_GITREMOTE_H
#define KURA_GITREMOTE_H
#include <stdint.h>

struct buf;
struct remote;
struct strvec;

#define GITREMOTE_TIMEOUT_MS (60 * 60 * 1000)	/* one import of a large repository */

/* Makes the repository of project_id ref-for-ref equal to r: forced updates,
 * refs gone upstream deleted, HEAD on the remote's default branch (its name
 * in *head_out, owned; NULL when the remote has none). ERR_AUTH for refused
 * credentials, ERR_UNAVAILABLE when the remote could not be reached,
 * ERR_INTERNAL otherwise; one sentence in err (git's words, scrubbed). */
int gitremote_fetch(int64_t project_id, const struct remote *r, char **head_out,
		    struct buf *err);

/* Pushes refspecs of project_id's repository to r; prune deletes remote refs
 * under the refspecs' wildcards that no longer exist here. Refs refused as
 * non-fast-forward (or an existing tag) are listed in divergent, one per
 * line, and are not an error. Errors as for gitremote_fetch. */
int gitremote_push(int64_t project_id, const struct remote *r, const struct strvec *refspecs,
		   int prune, struct buf *divergent, struct buf *err);

#endif
