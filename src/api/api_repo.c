/* Opening a project's repository for an API request, the ref policy every
 * write goes through, push events after writes, and the Commit entity. */
#include "api_repo.h"
#include "auth/push_rules.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "hooks/hook.h"
#include "http/http.h"
#include "model/member.h"
#include "model/project.h"
#include "model/push_event.h"
#include "model/user.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static int ref_fast_forward(void *ctx, const char *old_id, const char *new_id)
{
	const char *revs[2] = { old_id, new_id };
	char base[REPO_OID_HEX];

	return repo_merge_base(ctx, revs, 2, base) == 0 && !strcmp(base, old_id);
}

/* Runs before every ref update on the request's repository. */
static int ref_check(void *ctx, const char *refname, const char *old_id, const char *new_id)
{
	struct api_repo *ar = ctx;
	int ret;

	if (push_rule_name_harmful(refname))
		return ERR_INVALID;
	buf_reset(&ar->reason);
	ret = push_rule_check(&ar->rules, ar->level, PUSH_RULE_API, refname, old_id, new_id,
			      ref_fast_forward, ar->r, &ar->reason);
	if (ret < 0)
		ar->refused = 1;
	return ret;
}

static void ref_updated(void *ctx, const struct repo_ref_change *change)
{
	struct api_repo *ar = ctx;
	struct ref_update *u;

	ar->changes = xrealloc(ar->changes, (ar->changes_nr + 1) * sizeof(*ar->changes));
	u = &ar->changes[ar->changes_nr++];
	memcpy(u->old_oid, change->old_id, sizeof(u->old_oid));
	memcpy(u->new_oid, change->new_id, sizeof(u->new_oid));
	u->ref = xstrdup(change->refname);
}

static const struct repo_ref_hooks api_ref_hooks = { ref_check, ref_updated };

int api_repo_load_rules(struct api_repo *ar)
{
	int ret;

	if (ar->rules.items || ar->rules.nr)
		return 0;
	ret = protected_branch_list(ar->c->db, ar->p->id, &ar->rules);
	if (ret < 0)
		api_fail(ar->c, ret, NULL, NULL);
	return ret;
}

int api_repo_open(struct api_ctx *c, struct api_repo *ar, enum api_repo_mode mode)
{
	int ret;

	ar->c = c;
	ret = api_project_find(c, api_arg(c, 0), &ar->p, &ar->level);
	if (ret < 0)
		return ret;
	/* GitLab's download_code: everyone who sees a public or internal
	 * project, Reporter+ on a private one. */
	if (mode == API_REPO_READ && !strcmp(ar->p->visibility, "private"))
		ret = api_require_level(c, ar->level, ACCESS_REPORTER);
	if (mode == API_REPO_WRITE) {
		ret = api_require_level(c, ar->level, ACCESS_DEVELOPER);
		if (ret == 0)
			ret = api_repo_load_rules(ar);
	}
	if (ret < 0)
		return ret;
	if (api_is_admin(c))
		ar->level = ACCESS_OWNER;
	ret = repo_open(&ar->r, ar->p->id);
	if (ret < 0) {
		api_fail(c, ret == ERR_NOTFOUND ? ERR_INTERNAL : ret, NULL, NULL);
		return ret;
	}
	if (mode == API_REPO_WRITE)
		repo_set_ref_hooks(ar->r, &api_ref_hooks, ar);
	return 0;
}

void api_repo_close(struct api_repo *ar)
{
	struct principal who = PRINCIPAL_INIT;

	if (ar->changes_nr) {
		/* The refs have moved: record them even when the answer failed
		 * later, as post-receive does after git has updated them. */
		who.user = ar->c->who.user;
		(void)hook_post_receive(ar->c->db, ar->p, &who, ar->changes, ar->changes_nr);
	}
	for (size_t i = 0; i < ar->changes_nr; i++)
		free(ar->changes[i].ref);
	free(ar->changes);
	ar->changes = NULL;
	ar->changes_nr = 0;
	repo_close(ar->r);
	ar->r = NULL;
	protected_branch_list_release(&ar->rules);
	project_free(ar->p);
	ar->p = NULL;
	buf_release(&ar->reason);
}

void api_repo_fail(struct api_repo *ar, int ret, const char *what, const struct buf *err)
{
	struct api_ctx *c = ar->c;
	struct buf msg = BUF_INIT_MAX(256);

	if (ret == ERR_DENIED && ar->refused) {
		buf_addf(&msg, "403 Forbidden - %s", ar->reason.ptr);
		api_message(c, 403, msg.ptr);
	} else if (ret == ERR_BUSY && err && err->len) {
		api_message(c, 400, err->ptr);
	} else if (ret == ERR_BUSY) {
		api_message(c, 409, "The branch or file has been changed since you read it; "
			    "reload and try again");
	} else if ((ret == ERR_INVALID || ret == ERR_EXISTS) && err && err->len) {
		api_message(c, 400, err->ptr);
	} else if (ret == ERR_INVALID) {
		buf_addf(&msg, "%s is invalid", what ? what : "Request");
		api_message(c, 400, msg.ptr);
	} else {
		api_fail(c, ret, what, NULL);
	}
	buf_release(&msg);
}

void api_repo_ident(const struct api_repo *ar, struct repo_ident *out)
{
	const struct user *u = ar->c->who.user;

	out->name = u && u->name && *u->name ? u->name : u ? u->username : "kura";
	out->email = u && u->email && *u->email ? u->email : "kura@localhost";
}

void api_branch_rules(const struct api_repo *ar, const char *branch, struct api_branch_rules *out)
{
	int found = 0, push = 0, force = 0, merge_dev = 1;

	protected_branch_effective(&ar->rules, branch, &found, &push, &force);
	for (size_t i = 0; found && i < ar->rules.nr; i++)
		if (protected_branch_matches(ar->rules.items[i].name, branch) &&
		    (ar->rules.items[i].merge_access_level == 0 ||
		     ar->rules.items[i].merge_access_level > ACCESS_DEVELOPER))
			merge_dev = 0;
	out->protected_ = found;
	out->developers_can_push = !found || (push && push <= ACCESS_DEVELOPER);
	out->developers_can_merge = !found || merge_dev;
	out->can_push = ar->level >= ACCESS_DEVELOPER && (!found || (push && ar->level >= push));
	if (found) {
		out->developers_can_push = push && push <= ACCESS_DEVELOPER;
		out->developers_can_merge = merge_dev;
	}
}

json_t *api_repo_web_url(struct api_repo *ar, const char *suffix)
{
	struct buf u = BUF_INIT;
	json_t *s;

	buf_addf(&u, "%s/%s/%s%s", http_external_url(ar->c->req), ar->p->namespace_full_path,
		 ar->p->path, suffix);
	s = json_stringn(u.ptr, u.len);
	buf_release(&u);
	return s ? s : json_null();
}

static json_t *person_time(const struct repo_person *p)
{
	char t[40];

	repo_time_format(t, sizeof(t), p->when_ms, p->offset_min);
	return json_string(t);
}

/* Commit data is bytes; jansson wants UTF-8, so anything else is shown as
 * GitLab does, with replacement characters. */
static json_t *text(const char *s)
{
	json_t *v;
	struct buf b = BUF_INIT;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		buf_addch(&b, *p < 0x80 ? (char)*p : '?');
	v = json_string(b.ptr);
	buf_release(&b);
	return v ? v : json_null();
}

json_t *api_commit_json(struct api_repo *ar, const struct repo_commit *rc)
{
	json_t *parents = json_array();
	json_t *o;
	struct buf suffix = BUF_INIT;

	for (size_t i = 0; i < rc->parents_nr; i++)
		json_array_append_new(parents, json_string(rc->parent_ids[i]));
	buf_addf(&suffix, "/-/commit/%s", rc->id);
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{}, s:o}",
		      "id", rc->id, "short_id", rc->short_id,
		      "created_at", person_time(&rc->committer), "parent_ids", parents,
		      "title", text(rc->title), "message", text(rc->message),
		      "author_name", text(rc->author.name), "author_email", text(rc->author.email),
		      "authored_date", person_time(&rc->author),
		      "committer_name", text(rc->committer.name),
		      "committer_email", text(rc->committer.email),
		      "committed_date", person_time(&rc->committer), "trailers",
		      "web_url", api_repo_web_url(ar, suffix.ptr));
	if (rc->has_stats)
		json_object_set_new(o, "stats", json_pack("{s:I, s:I, s:I}",
				    "additions", (json_int_t)rc->additions,
				    "deletions", (json_int_t)rc->deletions,
				    "total", (json_int_t)rc->total));
	buf_release(&suffix);
	return o;
}

int api_base64_decode(struct buf *out, const char *s, size_t n)
{
	size_t cap = n / 4 * 3 + 3, len = 0;
	char *tmp;
	int ret = 0;

	if (out->max && cap > out->max + 3)
		return ERR_TOOBIG;
	tmp = xmalloc(cap + 1);
	if (sodium_base642bin((unsigned char *)tmp, cap, s, n, "\r\n", &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		ret = ERR_INVALID;
	if (ret == 0)
		buf_add(out, tmp, len);
	if (ret == 0 && buf_error(out))
		ret = ERR_TOOBIG;
	free(tmp);
	return ret;
}

void api_base64_encode(struct buf *out, const void *data, size_t n)
{
	size_t need = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *tmp = xmalloc(need);

	sodium_bin2base64(tmp, need, data, n, sodium_base64_VARIANT_ORIGINAL);
	buf_addstr(out, tmp);
	free(tmp);
}

int api_repo_commit(struct api_repo *ar, struct repo_commit_req *req, struct repo_ref_change *out)
{
	struct api_ctx *c = ar->c;
	struct buf err = BUF_INIT_MAX(1024);
	const char *name = NULL, *email = NULL;
	int ret;

	api_repo_ident(ar, &req->committer);
	req->author = req->committer;
	if (api_param_str(c, "author_name", &name) < 0 ||
	    api_param_str(c, "author_email", &email) < 0)
		return ERR_INVALID;
	if (name)
		req->author.name = name;
	if (email)
		req->author.email = email;
	ret = repo_commit_create(ar->r, req, out, &err);
	/* A missing file or start branch is the request's fault, as on GitLab. */
	if (ret == ERR_NOTFOUND && err.len)
		api_message(c, 400, err.ptr);
	else if (ret < 0)
		api_repo_fail(ar, ret, "Commit", &err);
	buf_release(&err);
	return ret;
}

int api_repo_content(struct api_ctx *c, const char *encoding, const char *content,
		     struct buf *out)
{
	int ret;

	if (!encoding || !strcmp(encoding, "text")) {
		buf_addstr(out, content);
		return 0;
	}
	ret = api_base64_decode(out, content, strlen(content));
	if (ret == ERR_TOOBIG)
		api_message(c, 413, "413 Request Entity Too Large");
	else if (ret < 0)
		api_error(c, 400, "content is not valid base64");
	return ret;
}

int api_repo_init_readme(struct api_ctx *c, int64_t project_id)
{
	struct api_repo ar = API_REPO_INIT;
	struct repo_action readme = { 0 };
	struct repo_commit_req req = { 0 };
	struct buf content = BUF_INIT, err = BUF_INIT_MAX(1024);
	char *branch = NULL;
	int ret;

	ar.c = c;
	ar.level = ACCESS_OWNER;
	ret = project_find(c->db, project_id, &ar.p);
	if (ret == 0)
		ret = repo_open(&ar.r, project_id);
	if (ret == 0)
		ret = repo_default_branch(ar.r, &branch);
	if (ret < 0)
		goto out;
	repo_set_ref_hooks(ar.r, &api_ref_hooks, &ar);
	buf_addf(&content, "# %s\n", ar.p->name);
	readme.kind = REPO_ACTION_CREATE;
	readme.path = "README.md";
	readme.content = content.ptr;
	readme.content_len = content.len;
	readme.execute_filemode = -1;
	api_repo_ident(&ar, &req.author);
	req.branch = branch;
	req.message = "Initial commit";
	req.actions = &readme;
	req.actions_nr = 1;
	ret = repo_commit_create(ar.r, &req, NULL, &err);
	if (ret < 0)
		log_error("api", "initial README failed project_id=%lld error=%s err=\"%s\"",
			  (long long)project_id, err_name(ret), err.ptr);
out:
	free(branch);
	buf_release(&content);
	buf_release(&err);
	api_repo_close(&ar);
	return ret;
}
