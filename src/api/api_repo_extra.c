/* Repository extras: revert and cherry-pick of a commit onto a branch (the
 * same protected-branch rules and push events as every API write), a
 * commit's signature, file blame, contributors and languages. */
#include "api_repo.h"
#include "auth/push_rules.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "git/repo_extra.h"
#include "model/project.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *commit_detail(struct api_repo *ar, const struct repo_commit *rc)
{
	json_t *o = api_commit_json(ar, rc);

	json_object_set_new(o, "status", json_null());
	json_object_set_new(o, "project_id", json_integer(ar->p->id));
	json_object_set_new(o, "last_pipeline", json_null());
	return o;
}

/* GitLab's answer when the change does not apply: 400 with an error code. */
static void pick_refused(struct api_ctx *c, enum repo_pick_kind kind, int failure)
{
	struct buf msg = BUF_INIT;
	const char *verb = kind == REPO_PICK_REVERT ? "revert" : "cherry-pick";
	const char *done = kind == REPO_PICK_REVERT ? "reverted" : "cherry-picked";

	buf_addf(&msg, "Sorry, we cannot %s this commit automatically. This commit may already "
		 "have been %s, or a more recent commit may have updated some of its content.",
		 verb, done);
	api_json(c, 400, json_pack("{s:s, s:s}", "message", msg.ptr, "error_code",
				   failure == REPO_PICK_EMPTY ? "empty" : "conflict"));
	buf_release(&msg);
}

/* GitLab refuses a branch the caller may not push to before trying the
 * change; the ref update checks again when it moves the branch. */
static int pick_allowed(struct api_repo *ar, const char *branch)
{
	static const char some_commit[] = "ffffffffffffffffffffffffffffffffffffffff";
	struct buf ref = BUF_INIT;
	int ret;

	buf_addf(&ref, "refs/heads/%s", branch);
	buf_reset(&ar->reason);
	ret = push_rule_check(&ar->rules, ar->level, PUSH_RULE_API, ref.ptr, REPO_ZERO_OID,
			      some_commit, NULL, NULL, &ar->reason);
	if (ret < 0) {
		ar->refused = 1;
		api_repo_fail(ar, ret, "Branch", NULL);
	}
	buf_release(&ref);
	return ret;
}

static void pick(struct api_ctx *c, enum repo_pick_kind kind)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_ref_change change;
	struct repo_commit *rc = NULL;
	struct repo_ident who;
	const char *branch = NULL;
	char sha[REPO_OID_HEX];
	int failure = 0, ret;

	if (api_param_required(c, "branch", &branch) < 0 ||
	    api_repo_open(c, &ar, API_REPO_WRITE) < 0)
		goto out;
	if (repo_resolve_commit(ar.r, api_arg(c, 1), sha) < 0) {
		api_message(c, 404, "404 Commit Not Found");
		goto out;
	}
	if (pick_allowed(&ar, branch) < 0)
		goto out;
	api_repo_ident(&ar, &who);
	ret = repo_pick(ar.r, kind, sha, branch, &who, &change, &failure);
	if (ret == ERR_INVALID && failure) {
		pick_refused(c, kind, failure);
		goto out;
	}
	if (ret == ERR_NOTFOUND || (ret == ERR_INVALID && !ar.refused)) {
		api_message(c, 404, "404 Branch Not Found");
		goto out;
	}
	if (ret == 0)
		ret = repo_commit_get(ar.r, change.new_id, REPO_COMMIT_STATS, &rc);
	if (ret < 0)
		api_repo_fail(&ar, ret, "Commit", NULL);
	else
		api_json(c, 201, commit_detail(&ar, rc));
out:
	repo_commit_free(rc);
	api_repo_close(&ar);
}

static void commit_revert(struct api_ctx *c)
{
	pick(c, REPO_PICK_REVERT);
}

static void commit_cherry_pick(struct api_ctx *c)
{
	pick(c, REPO_PICK_CHERRY_PICK);
}

static void commit_signature(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_signature sig;
	char sha[REPO_OID_HEX];
	json_t *o;
	int ret;

	if (api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	if (repo_resolve_commit(ar.r, api_arg(c, 1), sha) < 0) {
		api_message(c, 404, "404 Commit Not Found");
		goto out;
	}
	ret = repo_commit_signature(ar.r, sha, &sig);
	if (ret == ERR_NOTFOUND) {
		api_message(c, 404, "404 Signature Not Found");
		goto out;
	}
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Signature", NULL);
		goto out;
	}
	/* kura keeps no signing keys, so no signature is verified. */
	if (sig.type == REPO_SIG_PGP)
		o = json_pack("{s:s, s:s, s:n, s:o, s:n, s:n, s:n}", "signature_type", "PGP",
			      "verification_status", "unverified", "gpg_key_id",
			      "gpg_key_primary_keyid", sig.key_id[0] ? json_string(sig.key_id) :
			      json_null(), "gpg_key_user_name", "gpg_key_user_email",
			      "gpg_key_subkey_id");
	else if (sig.type == REPO_SIG_SSH)
		o = json_pack("{s:s, s:s, s:n}", "signature_type", "SSH",
			      "verification_status", "unverified", "key");
	else
		o = json_pack("{s:s, s:s, s:n}", "signature_type", "X509",
			      "verification_status", "unverified", "x509_certificate");
	json_object_set_new(o, "commit_source", json_string("gitaly"));
	api_json(c, 200, o);
out:
	api_repo_close(&ar);
}

/* Repository bytes as a JSON string: invalid UTF-8 shows as '?'. */
static json_t *text_json(const char *s)
{
	struct buf b = BUF_INIT;
	json_t *v = json_string(s);

	if (v)
		return v;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		buf_addch(&b, *p < 0x80 ? (char)*p : '?');
	v = json_string(b.ptr);
	buf_release(&b);
	return v ? v : json_string("");
}

/* range[start] and range[end]: 1-based, inclusive; 0 when absent. */
static int blame_range(struct api_ctx *c, int64_t *start, int64_t *end)
{
	json_t *r = json_object_get(c->params, "range");
	const char *s = json_string_value(json_object_get(r, "start"));
	const char *e = json_string_value(json_object_get(r, "end"));
	json_t *si = json_object_get(r, "start"), *ei = json_object_get(r, "end");
	uint64_t a = 0, b = 0;

	if (!r || json_is_null(r))
		return 0;
	if (json_is_integer(si) && json_integer_value(si) > 0)
		a = (uint64_t)json_integer_value(si);
	else if (!s || parse_u64(s, INT32_MAX, &a) < 0)
		a = 0;
	if (json_is_integer(ei) && json_integer_value(ei) > 0)
		b = (uint64_t)json_integer_value(ei);
	else if (!e || parse_u64(e, INT32_MAX, &b) < 0)
		b = 0;
	if (!json_is_object(r) || !a || !b || b < a) {
		api_error(c, 400, "range is invalid");
		return ERR_INVALID;
	}
	*start = (int64_t)a;
	*end = (int64_t)b;
	return 0;
}

static json_t *blame_commit(struct api_repo *ar, json_t *cache, const char *id)
{
	struct repo_commit *rc = NULL;
	json_t *o = json_object_get(cache, id);

	if (o)
		return json_incref(o);
	if (repo_commit_get(ar->r, id, 0, &rc) < 0)
		return json_null();
	o = api_commit_json(ar, rc);
	repo_commit_free(rc);
	json_object_set(cache, id, o);
	return o;
}

static void files_blame(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_blame *b = NULL;
	struct buf err = BUF_INIT_MAX(256);
	const char *path = api_arg(c, 1), *ref = NULL;
	int64_t from = 0, to = 0;
	json_t *items = NULL, *cache = json_object();
	int ret;

	if (repo_path_check(path, strlen(path), &err) < 0) {
		api_error(c, 400, "file_path should be a valid file path");
		goto out;
	}
	if (api_param_required(c, "ref", &ref) < 0 || blame_range(c, &from, &to) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_blame_file(ar.r, ref, path, &b);
	if (ret == ERR_TOOBIG) {
		api_message(c, 400, "The file is too large to blame");
		goto out;
	}
	if (ret < 0) {
		api_repo_fail(&ar, ret == ERR_INVALID ? ERR_NOTFOUND : ret, "File", NULL);
		goto out;
	}
	items = json_array();
	for (size_t i = 0; i < b->nr; i++) {
		const struct repo_blame_range *rg = &b->v[i];
		size_t first = rg->start_line, last = rg->start_line + rg->lines - 1;
		json_t *lines;

		if (from && ((int64_t)last < from || (int64_t)first > to))
			continue;
		if (from && (int64_t)first < from)
			first = (size_t)from;
		if (to && (int64_t)last > to)
			last = (size_t)to;
		lines = json_array();
		for (size_t l = first; l <= last && l <= b->lines_nr; l++)
			json_array_append_new(lines, text_json(b->lines[l - 1]));
		json_array_append_new(items, json_pack("{s:o, s:o}", "commit",
						       blame_commit(&ar, cache, rg->commit_id),
						       "lines", lines));
	}
	api_json(c, 200, items);
out:
	json_decref(cache);
	repo_blame_free(b);
	buf_release(&err);
	api_repo_close(&ar);
}

struct contrib_order {
	const char *by;		/* name, email or commits */
	int desc;
};

static int contrib_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct repo_contributor *a = pa, *b = pb;
	const struct contrib_order *o = ctx;
	int d;

	if (!strcmp(o->by, "name"))
		d = strcmp(a->name, b->name);
	else if (!strcmp(o->by, "email"))
		d = strcasecmp(a->email, b->email);
	else
		d = a->commits < b->commits ? -1 : a->commits > b->commits;
	if (!d)
		d = strcasecmp(a->email, b->email);
	return o->desc ? -d : d;
}

static void contributors(struct api_ctx *c)
{
	static const char *const orders[] = { "name", "email", "commits", NULL };
	static const char *const sorts[] = { "asc", "desc", NULL };
	struct api_repo ar = API_REPO_INIT;
	struct repo_contributor_list *l = NULL;
	const char *order = "commits", *sort = "asc";
	struct api_page pg;
	json_t *items;
	int ret;

	if (api_page_parse(c, &pg) < 0 || api_param_enum(c, "order_by", orders, &order) < 0 ||
	    api_param_enum(c, "sort", sorts, &sort) < 0 ||
	    api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_contributors(ar.r, &l);
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Repository", NULL);
		goto out;
	}
	if (l->nr > 1) {
		struct contrib_order o = { order, !strcmp(sort, "desc") };

		qsort_r(l->v, l->nr, sizeof(l->v[0]), contrib_cmp, &o);
	}
	items = json_array();
	for (size_t i = (size_t)api_page_offset(&pg); i < l->nr &&
	     json_array_size(items) < (size_t)pg.per_page; i++)
		json_array_append_new(items, json_pack("{s:o, s:o, s:I, s:I, s:I}",
				      "name", text_json(l->v[i].name), "email",
				      text_json(l->v[i].email), "commits",
				      (json_int_t)l->v[i].commits, "additions",
				      (json_int_t)l->v[i].additions, "deletions",
				      (json_int_t)l->v[i].deletions));
	api_page_respond(c, &pg, (int64_t)l->nr, items);
out:
	repo_contributor_list_free(l);
	api_repo_close(&ar);
}

static void languages(struct api_ctx *c)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_language_list l;
	json_t *o;
	int ret;

	if (api_repo_open(c, &ar, API_REPO_READ) < 0)
		goto out;
	ret = repo_languages(ar.r, &l);
	if (ret < 0) {
		api_repo_fail(&ar, ret, "Repository", NULL);
		goto out;
	}
	o = json_object();
	for (size_t i = 0; i < l.nr; i++)
		/* Percentages with two decimals, as GitLab rounds them. */
		json_object_set_new(o, l.v[i].name,
				    json_real((double)((l.v[i].bytes * 10000 + l.total / 2) /
						       l.total) / 100.0));
	api_json(c, 200, o);
out:
	api_repo_close(&ar);
}

const struct api_endpoint api_repo_extra_endpoints[] = {
	{ "POST", "/projects/:id/repository/commits/:sha/revert", commit_revert, API_AUTH },
	{ "POST", "/projects/:id/repository/commits/:sha/cherry_pick", commit_cherry_pick,
	  API_AUTH },
	{ "GET", "/projects/:id/repository/commits/:sha/signature", commit_signature, 0 },
	{ "GET", "/projects/:id/repository/files/:file_path/blame", files_blame, 0 },
	{ "GET", "/projects/:id/repository/contributors", contributors, 0 },
	{ "GET", "/projects/:id/languages", languages, 0 },
	{ NULL, NULL, NULL, 0 },
};
