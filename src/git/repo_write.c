/* Ref changes: the single compare-and-swap every write goes through, and
 * branches and tags built on it. Commits from file actions are in
 * repo_commit.c. */
#include "repo_internal.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void repo_set_ref_hooks(struct repo *r, const struct repo_ref_hooks *hooks, void *ctx)
{
	r->hooks = hooks;
	r->hooks_ctx = ctx;
}

/* NULL and the zero id both mean "no object"; anything else must be 40 hex. */
static int parse_id(const char *hex, git_oid *out, int *present)
{
	*present = 0;
	if (!hex || !strcmp(hex, REPO_ZERO_OID))
		return 0;
	if (strlen(hex) != 40 || strspn(hex, "0123456789abcdef") != 40 ||
	    git_oid_fromstr(out, hex) < 0)
		return ERR_INVALID;
	*present = 1;
	return 0;
}

static int ref_delete(struct repo *r, const char *refname, const git_oid *old)
{
	git_reference *ref = NULL;
	int ret;

	ret = repo_git_err(git_reference_lookup(&ref, r->git, refname), "ref lookup");
	if (ret == 0 && git_reference_type(ref) != GIT_REFERENCE_DIRECT)
		ret = ERR_INVALID;
	if (ret == 0 && !git_oid_equal(git_reference_target(ref), old))
		ret = ERR_BUSY;
	/* libgit2 re-checks the old value under the ref's lock file. */
	if (ret == 0)
		ret = repo_git_err(git_reference_delete(ref), "ref delete");
	git_reference_free(ref);
	return ret;
}

static int ref_move(struct repo *r, const char *refname, const git_oid *old,
		    const git_oid *new, const char *reason)
{
	git_reference *ref = NULL;
	int ret;

	ret = git_reference_create_matching(&ref, r->git, refname, new, 1, old, reason);
	git_reference_free(ref);
	ret = repo_git_err(ret, "ref update");
	/* Tell "someone moved it" from "someone deleted it". */
	if (ret == ERR_BUSY || ret == ERR_NOTFOUND) {
		ret = git_reference_lookup(&ref, r->git, refname) == 0 ? ERR_BUSY : ERR_NOTFOUND;
		git_reference_free(ref);
	}
	return ret;
}

int repo_ref_update(struct repo *r, const char *refname, const char *old_id,
		    const char *new_id, const char *reason, struct repo_ref_change *out)
{
	struct repo_ref_change change;
	git_reference *ref = NULL;
	git_oid old, new;
	int has_old, has_new, ret;

	if (repo_refname_check(refname) < 0 || strncmp(refname, "refs/", 5) != 0)
		return ERR_INVALID;
	if (parse_id(old_id, &old, &has_old) < 0 || parse_id(new_id, &new, &has_new) < 0 ||
	    (!has_old && !has_new))
		return ERR_INVALID;
	memset(&change, 0, sizeof(change));
	memcpy(change.refname, refname, strlen(refname) + 1);
	memcpy(change.old_id, has_old ? old_id : REPO_ZERO_OID, REPO_OID_HEX);
	memcpy(change.new_id, has_new ? new_id : REPO_ZERO_OID, REPO_OID_HEX);
	if (r->hooks && r->hooks->check) {
		ret = r->hooks->check(r->hooks_ctx, refname, change.old_id, change.new_id);
		if (ret < 0)
			return ret;
	}
	if (!has_old) {
		ret = git_reference_create(&ref, r->git, refname, &new, 0, reason);
		git_reference_free(ref);
		ret = repo_git_err(ret, "ref create");
	} else if (!has_new) {
		ret = ref_delete(r, refname, &old);
	} else {
		ret = ref_move(r, refname, &old, &new, reason);
	}
	if (ret < 0) {
		log_debug("repo", "ref update refused ref=%s error=%s", refname, err_name(ret));
		return ret;
	}
	if (r->hooks && r->hooks->updated)
		r->hooks->updated(r->hooks_ctx, &change);
	if (out)
		*out = change;
	return 0;
}

/* ---- names and identities ---- */

static int short_name_check(const char *prefix, const char *name)
{
	struct buf full = BUF_INIT;
	size_t len = name ? strlen(name) : 0;
	int ret;

	if (!len || name[0] == '-' || !strncmp(name, "refs/", 5) || !strcmp(name, "HEAD"))
		return ERR_INVALID;
	/* A name that reads as an object id would shadow or be shadowed by one. */
	if (len == 40 && strspn(name, "0123456789abcdefABCDEF") == 40)
		return ERR_INVALID;
	buf_addf(&full, "%s%s", prefix, name);
	ret = repo_refname_check(full.ptr);
	buf_release(&full);
	return ret;
}

int repo_branch_name_check(const char *name)
{
	return short_name_check("refs/heads/", name);
}

int repo_tag_name_check(const char *name)
{
	return short_name_check("refs/tags/", name);
}

static int ident_part_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len > REPO_IDENT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

int repo_signature_new(git_signature **out, const struct repo_ident *who)
{
	if (!who || !ident_part_ok(who->name) || !ident_part_ok(who->email))
		return ERR_INVALID;
	return repo_git_err(git_signature_new(out, who->name, who->email, time(NULL), 0),
			    "signature");
}

/* ---- branches ---- */

static void full_name(struct buf *out, const char *prefix, const char *name)
{
	buf_addf(out, "%s%s", prefix, name);
}

/* GitLab fills an empty repository before branching from it (fact 7). */
static int create_initial_commit(struct repo *r, const struct repo_ident *who)
{
	struct repo_action readme = { 0 };
	struct repo_commit_req req = { 0 };
	struct buf ignored = BUF_INIT;
	char *def = NULL;
	int ret;

	if (repo_default_branch(r, &def) < 0)
		def = xstrdup("main");
	readme.kind = REPO_ACTION_CREATE;
	readme.path = "README.md";
	readme.content = "";
	readme.execute_filemode = -1;
	req.branch = def;
	req.message = "Add README.md";
	req.author = *who;
	req.actions = &readme;
	req.actions_nr = 1;
	ret = repo_commit_create(r, &req, NULL, &ignored);
	buf_release(&ignored);
	free(def);
	return ret;
}

int repo_branch_create(struct repo *r, const char *name, const char *ref,
		       const struct repo_ident *who, struct repo_ref_change *out)
{
	struct buf full = BUF_INIT;
	char id[REPO_OID_HEX];
	int ret;

	ret = repo_branch_name_check(name);
	if (ret == 0 && repo_is_empty(r))
		ret = create_initial_commit(r, who);
	if (ret == 0)
		ret = repo_resolve_commit(r, ref, id);
	if (ret < 0)
		return ret;
	full_name(&full, "refs/heads/", name);
	ret = repo_ref_update(r, full.ptr, NULL, id, "branch: created", out);
	buf_release(&full);
	return ret;
}

/* The direct value of refname, for a compare-and-swap against it. */
static int ref_current(struct repo *r, const char *refname, char out[REPO_OID_HEX])
{
	git_reference *ref = NULL;
	int ret;

	if (repo_refname_check(refname) < 0)
		return ERR_INVALID;
	ret = repo_git_err(git_reference_lookup(&ref, r->git, refname), "ref lookup");
	if (ret == 0 && git_reference_type(ref) != GIT_REFERENCE_DIRECT)
		ret = ERR_INVALID;
	if (ret == 0)
		git_oid_tostr(out, REPO_OID_HEX, git_reference_target(ref));
	git_reference_free(ref);
	return ret;
}

static int ref_remove(struct repo *r, const char *prefix, const char *name,
		      const char *expected_id, struct repo_ref_change *out)
{
	struct buf full = BUF_INIT;
	char cur[REPO_OID_HEX];
	int ret;

	if (!name || !*name || name[0] == '-')
		return ERR_INVALID;
	full_name(&full, prefix, name);
	ret = ref_current(r, full.ptr, cur);
	if (ret == 0 && expected_id && strcmp(expected_id, cur) != 0)
		ret = ERR_BUSY;
	if (ret == 0)
		ret = repo_ref_update(r, full.ptr, cur, NULL, "deleted", out);
	buf_release(&full);
	return ret;
}

int repo_branch_delete(struct repo *r, const char *name, const char *expected_id,
		       struct repo_ref_change *out)
{
	return ref_remove(r, "refs/heads/", name, expected_id, out);
}

/* ---- tags ---- */

int repo_tag_create(struct repo *r, const char *name, const char *ref, const char *message,
		    const struct repo_ident *who, struct repo_ref_change *out)
{
	struct buf full = BUF_INIT;
	git_signature *sig = NULL;
	git_commit *target = NULL;
	char id[REPO_OID_HEX];
	git_oid oid;
	int ret;

	ret = repo_tag_name_check(name);
	if (ret == 0 && message && strlen(message) > REPO_MESSAGE_MAX)
		ret = ERR_INVALID;
	if (ret == 0)
		ret = repo_lookup_commit(r, ref, &target);
	if (ret < 0)
		return ret;
	git_oid_cpy(&oid, git_commit_id(target));
	if (message && *message) {
		ret = repo_signature_new(&sig, who);
		if (ret == 0)
			ret = repo_git_err(git_tag_annotation_create(&oid, r->git, name,
					   (const git_object *)target, sig, message), "tag object");
	}
	if (ret == 0) {
		git_oid_tostr(id, sizeof(id), &oid);
		full_name(&full, "refs/tags/", name);
		ret = repo_ref_update(r, full.ptr, NULL, id, "tag: created", out);
	}
	buf_release(&full);
	git_signature_free(sig);
	git_commit_free(target);
	return ret;
}

int repo_tag_delete(struct repo *r, const char *name, struct repo_ref_change *out)
{
	return ref_remove(r, "refs/tags/", name, NULL, out);
}
