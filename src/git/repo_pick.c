/* Revert and cherry-pick as GitLab's API does them: the change is merged
 * into the branch tip in an in-memory index (libgit2's git_revert_commit and
 * git_cherrypick_commit), committed, and the branch moved by
 * repo_ref_update(), a compare-and-swap that runs the ref hooks (protected
 * branches). No working tree is touched. */
#include "repo_extra.h"
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"

#include <string.h>

/* GitLab's messages; the original message is used verbatim. */
static void pick_message(struct buf *out, enum repo_pick_kind kind, const git_commit *c,
			 const char *sha)
{
	const char *msg = git_commit_message(c);

	if (kind == REPO_PICK_REVERT) {
		size_t n = strcspn(msg, "\n");

		buf_addstr(out, "Revert \"");
		buf_add(out, msg, n);
		buf_addf(out, "\"\n\nThis reverts commit %s", sha);
	} else {
		buf_addstr(out, msg);
		/* One blank line before the trailer, however the message ends. */
		while (out->len && out->ptr[out->len - 1] == '\n')
			buf_truncate(out, out->len - 1);
		buf_addf(out, "\n\n(cherry picked from commit %s)", sha);
	}
}

/* The merged tree in idx, or the failure GitLab reports. */
static int pick_index(struct repo *r, enum repo_pick_kind kind, git_commit *commit,
		      git_commit *tip, git_index **idx, int *failure)
{
	unsigned mainline = git_commit_parentcount(commit) > 1 ? 1 : 0;
	git_tree *tip_tree = NULL;
	git_oid tree_id;
	int ret;

	if (kind == REPO_PICK_REVERT)
		ret = git_revert_commit(idx, r->git, commit, tip, mainline, NULL);
	else
		ret = git_cherrypick_commit(idx, r->git, commit, tip, mainline, NULL);
	ret = repo_git_err(ret, "pick");
	if (ret < 0)
		return ret;
	if (git_index_has_conflicts(*idx)) {
		*failure = REPO_PICK_CONFLICT;
		return ERR_INVALID;
	}
	ret = repo_git_err(git_index_write_tree_to(&tree_id, *idx, r->git), "write tree");
	if (ret == 0)
		ret = repo_git_err(git_commit_tree(&tip_tree, tip), "tip tree");
	if (ret == 0 && git_oid_equal(&tree_id, git_tree_id(tip_tree))) {
		*failure = REPO_PICK_EMPTY;
		ret = ERR_INVALID;
	}
	git_tree_free(tip_tree);
	return ret;
}

static int pick_commit(struct repo *r, enum repo_pick_kind kind, git_commit *commit,
		       git_commit *tip, git_index *idx, const struct repo_ident *who,
		       git_oid *out)
{
	git_signature *me = NULL;
	git_tree *tree = NULL;
	struct buf msg = BUF_INIT;
	char sha[REPO_OID_HEX];
	git_oid tree_id;
	int ret;

	ret = repo_signature_new(&me, who);
	if (ret == 0)
		ret = repo_git_err(git_index_write_tree_to(&tree_id, idx, r->git), "write tree");
	if (ret == 0)
		ret = repo_git_err(git_tree_lookup(&tree, r->git, &tree_id), "tree");
	if (ret < 0)
		goto out;
	git_oid_tostr(sha, sizeof(sha), git_commit_id(commit));
	pick_message(&msg, kind, commit, sha);
	ret = repo_git_err(git_commit_create(out, r->git, NULL,
					     kind == REPO_PICK_REVERT ? me : git_commit_author(commit),
					     me, NULL, msg.ptr, tree, 1,
					     (const git_commit **)&tip), "commit");
out:
	buf_release(&msg);
	git_tree_free(tree);
	git_signature_free(me);
	return ret;
}

int repo_pick(struct repo *r, enum repo_pick_kind kind, const char *rev, const char *branch,
	      const struct repo_ident *who, struct repo_ref_change *out, int *failure_out)
{
	git_commit *commit = NULL, *tip = NULL;
	git_index *idx = NULL;
	struct buf refname = BUF_INIT;
	char old_id[REPO_OID_HEX], new_id[REPO_OID_HEX];
	git_oid oid;
	int failure = 0, ret;

	ret = repo_short_ref_check("refs/heads/", branch);
	if (ret == 0)
		ret = repo_lookup_commit(r, rev, &commit);
	if (ret == 0) {
		buf_addf(&refname, "refs/heads/%s", branch);
		ret = repo_peel_ref(r, refname.ptr, &tip);
	}
	if (ret == 0)
		ret = pick_index(r, kind, commit, tip, &idx, &failure);
	if (ret == 0)
		ret = pick_commit(r, kind, commit, tip, idx, who, &oid);
	if (ret == 0) {
		git_oid_tostr(old_id, sizeof(old_id), git_commit_id(tip));
		git_oid_tostr(new_id, sizeof(new_id), &oid);
		ret = repo_ref_update(r, refname.ptr, old_id, new_id, kind == REPO_PICK_REVERT ?
				      "revert" : "cherry-pick", out);
		if (ret == ERR_EXISTS)
			ret = ERR_BUSY;
	}
	*failure_out = failure;
	git_index_free(idx);
	git_commit_free(tip);
	git_commit_free(commit);
	buf_release(&refname);
	return ret;
}
