/* Push and tag push payloads (see webhook_payload.h), field for field as
 * GitLab's Gitlab::DataBuilder::Push builds them. */
#include "jobs/webhook_payload.h"

#include <git2.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

#define HEADS "refs/heads/"
#define TAGS "refs/tags/"

const char *webhook_event_name(const char *ref)
{
	if (!strncmp(ref, HEADS, strlen(HEADS)) && ref[strlen(HEADS)])
		return "Push Hook";
	if (!strncmp(ref, TAGS, strlen(TAGS)) && ref[strlen(TAGS)])
		return "Tag Push Hook";
	return NULL;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *str_or_empty(const char *s)
{
	return json_string(s ? s : "");
}

/* jansson refuses invalid UTF-8; commit messages and names are bytes. */
static json_t *bytes_json(const char *s)
{
	json_t *j;
	struct buf b = BUF_INIT;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		buf_addch(&b, *p < 0x80 ? (char)*p : '?');
	j = json_string(b.ptr);
	buf_release(&b);
	return j;
}

/* "2011-12-12T14:27:31+02:00": the author's time in the author's zone. */
static void time_xmlschema(struct buf *out, const git_time *t)
{
	time_t secs = (time_t)(t->time + (int64_t)t->offset * 60);
	int off = t->offset < 0 ? -t->offset : t->offset;
	struct tm tm;

	gmtime_r(&secs, &tm);
	buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 t->offset < 0 ? '-' : '+', off / 60, off % 60);
}

static json_t *project_json(const struct webhook_project *p)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:n, s:o, s:o, s:o, s:i, s:o, s:o, s:s, s:o,"
			 " s:o, s:o, s:o}",
			 "id", (json_int_t)p->id,
			 "name", bytes_json(p->name),
			 "description", str_or_null(p->description),
			 "web_url", str_or_empty(p->web_url),
			 "avatar_url",
			 "git_ssh_url", str_or_empty(p->ssh_url),
			 "git_http_url", str_or_empty(p->http_url),
			 "namespace", bytes_json(p->namespace_name),
			 "visibility_level", p->visibility_level,
			 "path_with_namespace", str_or_empty(p->path_with_namespace),
			 "default_branch", str_or_null(p->default_branch),
			 "ci_config_path", "",
			 "homepage", str_or_empty(p->web_url),
			 "url", str_or_empty(p->ssh_url),
			 "ssh_url", str_or_empty(p->ssh_url),
			 "http_url", str_or_empty(p->http_url));
}

/* The legacy block GitLab still sends next to "project". */
static json_t *repository_json(const struct webhook_project *p)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
			 "name", bytes_json(p->name),
			 "url", str_or_empty(p->ssh_url),
			 "description", str_or_null(p->description),
			 "homepage", str_or_empty(p->web_url),
			 "git_http_url", str_or_empty(p->http_url),
			 "git_ssh_url", str_or_empty(p->ssh_url),
			 "visibility_level", p->visibility_level);
}

struct paths {
	json_t *added, *modified, *removed;
	size_t n;
};

static int paths_cb(const git_diff_delta *d, float progress, void *payload)
{
	struct paths *ps = payload;
	json_t *list = ps->modified;
	const char *path = d->new_file.path;

	if (ps->n >= WEBHOOK_PATHS_MAX)
		return 0;
	if (d->status == GIT_DELTA_ADDED) {
		list = ps->added;
	} else if (d->status == GIT_DELTA_DELETED) {
		list = ps->removed;
		path = d->old_file.path;
	}
	json_array_append_new(list, bytes_json(path));
	ps->n++;
	return 0;
}

/* added/modified/removed of a commit against its first parent. */
static int commit_paths(git_repository *repo, git_commit *c, struct paths *ps)
{
	git_commit *parent = NULL;
	git_tree *old = NULL, *new = NULL;
	git_diff *diff = NULL;
	int ret = ERR_INTERNAL;

	if (git_commit_parentcount(c) > 0 &&
	    (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&old, parent) < 0))
		goto out;
	if (git_commit_tree(&new, c) < 0 || git_diff_tree_to_tree(&diff, repo, old, new, NULL) < 0)
		goto out;
	if (git_diff_foreach(diff, paths_cb, NULL, NULL, NULL, ps) < 0)
		goto out;
	ret = 0;
out:
	git_diff_free(diff);
	git_tree_free(new);
	git_tree_free(old);
	git_commit_free(parent);
	return ret;
}

static json_t *commit_json(git_repository *repo, const git_oid *oid, const char *web_url)
{
	git_commit *c = NULL;
	struct paths ps = { json_array(), json_array(), json_array(), 0 };
	const git_signature *a;
	const char *msg, *eol;
	char hex[GIT_OID_HEXSZ + 1];
	struct buf title = BUF_INIT, url = BUF_INIT, when = BUF_INIT;
	json_t *j = NULL;

	git_oid_tostr(hex, sizeof(hex), oid);
	if (git_commit_lookup(&c, repo, oid) < 0 || commit_paths(repo, c, &ps) < 0)
		goto out;
	a = git_commit_author(c);
	msg = git_commit_message(c);
	msg = msg ? msg : "";
	eol = strchr(msg, '\n');
	buf_add(&title, msg, eol ? (size_t)(eol - msg) : strlen(msg));
	time_xmlschema(&when, &a->when);
	buf_addf(&url, "%s/-/commit/%s", web_url ? web_url : "", hex);
	j = json_pack("{s:s, s:o, s:o, s:s, s:s, s:{s:o, s:o}, s:O, s:O, s:O}",
		      "id", hex, "message", bytes_json(msg), "title", bytes_json(title.ptr),
		      "timestamp", when.ptr, "url", url.ptr,
		      "author", "name", bytes_json(a->name), "email", bytes_json(a->email),
		      "added", ps.added, "modified", ps.modified, "removed", ps.removed);
out:
	json_decref(ps.added);
	json_decref(ps.modified);
	json_decref(ps.removed);
	git_commit_free(c);
	buf_release(&title);
	buf_release(&url);
	buf_release(&when);
	return j;
}

/* Hides every branch but the pushed one: a new branch's commits are those no
 * other branch already has. */
static int hide_other_branches(git_revwalk *walk, git_repository *repo, const char *ref)
{
	git_reference_iterator *it = NULL;
	git_reference *r = NULL;
	int ret = 0;

	if (git_reference_iterator_glob_new(&it, repo, HEADS "*") < 0)
		return ERR_INTERNAL;
	while (git_reference_next(&r, it) == 0) {
		git_object *target = NULL;

		if (strcmp(git_reference_name(r), ref) &&
		    git_reference_peel(&target, r, GIT_OBJECT_COMMIT) == 0 &&
		    git_revwalk_hide(walk, git_object_id(target)) < 0)
			ret = ERR_INTERNAL;
		git_object_free(target);
		git_reference_free(r);
		r = NULL;
	}
	git_reference_iterator_free(it);
	return ret;
}

/* The newest WEBHOOK_COMMITS_MAX new commits, oldest first, and the count. */
static int branch_commits(git_repository *repo, const struct webhook_project *p,
			  const struct webhook_push *push, const git_oid *before,
			  const git_oid *after, json_t *commits, int *total_out)
{
	git_revwalk *walk = NULL;
	git_oid kept[WEBHOOK_COMMITS_MAX], oid;
	int n = 0, ret = ERR_INTERNAL;

	if (git_revwalk_new(&walk, repo) < 0)
		goto out;
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if (git_revwalk_push(walk, after) < 0)
		goto out;
	if (git_oid_is_zero(before)) {
		if (hide_other_branches(walk, repo, push->ref) < 0)
			goto out;
	} else if (git_revwalk_hide(walk, before) < 0) {
		/* The old tip may be gone (a force push after gc): count from after. */
		git_error_clear();
	}
	while (n < WEBHOOK_WALK_MAX && git_revwalk_next(&oid, walk) == 0) {
		if (n < WEBHOOK_COMMITS_MAX)
			git_oid_cpy(&kept[n], &oid);
		n++;
	}
	for (int i = (n < WEBHOOK_COMMITS_MAX ? n : WEBHOOK_COMMITS_MAX) - 1; i >= 0; i--) {
		json_t *c = commit_json(repo, &kept[i], p->web_url);

		if (!c)
			goto out;
		json_array_append_new(commits, c);
	}
	*total_out = n;
	ret = 0;
out:
	git_revwalk_free(walk);
	return ret;
}

/* checkout_sha is the commit a tag finally points at; message is an
 * annotated tag's message. */
static int tag_commit(git_repository *repo, const git_oid *after, git_oid *commit_out,
		      int *has_commit, char **message_out)
{
	git_object *obj = NULL, *peeled = NULL;

	*has_commit = 0;
	*message_out = NULL;
	if (git_object_lookup(&obj, repo, after, GIT_OBJECT_ANY) < 0)
		return ERR_NOTFOUND;
	if (git_object_type(obj) == GIT_OBJECT_TAG) {
		const char *m = git_tag_message((git_tag *)obj);

		*message_out = strdup(m ? m : "");
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
		git_oid_cpy(commit_out, git_object_id(peeled));
		*has_commit = 1;
	}
	git_error_clear();
	git_object_free(peeled);
	git_object_free(obj);
	return 0;
}

static int commit_exists(git_repository *repo, const git_oid *oid)
{
	git_commit *c = NULL;
	int ok = git_commit_lookup(&c, repo, oid) == 0;

	git_commit_free(c);
	return ok;
}

struct update {
	git_oid before, after, checkout;
	int has_checkout, deleted, is_tag, total;
	char *tag_message;
};

static int update_read(git_repository *repo, const struct webhook_project *p,
		       const struct webhook_push *push, struct update *u, json_t *commits)
{
	git_oid c;
	json_t *cj;
	int ret;

	u->deleted = git_oid_is_zero(&u->after);
	if (u->deleted)
		return 0;
	if (u->is_tag) {
		ret = tag_commit(repo, &u->after, &u->checkout, &u->has_checkout, &u->tag_message);
		if (ret < 0 || !u->has_checkout)
			return ret;
		git_oid_cpy(&c, &u->checkout);
		cj = commit_json(repo, &c, p->web_url);
		if (!cj)
			return ERR_INTERNAL;
		json_array_append_new(commits, cj);
		u->total = 1;
		return 0;
	}
	if (!commit_exists(repo, &u->after))
		return ERR_NOTFOUND;
	git_oid_cpy(&u->checkout, &u->after);
	u->has_checkout = 1;
	return branch_commits(repo, p, push, &u->before, &u->after, commits, &u->total);
}

static int oid_parse(git_oid *out, const char *hex)
{
	if (!hex || strlen(hex) != GIT_OID_HEXSZ || strspn(hex, "0123456789abcdef") != GIT_OID_HEXSZ)
		return ERR_INVALID;
	return git_oid_fromstr(out, hex) < 0 ? ERR_INVALID : 0;
}

static json_t *payload_json(const struct webhook_project *p, const struct webhook_user *usr,
			    const struct webhook_push *push, const struct update *u,
			    json_t *commits)
{
	char checkout[GIT_OID_HEXSZ + 1];
	int tag = u->is_tag;

	git_oid_tostr(checkout, sizeof(checkout), &u->checkout);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:I, s:o, s:o, s:o, s:o,"
			 " s:I, s:o, s:O, s:i, s:{}, s:o}",
			 "object_kind", tag ? "tag_push" : "push",
			 "event_name", tag ? "tag_push" : "push",
			 "before", push->before, "after", push->after, "ref", push->ref,
			 "ref_protected", push->ref_protected,
			 "checkout_sha", u->has_checkout ? json_string(checkout) : json_null(),
			 "message", tag && u->tag_message ? bytes_json(u->tag_message) : json_null(),
			 "user_id", (json_int_t)usr->id,
			 "user_name", bytes_json(usr->name ? usr->name : ""),
			 "user_username", str_or_empty(usr->username),
			 "user_email", str_or_empty(usr->email),
			 "user_avatar", str_or_null(usr->avatar_url),
			 "project_id", (json_int_t)p->id,
			 "project", project_json(p),
			 "commits", commits,
			 "total_commits_count", u->total,
			 "push_options",
			 "repository", repository_json(p));
}

int webhook_payload_push(struct buf *out, const char *repo_path,
			 const struct webhook_project *p, const struct webhook_user *usr,
			 const struct webhook_push *push, struct buf *err)
{
	struct update u = { 0 };
	git_repository *repo = NULL;
	json_t *commits = json_array(), *payload = NULL;
	char *text = NULL;
	const char *event = webhook_event_name(push->ref);
	int ret;

	git_libgit2_init();
	if (!event || oid_parse(&u.before, push->before) < 0 ||
	    oid_parse(&u.after, push->after) < 0) {
		buf_addstr(err, "A push event needs a branch or tag ref and two full object ids.");
		ret = ERR_INVALID;
		goto out;
	}
	u.is_tag = !strcmp(event, "Tag Push Hook");
	if (git_repository_open_bare(&repo, repo_path) < 0) {
		buf_addstr(err, "The repository could not be opened.");
		ret = ERR_NOTFOUND;
		goto out;
	}
	ret = update_read(repo, p, push, &u, commits);
	if (ret < 0) {
		buf_addstr(err, ret == ERR_NOTFOUND ? "The pushed object is not in the repository."
						    : "The pushed commits could not be read.");
		goto out;
	}
	payload = payload_json(p, usr, push, &u, commits);
	text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	if (!text) {
		buf_addstr(err, "The push event could not be encoded.");
		ret = ERR_INTERNAL;
		goto out;
	}
	buf_addstr(out, text);
	ret = 0;
out:
	git_repository_free(repo);
	git_libgit2_shutdown();
	if (ret < 0)
		log_debug("webhook", "payload failed ret=%s", err_name(ret));
	free(text);
	free(u.tag_message);
	json_decref(payload);
	json_decref(commits);
	return ret;
}
