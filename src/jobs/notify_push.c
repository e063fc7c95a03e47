/* Emails on push: the "push_mail" job turns one ref update into one mail to
 * the project's emails-on-push recipients, listing the pushed commits (the
 * same list the Push Hook carries) and, unless disabled, the diff. */
#include "job_kinds.h"
#include "jobs.h"
#include "mail.h"
#include "notify.h"
#include "queue.h"
#include "webhook_payload.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/strvec.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/repo_read.h"
#include "model/integration.h"
#include "model/project.h"
#include "model/user.h"
#include "core/html.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUSH_MAIL_ATTEMPTS 8
#define PUSH_MAIL_DIFF_FILES 100
#define PUSH_MAIL_DIFF_BYTES (256 * 1024)	/* a mail, not a code review */

int notify_recipients_parse(const char *list, struct strvec *out, struct buf *err)
{
	const char *p = list ? list : "";

	while (*p) {
		size_t n;
		char *addr;
		int dup = 0;

		p += strspn(p, " \t\r\n,;");
		n = strcspn(p, " \t\r\n,;");
		if (!n)
			break;
		addr = xstrndup(p, n);
		p += n;
		if (!mail_address_ok(addr)) {
			buf_addf(err, "recipients has an invalid address: %.80s", addr);
			free(addr);
			return ERR_INVALID;
		}
		for (size_t i = 0; i < out->nr && !dup; i++)
			dup = !strcasecmp(out->v[i], addr);
		if (!dup && out->nr == MAIL_RCPT_MAX) {
			free(addr);
			buf_addf(err, "recipients lists more than %d addresses", MAIL_RCPT_MAX);
			return ERR_INVALID;
		}
		if (!dup)
			strvec_push(out, addr);
		free(addr);
	}
	return 0;
}

int notify_push_enqueue(struct db *db, const struct job *push_job, int64_t project_id)
{
	struct emails_on_push *e = NULL;
	struct db_stmt *st = NULL;
	char key[160];
	int ret = integration_eop_find(db, project_id, &e);

	if (ret == ERR_NOTFOUND || (ret == 0 && !e->active)) {
		integration_eop_free(e);
		return 0;
	}
	integration_eop_free(e);
	if (ret < 0)
		return ret;
	snprintf(key, sizeof(key), "%s-mail", push_job->idempotency_key);
	ret = db_queryp(db, &st, "SELECT id FROM jobs WHERE idempotency_key = $1", "s", key);
	db_stmt_free(st);
	if (ret != 0)
		return ret > 0 ? 0 : ret;
	return queue_enqueue(db, "push_mail", push_job->payload, key, PUSH_MAIL_ATTEMPTS, 0);
}

struct push_mail {
	const struct config *cfg;
	const struct emails_on_push *eop;
	json_t *hook;			/* the Push Hook payload */
	const char *ref, *before, *after, *branch;	/* branch: NULL for a tag */
	const char *project, *pusher, *web_url;
	int deleted, created;
};

static const char *hook_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int branch_wanted(const struct push_mail *pm, json_t *project)
{
	const char *w = pm->eop->branches;
	const char *def = hook_str(project, "default_branch");
	int is_default = pm->branch && !strcmp(pm->branch, def);
	int is_protected = json_is_true(json_object_get(pm->hook, "ref_protected"));

	if (!pm->branch || !strcmp(w, "all"))
		return 1;	/* tags are always worth a mail, as on GitLab */
	if (!strcmp(w, "default"))
		return is_default;
	if (!strcmp(w, "protected"))
		return is_protected;
	return is_default || is_protected;
}

static void push_subject(struct buf *out, const struct push_mail *pm, json_t *commits)
{
	size_t n = json_array_size(commits);
	json_int_t total = json_integer_value(json_object_get(pm->hook, "total_commits_count"));
	json_t *last = json_array_get(commits, n ? n - 1 : 0);

	buf_addf(out, "[Git][%s]", pm->project);
	if (!pm->branch) {
		buf_addf(out, " %s tag %s", pm->deleted ? "Deleted" : "Pushed new",
			 pm->ref + strlen("refs/tags/"));
		return;
	}
	buf_addf(out, "[%s]", pm->branch);
	if (pm->deleted)
		buf_addf(out, " Deleted branch %s", pm->branch);
	else if (n == 0)
		buf_addstr(out, " Pushed without new commits");
	else if (total <= 1)
		buf_addf(out, " %s", hook_str(last, "title"));
	else
		buf_addf(out, " %lld commits: %s", (long long)total, hook_str(last, "title"));
	/* A title may hold tabs or escapes, which no header may: as spaces,
	 * the mail still goes (mail_compose would refuse it for good). */
	for (size_t i = 0; i < out->len; i++)
		if ((unsigned char)out->ptr[i] < 0x20 || out->ptr[i] == 0x7f)
			out->ptr[i] = ' ';
}

static void changed_paths(struct buf *text, struct buf *html, json_t *commit)
{
	static const struct { const char *key, *mark; } kinds[] = {
		{ "added", "A" }, { "modified", "M" }, { "removed", "D" },
	};
	size_t i;
	json_t *v;

	for (size_t k = 0; k < 3; k++) {
		json_array_foreach(json_object_get(commit, kinds[k].key), i, v) {
			buf_addf(text, "    %s %s\n", kinds[k].mark, json_string_value(v));
			html_addf(html, "<li><code>%s</code> %s</li>", kinds[k].mark,
				  json_string_value(v));
		}
	}
}

static void push_commits(struct buf *text, struct buf *html, json_t *commits)
{
	size_t i;
	json_t *c;

	json_array_foreach(commits, i, c) {
		json_t *author = json_object_get(c, "author");
		const char *id = hook_str(c, "id");
		char short_id[9];

		snprintf(short_id, sizeof(short_id), "%s", id);
		buf_addf(text, "commit %s\nAuthor: %s <%s>\nDate:   %s\n\n", id,
			 hook_str(author, "name"), hook_str(author, "email"),
			 hook_str(c, "timestamp"));
		html_addf(html, "<h3><a href=\"%s\">%s</a> by %s</h3><p style=\"color: #666\">%s"
			  "</p><pre style=\"white-space: pre-wrap\">%s</pre><ul>",
			  hook_str(c, "url"), short_id, hook_str(author, "name"),
			  hook_str(c, "timestamp"),
			  hook_str(c, "message"));
		/* The message indented, as git log prints it. */
		for (const char *m = hook_str(c, "message"); *m;) {
			size_t n = strcspn(m, "\n");

			buf_addstr(text, "    ");
			buf_add(text, m, n);
			buf_addch(text, '\n');
			m += n + (m[n] == '\n');
		}
		buf_addch(text, '\n');
		changed_paths(text, html, c);
		buf_addch(text, '\n');
		html_addf(html, "</ul>");
	}
}

static void push_diff(struct buf *text, struct buf *html, const struct push_mail *pm,
		      int64_t project_id)
{
	struct repo_diff_opts opts = { PUSH_MAIL_DIFF_FILES, PUSH_MAIL_DIFF_BYTES };
	struct repo_compare *cmp = NULL;
	struct repo *r = NULL;

	if (pm->created || pm->deleted || !pm->branch)
		return;
	if (repo_open(&r, project_id) < 0 ||
	    repo_compare(r, pm->before, pm->after, 1, &opts, &cmp) < 0 || !cmp->diffs)
		goto out;
	buf_addstr(text, "Changes:\n\n");
	html_addf(html, "<h2>Changes</h2>");
	for (size_t i = 0; i < cmp->diffs->nr; i++) {
		const struct repo_diff *d = &cmp->diffs->v[i];
		const char *body = d->is_binary ? "Binary file\n" : d->too_large ? "Diff too large\n"
										  : d->diff;

		buf_addf(text, "--- a/%s\n+++ b/%s\n%s\n", d->old_path, d->new_path, body);
		html_addf(html, "<h4>%s</h4><pre style=\"background: #f6f8fa\">%s</pre>",
			  d->new_path, body);
	}
	if (cmp->diffs->overflow) {
		buf_addstr(text, "(The diff was cut here.)\n");
		html_addf(html, "<p>The diff was cut here.</p>");
	}
out:
	repo_compare_free(cmp);
	repo_close(r);
}

/* The committer's address as sender only inside our own domain: mail from
 * elsewhere would fail SPF and DMARC, as GitLab reasons too. */
static const char *committer_from(const struct push_mail *pm, json_t *commits,
				  const char *sender)
{
	json_t *last = json_array_get(commits, json_array_size(commits) - 1);
	const char *email = hook_str(json_object_get(last, "author"), "email");
	const char *at = strrchr(email, '@'), *ours = strrchr(sender, '@');

	if (!pm->eop->send_from_committer_email || !at || !ours || !mail_address_ok(email))
		return NULL;
	return strcasecmp(at, ours) ? NULL : email;
}

static int push_mail_build(struct push_mail *pm, int64_t project_id, const char *key,
			   struct db *db, struct buf *err)
{
	struct buf subject = BUF_INIT, text = BUF_INIT, html = BUF_INIT, sender = BUF_INIT;
	struct strvec to = STRVEC_INIT;
	json_t *commits = json_object_get(pm->hook, "commits");
	struct notify_mail m = { &to, NULL, NULL, NULL, NULL };
	struct mail_smtp smtp;
	int ret;

	ret = notify_recipients_parse(pm->eop->recipients, &to, err);
	if (ret < 0 || to.nr == 0)
		goto out;
	push_subject(&subject, pm, commits);
	buf_addf(&text, "%s %s %s of %s (%s)\n\n", pm->pusher,
		 pm->deleted ? "deleted" : "pushed to", pm->branch ? "branch" : "tag",
		 pm->project, pm->web_url);
	buf_addf(&text, "Ref: %s\n%s..%s\n\n", pm->ref, pm->before, pm->after);
	html_addf(&html, "<!DOCTYPE html><html><body style=\"font-family: sans-serif\">"
		  "<p><b>%s</b> %s %s <b>%s</b> of <a href=\"%s\">%s</a></p>", pm->pusher,
		  pm->deleted ? "deleted" : "pushed to", pm->branch ? "branch" : "tag",
		  pm->branch ? pm->branch : pm->ref + strlen("refs/tags/"), pm->web_url,
		  pm->project);
	if (json_array_size(commits)) {
		buf_addstr(&text, "Commits:\n\n");
		html_addf(&html, "<h2>Commits</h2>");
		push_commits(&text, &html, commits);
	}
	if (!pm->eop->disable_diffs)
		push_diff(&text, &html, pm, project_id);
	html_addf(&html, "</body></html>\n");
	if (mail_smtp_from_config(pm->cfg, &smtp, &sender) == 0)
		m.from = committer_from(pm, commits, sender.ptr);
	m.subject = subject.ptr;
	m.text = text.ptr;
	m.html = html.ptr;
	ret = notify_queue(db, pm->cfg, &m, key, err);
out:
	strvec_release(&to);
	buf_release(&subject);
	buf_release(&text);
	buf_release(&html);
	buf_release(&sender);
	return ret;
}

static int push_mail_prepare(struct push_mail *pm, json_t *root, struct buf *body)
{
	json_t *project;

	pm->hook = json_loads(body->ptr, 0, NULL);
	if (!pm->hook)
		return ERR_INTERNAL;
	project = json_object_get(pm->hook, "project");
	pm->ref = hook_str(root, "ref");
	pm->before = hook_str(root, "before");
	pm->after = hook_str(root, "after");
	pm->branch = !strncmp(pm->ref, "refs/heads/", 11) ? pm->ref + 11 : NULL;
	pm->deleted = !strcmp(pm->after, WEBHOOK_ZERO_OID);
	pm->created = !strcmp(pm->before, WEBHOOK_ZERO_OID);
	pm->project = hook_str(project, "path_with_namespace");
	pm->web_url = hook_str(project, "web_url");
	pm->pusher = hook_str(pm->hook, "user_name");
	if (!*pm->pusher)
		pm->pusher = "Someone";
	return branch_wanted(pm, project) ? 0 : ERR_NOTFOUND;
}

int push_mail_job_run(struct db_pool *pool, const struct job *job, struct buf *err)
{
	json_t *root = json_loads(job->payload, 0, NULL);
	struct push_mail pm = { 0 };
	struct emails_on_push *eop = NULL;
	struct buf body = BUF_INIT;
	struct project *p = NULL;
	struct user *u = NULL;
	struct db *db = db_get(pool);
	json_int_t pid = 0, uid = 0;
	char key[160];
	int ret;

	if (!db) {
		ret = ERR_UNAVAILABLE;
		goto out;
	}
	if (!root || json_unpack(root, "{s:I, s:I}", "project_id", &pid, "user_id", &uid) != 0 ||
	    !webhook_event_name(hook_str(root, "ref"))) {
		buf_addstr(err, "malformed push mail job");
		ret = ERR_INVALID;
		goto out;
	}
	pm.cfg = notify_config();
	ret = project_find(db, pid, &p);
	if (ret == 0)
		ret = integration_eop_find(db, pid, &eop);
	if (ret == 0 && uid && user_find(db, uid, &u) == ERR_NOTFOUND)
		u = NULL;
	if (ret == ERR_NOTFOUND || (ret == 0 && !eop->active) || !pm.cfg) {
		ret = 0;	/* the project or its integration is gone */
		goto out;
	}
	if (ret == 0)
		ret = jobs_push_payload(db, p, u, pm.ref = hook_str(root, "ref"),
					hook_str(root, "before"), hook_str(root, "after"), &body, err);
	pm.eop = eop;
	if (ret == 0)
		ret = push_mail_prepare(&pm, root, &body);
	if (ret == ERR_NOTFOUND) {
		ret = 0;	/* a branch the integration does not want */
		goto out;
	}
	snprintf(key, sizeof(key), "%s-send", job->idempotency_key);
	if (ret == 0)
		ret = push_mail_build(&pm, pid, key, db, err);
out:
	json_decref(pm.hook);
	json_decref(root);
	buf_release(&body);
	integration_eop_free(eop);
	project_free(p);
	user_free(u);
	db_put(pool, db);
	return ret;
}
