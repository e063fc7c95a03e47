/* A webhook's "Test" button (API and web alike): a sample Push Hook for the
 * default branch's head, delivered through the same queue as real pushes. */
#ifndef KURA_HOOK_TEST_H
#define KURA_HOOK_TEST_H
#include <stdint.h>

struct buf;
struct db;
struct project;
struct user;

/* Queues the sample delivery to hook_id. ERR_NOTFOUND when the repository
 * has no commit to describe; other codes with a sentence in err. u may be
 * NULL. */
int hook_test_push(struct db *db, const struct project *p, const struct user *u,
		   int64_t hook_id, struct buf *err);

#endif
