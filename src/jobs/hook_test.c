#include "hook_test.h"
#include "jobs.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/uuid.h"
#include "git/repo_read.h"
#include "model/project.h"

#include <stdlib.h>

int hook_test_push(struct db *db, const struct project *p, const struct user *u,
		   int64_t hook_id, struct buf *err)
{
	static const char zero[] = "0000000000000000000000000000000000000000";
	struct repo_commit *commit = NULL;
	struct buf body = BUF_INIT, ref = BUF_INIT;
	struct repo *r = NULL;
	char *branch = NULL, uuid[UUID_STR_LEN];
	int ret = repo_open(&r, p->id);

	if (ret == 0 && repo_is_empty(r) == 1)
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = repo_default_branch(r, &branch);
	if (ret == 0)
		ret = repo_commit_get(r, branch, 0, &commit);
	if (ret < 0) {
		ret = ERR_NOTFOUND;	/* nothing to describe, whatever the cause */
		goto out;
	}
	buf_addf(&ref, "refs/heads/%s", branch);
	ret = jobs_push_payload(db, p, u, ref.ptr,
				commit->parents_nr ? commit->parent_ids[0] : zero, commit->id,
				&body, err);
	uuid_v4(uuid);
	if (ret == 0)
		ret = jobs_enqueue_webhook(db, hook_id, "Push Hook", uuid, body.ptr, NULL);
out:
	repo_commit_free(commit);
	repo_close(r);
	free(branch);
	buf_release(&body);
	buf_release(&ref);
	return ret;
}
