/* Administrators' user endpoints beyond create/edit/block: memberships,
 * ban and unban (a banned user is refused everywhere, like a blocked one),
 * and impersonation tokens (personal access tokens an administrator makes
 * to act as the user, flagged impersonation=true). */
#include "api_ctx.h"
#include "auth/token.h"
#include "core/err.h"
#include "core/parse.h"
#include "model/pat.h"
#include "model/user.h"
#include "model/user_memberships.h"

#include <string.h>

static int membership_add(const struct user_membership *m, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:i}",
					     "source_id", (json_int_t)m->source_id,
					     "source_name", m->source_name,
					     "source_type", m->source_type,
					     "access_level", m->access_level));
	return 0;
}

static void user_memberships(struct api_ctx *c)
{
	static const char *const types[] = { "Project", "Namespace", NULL };
	struct user *u = NULL;
	struct api_page pg;
	const char *type = NULL;
	int64_t total = 0;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_enum(c, "type", types, &type) < 0 ||
	    api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	items = json_array();
	ret = user_memberships_count(c->db, u->id, type, &total);
	if (ret == 0)
		ret = user_memberships_list(c->db, u->id, type, api_page_offset(&pg), pg.per_page,
					    membership_add, items);
	if (ret < 0) {
		json_decref(items);
		api_fail(c, ret, NULL, NULL);
	} else {
		api_page_respond(c, &pg, total, items);
	}
	user_free(u);
}

/* Moves a user from state from to state to, as GitLab's ban and unban do:
 * 403 with GitLab's sentence when the user is not in state from. */
static void user_state_move(struct api_ctx *c, const char *from, const char *to,
			    const char *refusal)
{
	struct user *u = NULL;
	int ret;

	if (api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	if (strcmp(u->state, from)) {
		api_message(c, 403, refusal);
	} else if (u->id == api_user_id(c)) {
		/* An administrator banning themself would lock the instance out. */
		api_message(c, 403, "403 Forbidden");
	} else {
		ret = user_set_state(c->db, u->id, to);
		if (ret < 0)
			api_fail(c, ret, "User", NULL);
		else
			api_json(c, 201, json_true());
	}
	user_free(u);
}

static void user_ban(struct api_ctx *c)
{
	user_state_move(c, "active", "banned", "You cannot ban blocked users.");
}

static void user_unban(struct api_ctx *c)
{
	user_state_move(c, "banned", "active", "You cannot unban active users.");
}

/* --- impersonation tokens ------------------------------------------------ */

static int imp_add(const struct pat *t, void *ctx)
{
	json_array_append_new(ctx, api_pat_json(t));
	return 0;
}

static void imp_list(struct api_ctx *c)
{
	static const char *const states[] = { "all", "active", "inactive", NULL };
	struct user *u = NULL;
	struct api_page pg;
	const char *state = NULL;
	int64_t total = 0;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_enum(c, "state", states, &state) < 0 ||
	    api_user_find(c, api_arg(c, 0), &u) < 0)
		return;
	if (state && !strcmp(state, "all"))
		state = NULL;
	items = json_array();
	ret = pat_impersonation_count(c->db, u->id, state, &total);
	if (ret == 0)
		ret = pat_impersonation_list(c->db, u->id, state, api_page_offset(&pg), pg.per_page,
					     imp_add, items);
	if (ret < 0) {
		json_decref(items);
		api_fail(c, ret, NULL, NULL);
	} else {
		api_page_respond(c, &pg, total, items);
	}
	user_free(u);
}

/* The user's impersonation token id, else it answers 404. */
static int imp_find(struct api_ctx *c, struct user **u_out, struct pat **out)
{
	struct pat *t = NULL;
	uint64_t n = 0;
	int ret;

	if (api_user_find(c, api_arg(c, 0), u_out) < 0)
		return ERR_NOTFOUND;
	ret = parse_u64(api_arg(c, 1), INT64_MAX, &n) < 0 ? ERR_NOTFOUND
							   : pat_find(c->db, (int64_t)n, &t);
	if (ret == 0 && (t->user_id != (*u_out)->id || !t->impersonation))
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		pat_free(t);
		api_fail(c, ret, "Impersonation Token", NULL);
		return ret;
	}
	*out = t;
	return 0;
}

static void imp_get(struct api_ctx *c)
{
	struct user *u = NULL;
	struct pat *t = NULL;

	if (imp_find(c, &u, &t) == 0)
		api_json(c, 200, api_pat_json(t));
	pat_free(t);
	user_free(u);
}

static void imp_revoke(struct api_ctx *c)
{
	struct user *u = NULL;
	struct pat *t = NULL;
	int ret;

	if (imp_find(c, &u, &t) == 0) {
		ret = t->revoked ? 0 : pat_revoke(c->db, t->id);
		if (ret < 0)
			api_fail(c, ret, "Impersonation Token", NULL);
		else
			api_no_content(c);
	}
	pat_free(t);
	user_free(u);
}

static void imp_create(struct api_ctx *c)
{
	api_user_token_create(c, 1);
}

const struct api_endpoint api_user_admin_endpoints[] = {
	{ "GET", "/users/:id/memberships", user_memberships, API_ADMIN },
	{ "POST", "/users/:id/ban", user_ban, API_ADMIN },
	{ "POST", "/users/:id/unban", user_unban, API_ADMIN },
	{ "GET", "/users/:id/impersonation_tokens", imp_list, API_ADMIN },
	{ "POST", "/users/:id/impersonation_tokens", imp_create, API_ADMIN },
	{ "GET", "/users/:id/impersonation_tokens/:token_id", imp_get, API_ADMIN },
	{ "DELETE", "/users/:id/impersonation_tokens/:token_id", imp_revoke, API_ADMIN },
	{ NULL, NULL, NULL, 0 },
};
