/* pre-receive: protected branches and ref names that harm users. Runs after
 * git has the objects in quarantine and before any ref moves, so a refusal
 * leaves the repository exactly as it was. */
#include "hook.h"
#include "auth/authn.h"
#include "auth/push_rules.h"
#include "core/buf.h"
#include "core/err.h"
#include "git/repo_store.h"
#include "model/member.h"
#include "model/mirror.h"
#include "model/project.h"
#include "model/protected_branch.h"
#include "model/push_event.h"
#include "model/user.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

/* Names git accepts but that confuse people or tools. */
static int ref_name_harmful(const char *ref)
{
	int valid = 0;

	if (push_rule_name_harmful(ref))
		return 1;
	return git_reference_name_is_valid(&valid, ref) < 0 || !valid;
}

/* The pushed objects are still in git's quarantine directory (named by
 * GIT_OBJECT_DIRECTORY, set by receive-pack for its hooks): look there too,
 * if it is inside the repository. */
static int repo_open_with_quarantine(git_repository **out, const char *path,
				     const char *quarantine)
{
	size_t plen = strlen(path);
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	int ret = git_repository_open_bare(&repo, path);

	if (ret == 0 && quarantine && !strncmp(quarantine, path, plen) && quarantine[plen] == '/' &&
	    !strstr(quarantine, "/../")) {
		ret = git_repository_odb(&odb, repo);
		if (ret == 0)
			ret = git_odb_add_disk_alternate(odb, quarantine);
		git_odb_free(odb);
	}
	if (ret < 0) {
		git_repository_free(repo);
		return ret;
	}
	*out = repo;
	return 0;
}

/* Is new a descendant of old (a fast-forward)? */
static int is_fast_forward(void *ctx, const char *old_hex, const char *new_hex)
{
	git_oid old_oid, new_oid;

	if (git_oid_fromstr(&old_oid, old_hex) < 0 || git_oid_fromstr(&new_oid, new_hex) < 0)
		return 0;
	return git_graph_descendant_of(ctx, &new_oid, &old_oid) == 1;
}

int hook_pre_receive(struct db *db, const struct project *p, const struct principal *who,
		     const struct ref_update *u, size_t n, const char *quarantine,
		     struct buf *reason)
{
	struct protected_branch_list rules = { NULL, 0 };
	git_repository *repo = NULL;
	struct buf path = BUF_INIT;
	int level = 0, ret = 0;

	if (!who->user && !(who->deploy_token_id && push_rule_deploy_token_level(who->scopes))) {
		buf_addstr(reason, "kura: You are not allowed to push code to this project.");
		return ERR_DENIED;
	}
	/* A pull mirror's refs come from its upstream only. */
	if (project_mirror_is_pull(db, p->id) != 0) {
		buf_addstr(reason, "kura: This project is a pull mirror: push to its upstream "
			   "repository instead.");
		return ERR_DENIED;
	}
	if (who->deploy_token_id)
		level = push_rule_deploy_token_level(who->scopes);
	else
		ret = member_project_level(db, p->id, p->namespace_id, who->user->id, &level);
	if (ret == 0 && who->user && who->user->is_admin)
		level = ACCESS_OWNER;
	if (ret == 0)
		ret = protected_branch_list(db, p->id, &rules);
	repo_store_path(&path, p->id);
	if (ret == 0 && repo_open_with_quarantine(&repo, path.ptr, quarantine) < 0)
		ret = ERR_INTERNAL;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if (ref_name_harmful(u[i].ref)) {
			buf_addf(reason, "kura: The ref name %.200s is not allowed.", u[i].ref);
			ret = ERR_DENIED;
		} else {
			ret = push_rule_check(&rules, level, 0, u[i].ref, u[i].old_oid, u[i].new_oid,
					      is_fast_forward, repo, reason);
		}
	}
	git_repository_free(repo);
	protected_branch_list_release(&rules);
	buf_release(&path);
	return ret;
}
