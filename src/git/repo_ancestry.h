/* "Is this commit an ancestor of the default branch's tip?" answered from
 * a per-process cache of the tip's ancestry. Branch lists ask it for up to a
 * hundred branches at once; walking the history for every request made a
 * branch page cost a full history walk (a node keeps its own cache: it is
 * derived data, keyed by the tip, so it can never be stale). */
#ifndef KURA_REPO_ANCESTRY_H
#define KURA_REPO_ANCESTRY_H

#include <git2.h>

struct repo;

/* For each of n commit ids (40 hex), sets merged[i] to 1 when it is reachable
 * from tip within REPO_ANCESTRY_MAX commits. */
void repo_ancestry_mark(struct repo *r, const git_oid *tip, const char *const *ids, size_t n,
			int *merged);

#define REPO_ANCESTRY_MAX 200000	/* commits kept per tip: 20 bytes each */
#define REPO_ANCESTRY_SLOTS 8		/* tips (repositories) cached at once */

#endif
