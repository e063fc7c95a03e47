#include "push_rules.h"
#include "token.h"
#include "core/buf.h"
#include "core/err.h"
#include "model/member.h"
#include "model/protected_branch.h"

#include <string.h>

static const char zero_oid[] = "0000000000000000000000000000000000000000";

int push_rule_name_harmful(const char *ref)
{
	return strncmp(ref, "refs/", 5) || !strcmp(ref, "refs/heads/HEAD") ||
	       !strncmp(ref, "refs/heads/refs/", 16) || strstr(ref, "/-");
}

int push_rule_deploy_token_level(unsigned scopes)
{
	/* GitLab gives a write_repository deploy token a Developer's push
	 * rights: unprotected branches, and protected ones whose push level
	 * admits Developers; never deletion of a protected branch. */
	return scopes & SCOPE_WRITE_REPOSITORY ? ACCESS_DEVELOPER : ACCESS_NONE;
}

static int check_delete(int level, unsigned flags, const char *branch, struct buf *reason)
{
	if (!(flags & PUSH_RULE_API)) {
		buf_addf(reason, "kura: You can only delete protected branches using the web "
			 "interface or the API (branch %s).", branch);
		return ERR_DENIED;
	}
	if (level < ACCESS_MAINTAINER) {
		buf_addstr(reason, "You are not allowed to delete protected branches from this "
			   "project. Only a project maintainer or owner can delete a protected "
			   "branch.");
		return ERR_DENIED;
	}
	return 0;
}

int push_rule_check(const struct protected_branch_list *rules, int level, unsigned flags,
		    const char *refname, const char *old_id, const char *new_id,
		    push_rule_ff_fn ff, void *ff_ctx, struct buf *reason)
{
	const char *branch = refname + strlen("refs/heads/");
	int found = 0, push_level = 0, allow_force = 1;

	if (strncmp(refname, "refs/heads/", 11))
		return 0;
	protected_branch_effective(rules, branch, &found, &push_level, &allow_force);
	if (!found)
		return 0;
	if (!strcmp(new_id, zero_oid))
		return check_delete(level, flags, branch, reason);
	if (push_level == 0 || level < push_level) {
		if (flags & PUSH_RULE_API)
			buf_addstr(reason, "You are not allowed to push into this branch");
		else
			buf_addf(reason, "kura: You are not allowed to push code to protected "
				 "branches on this project (branch %s).", branch);
		return ERR_DENIED;
	}
	if (strcmp(old_id, zero_oid) && !allow_force && !ff(ff_ctx, old_id, new_id)) {
		if (flags & PUSH_RULE_API)
			buf_addstr(reason, "You are not allowed to force push code to a protected "
				   "branch on this project.");
		else
			buf_addf(reason, "kura: You are not allowed to force push code to a "
				 "protected branch on this project (branch %s).", branch);
		return ERR_DENIED;
	}
	return 0;
}
