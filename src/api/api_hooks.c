/* Webhooks through the API: project hooks (Maintainer+), group hooks
 * (Owner) and system hooks (admins), GitLab's shapes, the secret token
 * write-only, every URL vetted against the outbound policy when it is saved
 * (and again at every delivery), and a test trigger that delivers a sample
 * push through the same queue as real events. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/parse.h"
#include "jobs/hook_test.h"
#include "jobs/jobs.h"
#include "jobs/outbound.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/project.h"
#include "model/user.h"
#include "model/webhook.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_URL_MAX 2048

static json_t *hook_json(const struct webhook *w)
{
	json_t *o = json_pack("{s:I, s:s, s:o, s:b, s:b, s:b, s:b, s:b, s:o, s:s}",
			      "id", (json_int_t)w->id, "url", w->url,
			      "created_at", api_time(w->created_at),
			      "push_events", w->push_events, "tag_push_events", w->tag_push_events,
			      "merge_requests_events", w->merge_requests_events,
			      "repository_update_events", w->repository_update_events,
			      "enable_ssl_verification", w->enable_ssl_verification,
			      "push_events_branch_filter", api_str(w->branch_filter),
			      "branch_filter_strategy", w->branch_filter_strategy ?
							w->branch_filter_strategy : "wildcard");
	static const char *const unused_events[] = {
		"issues_events", "confidential_issues_events", "note_events",
		"confidential_note_events", "pipeline_events", "wiki_page_events",
		"deployment_events", "job_events", "releases_events",
	};

	if (w->scope == WEBHOOK_PROJECT)
		json_object_set_new(o, "project_id", json_integer(w->scope_id));
	else if (w->scope == WEBHOOK_GROUP)
		json_object_set_new(o, "group_id", json_integer(w->scope_id));
	if (w->scope != WEBHOOK_SYSTEM)
		for (size_t i = 0; i < sizeof(unused_events) / sizeof(*unused_events); i++)
			json_object_set_new(o, unused_events[i], json_false());
	json_object_set_new(o, "alert_status", json_string(w->permanently_disabled ? "disabled" :
				w->disabled_until ? "temporarily_disabled" : "executable"));
	json_object_set_new(o, "disabled_until", w->disabled_until ? api_time(w->disabled_until)
								   : json_null());
	return o;
}

/* The scope a request addresses, with the caller's right to manage it. */
struct hook_scope {
	enum webhook_scope kind;
	int64_t id;
	struct project *project;	/* project hooks: for test deliveries */
};

static int scope_find(struct api_ctx *c, enum webhook_scope kind, struct hook_scope *out)
{
	struct namespace *ns = NULL;
	int level = 0;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (kind == WEBHOOK_SYSTEM)
		return 0;	/* the endpoint flags already require an admin */
	if (kind == WEBHOOK_PROJECT) {
		if (api_project_find(c, api_arg(c, 0), &out->project, &level) < 0)
			return ERR_NOTFOUND;
		out->id = out->project->id;
		return api_require_level(c, level, ACCESS_MAINTAINER);
	}
	if (api_group_find(c, api_arg(c, 0), &ns, &level) < 0)
		return ERR_NOTFOUND;
	out->id = ns->id;
	namespace_free(ns);
	return api_require_level(c, level, ACCESS_OWNER);
}

static void scope_release(struct hook_scope *s)
{
	project_free(s->project);
	s->project = NULL;
}

/* Reads the settable fields over w's current values; on create the url is
 * required. Answers and returns ERR_INVALID on bad input. */
static int hook_params(struct api_ctx *c, struct webhook *w, int creating)
{
	static const char *const strategies[] = { "wildcard", "regex", "all_branches", NULL };
	struct { const char *name; int *field; } flags[] = {
		{ "push_events", &w->push_events },
		{ "tag_push_events", &w->tag_push_events },
		{ "merge_requests_events", &w->merge_requests_events },
		{ "repository_update_events", &w->repository_update_events },
		{ "enable_ssl_verification", &w->enable_ssl_verification },
	};
	const char *url = NULL, *token = NULL, *filter = NULL, *strategy = NULL;
	struct buf err = BUF_INIT_MAX(512);
	regex_t re;
	int ret;

	ret = creating ? api_param_required(c, "url", &url) : api_param_str(c, "url", &url);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++)
		if (api_param_bool(c, flags[i].name, flags[i].field) < 0)
			return ERR_INVALID;
	if (api_param_str(c, "token", &token) < 0 ||
	    api_param_str(c, "push_events_branch_filter", &filter) < 0 ||
	    api_param_enum(c, "branch_filter_strategy", strategies, &strategy) < 0)
		return ERR_INVALID;
	if (url) {
		if (strlen(url) > HOOK_URL_MAX) {
			api_field_error(c, "url", "is too long");
			return ERR_INVALID;
		}
		if (outbound_check_url(url, jobs_outbound_allow(), &err) < 0) {
			struct buf msg = BUF_INIT;

			buf_addf(&msg, "is blocked: %s", err.ptr);
			api_field_error(c, "url", msg.ptr);
			buf_release(&msg);
			buf_release(&err);
			return ERR_INVALID;
		}
		free(w->url);
		w->url = strdup(url);
	}
	if (token && (strlen(token) > 1024 || strpbrk(token, "\r\n"))) {
		api_field_error(c, "token", "is invalid");
		return ERR_INVALID;
	}
	if (token) {
		free(w->token);
		w->token = token[0] ? strdup(token) : NULL;
	}
	if (strategy) {
		free(w->branch_filter_strategy);
		w->branch_filter_strategy = strdup(strategy);
	}
	if (filter) {
		free(w->branch_filter);
		w->branch_filter = filter[0] ? strdup(filter) : NULL;
	}
	if (w->branch_filter && w->branch_filter_strategy &&
	    !strcmp(w->branch_filter_strategy, "regex")) {
		if (strlen(w->branch_filter) > 1024 ||
		    regcomp(&re, w->branch_filter, REG_EXTENDED | REG_NOSUB) != 0) {
			api_field_error(c, "push_events_branch_filter", "is not a valid regex");
			return ERR_INVALID;
		}
		regfree(&re);
	}
	buf_release(&err);
	return 0;
}

static void hooks_list(struct api_ctx *c, enum webhook_scope kind)
{
	struct webhook_list l = { NULL, 0 };
	struct hook_scope s;
	struct api_page pg;
	int64_t total = 0;
	json_t *items;
	int ret;

	if (scope_find(c, kind, &s) < 0 || api_page_parse(c, &pg) < 0)
		goto out;
	ret = webhook_count(c->db, kind, s.id, &total);
	if (ret == 0)
		ret = webhook_list(c->db, kind, s.id, api_page_offset(&pg), pg.per_page, &l);
	if (ret < 0) {
		api_fail(c, ret, "Hook", NULL);
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < l.nr; i++)
		json_array_append_new(items, hook_json(&l.items[i]));
	api_page_respond(c, &pg, total, items);
out:
	webhook_list_release(&l);
	scope_release(&s);
}

static void hooks_create(struct api_ctx *c, enum webhook_scope kind)
{
	struct webhook w = { 0 };
	struct hook_scope s;
	int ret;

	w.scope = kind;
	w.push_events = 1;
	w.enable_ssl_verification = 1;
	if (scope_find(c, kind, &s) < 0)
		goto out;
	w.scope_id = s.id;
	if (hook_params(c, &w, 1) < 0)
		goto out;
	ret = webhook_create(c->db, &w);
	if (ret < 0)
		api_fail(c, ret, "Hook", NULL);
	else
		api_json(c, 201, hook_json(&w));
out:
	free(w.url);
	free(w.token);
	free(w.branch_filter);
	free(w.branch_filter_strategy);
	free(w.uuid);
	scope_release(&s);
}

/* The hook named by the last :param, if it belongs to the scope. */
static int hook_in_scope(struct api_ctx *c, const struct hook_scope *s, int arg,
			 struct webhook **out)
{
	uint64_t id = 0;
	struct webhook *w = NULL;
	int ret = parse_u64(api_arg(c, arg), INT64_MAX, &id) == 0 ?
		  webhook_find(c->db, (int64_t)id, &w) : ERR_NOTFOUND;

	if (ret == 0 && (w->scope != s->kind || (s->kind != WEBHOOK_SYSTEM && w->scope_id != s->id)))
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		webhook_free(w);
		api_fail(c, ret, "Hook", NULL);
		return ret;
	}
	*out = w;
	return 0;
}

static void hook_get(struct api_ctx *c, enum webhook_scope kind)
{
	int arg = kind == WEBHOOK_SYSTEM ? 0 : 1;
	struct webhook *w = NULL;
	struct hook_scope s;

	if (scope_find(c, kind, &s) == 0 && hook_in_scope(c, &s, arg, &w) == 0)
		api_json(c, 200, hook_json(w));
	webhook_free(w);
	scope_release(&s);
}

static void hook_update(struct api_ctx *c, enum webhook_scope kind)
{
	struct webhook *w = NULL;
	struct hook_scope s;
	int ret;

	if (scope_find(c, kind, &s) < 0 || hook_in_scope(c, &s, 1, &w) < 0 ||
	    hook_params(c, w, 0) < 0)
		goto out;
	/* Editing a hook re-enables it, as on GitLab. */
	ret = webhook_update(c->db, w);
	if (ret == 0)
		ret = webhook_reenable(c->db, w->id);
	if (ret < 0) {
		api_fail(c, ret, "Hook", NULL);
		goto out;
	}
	w->recent_failures = 0;
	w->disabled_until = 0;
	w->permanently_disabled = 0;
	api_json(c, 200, hook_json(w));
out:
	webhook_free(w);
	scope_release(&s);
}

static void hook_delete(struct api_ctx *c, enum webhook_scope kind)
{
	int arg = kind == WEBHOOK_SYSTEM ? 0 : 1;
	struct webhook *w = NULL;
	struct hook_scope s;
	int ret;

	if (scope_find(c, kind, &s) < 0 || hook_in_scope(c, &s, arg, &w) < 0)
		goto out;
	ret = webhook_delete(c->db, w->id);
	if (ret < 0)
		api_fail(c, ret, "Hook", NULL);
	else
		api_no_content(c);
out:
	webhook_free(w);
	scope_release(&s);
}

/* POST /projects/:id/hooks/:hook_id/test/:trigger: a sample push of the
 * default branch's last commit, delivered like a real one. */
static void project_hook_test(struct api_ctx *c)
{
	const char *trigger = api_arg(c, 2);
	struct buf err = BUF_INIT_MAX(512);
	struct webhook *w = NULL;
	struct user *u = NULL;
	struct hook_scope s;
	int ret;

	if (strcmp(trigger, "push_events") && strcmp(trigger, "tag_push_events")) {
		api_error(c, 400, "trigger does not have a valid value");
		return;
	}
	if (scope_find(c, WEBHOOK_PROJECT, &s) < 0 || hook_in_scope(c, &s, 1, &w) < 0)
		goto out;
	(void)user_find(c->db, api_user_id(c), &u);
	ret = hook_test_push(c->db, s.project, u, w->id, &err);
	if (ret == ERR_NOTFOUND)
		api_message(c, 422, "Ensure the project has at least one commit.");
	else if (ret < 0)
		api_fail(c, ret, "Hook", &err);
	else
		api_message(c, 201, "201 Created");
out:
	user_free(u);
	webhook_free(w);
	buf_release(&err);
	scope_release(&s);
}

static void project_hooks_list(struct api_ctx *c) { hooks_list(c, WEBHOOK_PROJECT); }
static void project_hooks_create(struct api_ctx *c) { hooks_create(c, WEBHOOK_PROJECT); }
static void project_hook_get(struct api_ctx *c) { hook_get(c, WEBHOOK_PROJECT); }
static void project_hook_update(struct api_ctx *c) { hook_update(c, WEBHOOK_PROJECT); }
static void project_hook_delete(struct api_ctx *c) { hook_delete(c, WEBHOOK_PROJECT); }
static void group_hooks_list(struct api_ctx *c) { hooks_list(c, WEBHOOK_GROUP); }
static void group_hooks_create(struct api_ctx *c) { hooks_create(c, WEBHOOK_GROUP); }
static void group_hook_get(struct api_ctx *c) { hook_get(c, WEBHOOK_GROUP); }
static void group_hook_update(struct api_ctx *c) { hook_update(c, WEBHOOK_GROUP); }
static void group_hook_delete(struct api_ctx *c) { hook_delete(c, WEBHOOK_GROUP); }
static void system_hooks_list(struct api_ctx *c) { hooks_list(c, WEBHOOK_SYSTEM); }
static void system_hooks_create(struct api_ctx *c) { hooks_create(c, WEBHOOK_SYSTEM); }
static void system_hook_get(struct api_ctx *c) { hook_get(c, WEBHOOK_SYSTEM); }
static void system_hook_delete(struct api_ctx *c) { hook_delete(c, WEBHOOK_SYSTEM); }

const struct api_endpoint api_hook_endpoints[] = {
	{ "GET", "/projects/:id/hooks", project_hooks_list, API_AUTH },
	{ "POST", "/projects/:id/hooks", project_hooks_create, API_AUTH },
	{ "GET", "/projects/:id/hooks/:hook_id", project_hook_get, API_AUTH },
	{ "PUT", "/projects/:id/hooks/:hook_id", project_hook_update, API_AUTH },
	{ "DELETE", "/projects/:id/hooks/:hook_id", project_hook_delete, API_AUTH },
	{ "POST", "/projects/:id/hooks/:hook_id/test/:trigger", project_hook_test, API_AUTH },
	{ "GET", "/groups/:id/hooks", group_hooks_list, API_AUTH },
	{ "POST", "/groups/:id/hooks", group_hooks_create, API_AUTH },
	{ "GET", "/groups/:id/hooks/:hook_id", group_hook_get, API_AUTH },
	{ "PUT", "/groups/:id/hooks/:hook_id", group_hook_update, API_AUTH },
	{ "DELETE", "/groups/:id/hooks/:hook_id", group_hook_delete, API_AUTH },
	{ "GET", "/hooks", system_hooks_list, API_ADMIN },
	{ "POST", "/hooks", system_hooks_create, API_ADMIN },
	{ "GET", "/hooks/:hook_id", system_hook_get, API_ADMIN },
	{ "DELETE", "/hooks/:hook_id", system_hook_delete, API_ADMIN },
	{ NULL, NULL, NULL, 0 },
};
