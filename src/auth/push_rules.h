/* The rules a ref update must pass, wherever it comes from: a git push
 * (pre-receive) or a write through the API. Protected branches follow
 * GitLab: push level 0 lets no one push, a level below the rule's push
 * level is refused, a non-fast-forward needs allow_force_push, and a
 * protected branch is deleted only through the API, by Maintainers. */
#ifndef KURA_PUSH_RULES_H
#define KURA_PUSH_RULES_H

struct buf;
struct protected_branch_list;

enum push_rule_flags {
	PUSH_RULE_API = 1 << 0,	/* the update comes from the API, not from git */
};

/* Is new_id a descendant of old_id? 1 yes, 0 no; asked only when needed. */
typedef int (*push_rule_ff_fn)(void *ctx, const char *old_id, const char *new_id);

/* Ref names git accepts but that confuse people or tools (outside refs/,
 * refs/heads/HEAD, refs/heads/refs/…, a component starting with '-').
 * 1 when harmful. */
int push_rule_name_harmful(const char *refname);

/* The level a deploy token pushes with (scopes: enum scope_flags from
 * authn_deploy_token): Developer for write_repository, else none. */
int push_rule_deploy_token_level(unsigned scopes);

/* Checks one update of refname (a full name) from old_id to new_id (40-hex,
 * 40 zeros for none) by a caller at level. 0, or ERR_DENIED with the reason
 * for the client appended to reason. */
int push_rule_check(const struct protected_branch_list *rules, int level, unsigned flags,
		    const char *refname, const char *old_id, const char *new_id,
		    push_rule_ff_fn ff, void *ff_ctx, struct buf *reason);

#endif
