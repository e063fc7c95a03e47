/* Commit statuses: what external CI (AWS CodeBuild among them) reports about
 * a commit, and the list of them. GitLab's rules: Developers and up post,
 * and only when they may push or merge to the ref if it is protected; the
 * commit must exist; a status of the same name and ref that is still
 * pending or running is updated, any other starts anew. */
#include "api_ctx.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "git/repo_read.h"
#include "model/commit_status.h"
#include "model/member.h"
#include "model/project.h"
#include "model/protected_branch.h"
#include "model/user.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_TEXT_MAX 255	/* GitLab's column limits for name, ref, url, description */
#define BRANCH_SCAN_MAX 1000	/* branches examined for one containing the commit */

static json_t *status_json(struct api_ctx *c, const struct commit_status *s)
{
	struct user *u = NULL;
	json_t *author = json_null();

	if (s->user_id && user_find(c->db, s->user_id, &u) == 0)
		author = api_user_basic(c, u);
	user_free(u);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:I, s:o}",
			 "id", (json_int_t)s->id, "sha", s->sha, "ref", s->ref, "status", s->status,
			 "name", s->name, "target_url", api_str(s->target_url),
			 "description", api_str(s->description),
			 "created_at", api_time(s->created_at), "started_at", api_time(s->started_at),
			 "finished_at", api_time(s->finished_at), "allow_failure", 0,
			 "coverage", s->coverage ? json_real(strtod(s->coverage, NULL)) : json_null(),
			 "pipeline_id", (json_int_t)s->pipeline_id, "author", author);
}

/* The commit sha names (a full or short id, a branch or a tag, as GitLab
 * accepts), else 404 "Commit Not Found". */
static int commit_resolve(struct api_ctx *c, const struct project *p, const char *rev,
			  char out[REPO_OID_HEX], struct repo **repo_out)
{
	struct repo *r = NULL;
	int ret = repo_open(&r, p->id);

	if (ret == 0)
		ret = repo_resolve_commit(r, rev, out);
	if (ret == ERR_INVALID)
		ret = ERR_NOTFOUND;
	if (ret < 0) {
		repo_close(r);
		api_fail(c, ret, "Commit", NULL);
		return ret;
	}
	if (repo_out)
		*repo_out = r;
	else
		repo_close(r);
	return 0;
}

/* The first branch by name whose history holds sha (GitLab's
 * branch_names_contains(sha).first); NULL when none. Caller frees. */
static char *branch_containing(struct repo *r, const char *sha)
{
	struct repo_branch_list *l = NULL;
	char *found = NULL;

	if (repo_branch_list(r, NULL, 0, BRANCH_SCAN_MAX, &l) < 0)
		return NULL;
	for (size_t i = 0; !found && i < l->nr; i++) {
		const char *revs[2] = { l->v[i].name, sha };
		char base[REPO_OID_HEX];

		if (!strcmp(l->v[i].commit.id, sha) ||
		    (repo_merge_base(r, revs, 2, base) == 0 && !strcmp(base, sha)))
			found = xstrdup(l->v[i].name);
	}
	repo_branch_list_free(l);
	return found;
}

static int level_allows(struct api_ctx *c, int level, int need)
{
	if (need == 0)
		return 0;
	if (need == 60)
		return api_is_admin(c);
	return level >= need || api_is_admin(c);
}

/* GitLab's update_pipeline on a protected ref: the caller must be allowed
 * to push or to merge by one of the rules matching it. */
static int ref_allowed(struct api_ctx *c, const struct project *p, int level, const char *ref)
{
	struct protected_branch_list l = { NULL, 0 };
	int any = 0, allowed = 0;
	int ret = protected_branch_list(c->db, p->id, &l);

	if (ret < 0) {
		api_fail(c, ret, NULL, NULL);
		return ret;
	}
	for (size_t i = 0; i < l.nr; i++) {
		if (!protected_branch_matches(l.items[i].name, ref))
			continue;
		any = 1;
		allowed = allowed || level_allows(c, level, l.items[i].push_access_level) ||
			  level_allows(c, level, l.items[i].merge_access_level);
	}
	protected_branch_list_release(&l);
	if (any && !allowed && !api_is_admin(c)) {
		api_message(c, 403, "403 Forbidden");
		return ERR_DENIED;
	}
	return 0;
}

/* A short text parameter: at most STATUS_TEXT_MAX bytes, no control
 * characters other than newlines and tabs in descriptions. */
static int text_param(struct api_ctx *c, const char *name, int multiline, const char **out)
{
	int ret = api_param_str(c, name, out);

	if (ret <= 0)
		return ret;
	if (strlen(*out) > STATUS_TEXT_MAX) {
		api_field_error(c, name, "is too long (maximum is 255 characters)");
		return ERR_INVALID;
	}
	for (const unsigned char *s = (const unsigned char *)*out; *s; s++) {
		if ((*s < 0x20 && !(multiline && (*s == '\n' || *s == '\t' || *s == '\r'))) ||
		    *s == 0x7f) {
			api_error(c, 400, multiline ? "description is invalid" : "name is invalid");
			return ERR_INVALID;
		}
	}
	return 1;
}

static int url_param(struct api_ctx *c, const char **out)
{
	int ret = api_param_str(c, "target_url", out);

	if (ret <= 0)
		return ret;
	if (strlen(*out) > STATUS_TEXT_MAX) {
		api_field_error(c, "target_url", "is too long (maximum is 255 characters)");
		return ERR_INVALID;
	}
	if ((strncmp(*out, "http://", 7) && strncmp(*out, "https://", 8)) ||
	    strpbrk(*out, " \t\r\n\"<>\\^`{|}")) {
		api_field_error(c, "target_url", "must be a valid URL");
		return ERR_INVALID;
	}
	return 1;
}

static int coverage_param(struct api_ctx *c, const char **out)
{
	const char *s = NULL;
	char *end = NULL;
	double v;
	int ret = api_param_str(c, "coverage", &s);

	if (ret <= 0)
		return ret;
	v = strtod(s, &end);
	if (!*s || *end || !isfinite(v) || strlen(s) > 32) {
		api_error(c, 400, "coverage is invalid");
		return ERR_INVALID;
	}
	*out = s;
	return 1;
}

struct post_args {
	const char *state, *ref, *name, *target_url, *description, *coverage;
	int64_t pipeline_id;
};

static int post_params(struct api_ctx *c, struct post_args *a)
{
	static const char *const states[] = { "pending", "running", "success", "failed",
					      "canceled", NULL };

	if (api_param_required(c, "state", &a->state) < 0 ||
	    api_param_enum(c, "state", states, &a->state) < 0 ||
	    text_param(c, "ref", 0, &a->ref) < 0 || text_param(c, "name", 0, &a->name) < 0 ||
	    url_param(c, &a->target_url) < 0 || text_param(c, "description", 1, &a->description) < 0 ||
	    coverage_param(c, &a->coverage) < 0 ||
	    api_param_int(c, "pipeline_id", 1, INT64_MAX, &a->pipeline_id) < 0)
		return ERR_INVALID;
	if (!a->name && text_param(c, "context", 0, &a->name) < 0)
		return ERR_INVALID;
	if (a->ref && !*a->ref)
		a->ref = NULL;
	return 0;
}

static void statuses_post(struct api_ctx *c)
{
	struct post_args a = { 0 };
	struct commit_status_req r = { 0 };
	struct commit_status *s = NULL;
	struct buf err = BUF_INIT_MAX(512);
	struct project *p = NULL;
	struct repo *repo = NULL;
	char sha[REPO_OID_HEX], *fallback = NULL;
	int64_t id = 0;
	int level = 0, ret;

	if (api_project_find(c, api_arg(c, 0), &p, &level) < 0)
		return;
	if (api_require_level(c, level, ACCESS_DEVELOPER) < 0 || post_params(c, &a) < 0 ||
	    commit_resolve(c, p, api_arg(c, 1), sha, &repo) < 0)
		goto out;
	if (!a.ref)
		fallback = branch_containing(repo, sha);
	r.project_id = p->id;
	r.user_id = api_user_id(c);
	r.pipeline_id = a.pipeline_id;
	r.sha = sha;
	r.ref = a.ref;
	r.ref_fallback = fallback;
	r.name = a.name;
	r.state = a.state;
	r.target_url = a.target_url;
	r.description = a.description;
	r.coverage = a.coverage;
	if (ref_allowed(c, p, level, a.ref ? a.ref : fallback ? fallback : "") < 0)
		goto out;
	ret = commit_status_post(c->db, &r, &id, &err);
	if (ret == 0)
		ret = commit_status_find(c->db, id, &s);
	if (ret == ERR_INVALID)
		api_message(c, 400, err.ptr);
	else if (ret < 0)
		api_fail(c, ret, "References for commit", NULL);
	else
		api_json(c, 201, status_json(c, s));
out:
	commit_status_free(s);
	repo_close(repo);
	free(fallback);
	buf_release(&err);
	project_free(p);
}

struct status_page {
	struct api_ctx *c;
	json_t *items;
};

static int status_page_add(const struct commit_status *s, void *ctx)
{
	struct status_page *sp = ctx;

	json_array_append_new(sp->items, status_json(sp->c, s));
	return 0;
}

static void statuses_list(struct api_ctx *c)
{
	struct commit_status_filter f = { 0 };
	struct status_page sp = { c, NULL };
	struct project *p = NULL;
	struct api_page pg;
	char sha[REPO_OID_HEX];
	int64_t total = 0;
	int ret;

	if (api_project_find(c, api_arg(c, 0), &p, NULL) < 0)
		return;
	if (api_page_parse(c, &pg) < 0 || api_param_str(c, "ref", &f.ref) < 0 ||
	    api_param_str(c, "stage", &f.stage) < 0 || api_param_str(c, "name", &f.name) < 0 ||
	    api_param_bool(c, "all", &f.all) < 0 ||
	    api_param_int(c, "pipeline_id", 1, INT64_MAX, &f.pipeline_id) < 0 ||
	    commit_resolve(c, p, api_arg(c, 1), sha, NULL) < 0)
		goto out;
	f.project_id = p->id;
	f.sha = sha;
	/* Empty filters are no filters, as GitLab's params[:x].present?. */
	if (f.ref && !*f.ref)
		f.ref = NULL;
	if (f.stage && !*f.stage)
		f.stage = NULL;
	if (f.name && !*f.name)
		f.name = NULL;
	ret = commit_status_count(c->db, &f, &total);
	sp.items = json_array();
	if (ret == 0)
		ret = commit_status_list(c->db, &f, api_page_offset(&pg), pg.per_page,
					 status_page_add, &sp);
	if (ret < 0) {
		json_decref(sp.items);
		api_fail(c, ret, NULL, NULL);
	} else {
		api_page_respond(c, &pg, total, sp.items);
	}
out:
	project_free(p);
}

const struct api_endpoint api_commit_status_endpoints[] = {
	{ "POST", "/projects/:id/statuses/:sha", statuses_post, API_AUTH },
	{ "GET", "/projects/:id/repository/commits/:sha/statuses", statuses_list, 0 },
	{ NULL, NULL, NULL, 0 },
};
