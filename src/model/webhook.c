#include "webhook.h"
#include "protected_branch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/uuid.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <regex.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBHOOK_COLUMNS \
	"id, scope, scope_id, url, token, push_events, tag_push_events, merge_requests_events," \
	" repository_update_events, enable_ssl_verification, push_events_branch_filter," \
	" branch_filter_strategy, uuid, recent_failures, disabled_until, permanently_disabled," \
	" created_at"

static const char *const scope_names[] = { "project", "group", "system" };

static void webhook_from_row(struct db_stmt *st, struct webhook *w)
{
	const char *scope = db_col_text(st, 1);

	w->id = db_col_int64(st, 0);
	w->scope = !strcmp(scope, "group") ? WEBHOOK_GROUP :
		   !strcmp(scope, "system") ? WEBHOOK_SYSTEM : WEBHOOK_PROJECT;
	w->scope_id = db_col_int64(st, 2);
	w->url = db_col_strdup(st, 3);
	w->token = db_col_strdup(st, 4);
	w->push_events = (int)db_col_int64(st, 5);
	w->tag_push_events = (int)db_col_int64(st, 6);
	w->merge_requests_events = (int)db_col_int64(st, 7);
	w->repository_update_events = (int)db_col_int64(st, 8);
	w->enable_ssl_verification = (int)db_col_int64(st, 9);
	w->branch_filter = db_col_strdup(st, 10);
	w->branch_filter_strategy = db_col_strdup(st, 11);
	w->uuid = db_col_strdup(st, 12);
	w->recent_failures = (int)db_col_int64(st, 13);
	w->disabled_until = db_col_int64(st, 14);
	w->permanently_disabled = (int)db_col_int64(st, 15);
	w->created_at = db_col_int64(st, 16);
}

static void webhook_release(struct webhook *w)
{
	free(w->url);
	free(w->token);
	free(w->branch_filter);
	free(w->branch_filter_strategy);
	free(w->uuid);
}

void webhook_free(struct webhook *w)
{
	if (!w)
		return;
	webhook_release(w);
	free(w);
}

void webhook_list_release(struct webhook_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		webhook_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = 0;
}

int webhook_create(struct db *db, struct webhook *w)
{
	struct db_stmt *st = NULL;
	char uuid[UUID_STR_LEN];
	int ret;

	uuid_v4(uuid);
	w->created_at = time_now_ms();
	ret = db_queryp(db, &st,
			"INSERT INTO webhooks (scope, scope_id, url, token, push_events,"
			" tag_push_events, merge_requests_events, repository_update_events,"
			" enable_ssl_verification, push_events_branch_filter, branch_filter_strategy,"
			" uuid, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
			" $13) RETURNING id", "sIssiiiiisssi", scope_names[w->scope],
			w->scope_id, w->url, w->token, (int64_t)w->push_events,
			(int64_t)w->tag_push_events, (int64_t)w->merge_requests_events,
			(int64_t)w->repository_update_events, (int64_t)w->enable_ssl_verification,
			w->branch_filter, w->branch_filter_strategy ? w->branch_filter_strategy
								    : "wildcard", uuid, w->created_at);
	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	w->id = db_col_int64(st, 0);
	free(w->uuid);
	w->uuid = xstrdup(uuid);
	db_stmt_free(st);
	return 0;
}

int webhook_update(struct db *db, const struct webhook *w)
{
	return db_execp(db, "UPDATE webhooks SET url = $1, token = $2, push_events = $3,"
			    " tag_push_events = $4, merge_requests_events = $5,"
			    " repository_update_events = $6, enable_ssl_verification = $7,"
			    " push_events_branch_filter = $8, branch_filter_strategy = $9"
			    " WHERE id = $10", "ssiiiiissi", w->url, w->token,
			(int64_t)w->push_events, (int64_t)w->tag_push_events,
			(int64_t)w->merge_requests_events, (int64_t)w->repository_update_events,
			(int64_t)w->enable_ssl_verification, w->branch_filter,
			w->branch_filter_strategy ? w->branch_filter_strategy : "wildcard", w->id);
}

int webhook_delete(struct db *db, int64_t id)
{
	return db_execp(db, "DELETE FROM webhooks WHERE id = $1", "i", id);
}

int webhook_find(struct db *db, int64_t id, struct webhook **out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1",
			    "i", id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_NOTFOUND;
	*out = xcalloc(1, sizeof(**out));
	webhook_from_row(st, *out);
	db_stmt_free(st);
	return 0;
}

static int webhook_collect(struct db_stmt *st, struct webhook_list *out)
{
	struct webhook_list l = { NULL, 0 };
	int ret;

	while ((ret = db_step(st)) > 0) {
		l.items = xrealloc(l.items, (l.nr + 1) * sizeof(*l.items));
		webhook_from_row(st, &l.items[l.nr++]);
	}
	if (ret < 0) {
		webhook_list_release(&l);
		return ret;
	}
	*out = l;
	return 0;
}

int webhook_list(struct db *db, enum webhook_scope scope, int64_t scope_id, int64_t offset,
		 int64_t limit, struct webhook_list *out)
{
	struct db_stmt *st = NULL;
	int ret = db_prepare(db, &st, "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE scope = $1"
			     " AND (scope_id = $2 OR ($2 = 0 AND scope_id IS NULL))"
			     " ORDER BY id LIMIT $3 OFFSET $4");

	if (ret == 0)
		ret = db_bind_text(st, 1, scope_names[scope]);
	if (ret == 0)
		ret = db_bind_int64(st, 2, scope_id);
	if (ret == 0)
		ret = db_bind_int64(st, 3, limit);
	if (ret == 0)
		ret = db_bind_int64(st, 4, offset);
	if (ret == 0)
		ret = webhook_collect(st, out);
	db_stmt_free(st);
	return ret;
}

int webhook_count(struct db *db, enum webhook_scope scope, int64_t scope_id, int64_t *out)
{
	struct db_stmt *st = NULL;
	int ret = db_queryp(db, &st, "SELECT count(*) FROM webhooks WHERE scope = $1"
			    " AND (scope_id = $2 OR ($2 = 0 AND scope_id IS NULL))", "si",
			    scope_names[scope], scope_id);

	if (ret <= 0)
		return ret < 0 ? ret : ERR_INTERNAL;
	*out = db_col_int64(st, 0);
	db_stmt_free(st);
	return 0;
}

int webhook_list_for_project(struct db *db, int64_t project_id, int64_t namespace_id,
			     struct webhook_list *out)
{
	struct db_stmt *st = NULL;
	int ret = db_prepare(db, &st,
		"WITH RECURSIVE anc(id, parent_id) AS ("
		" SELECT id, parent_id FROM namespaces WHERE id = $2"
		" UNION ALL SELECT n.id, n.parent_id FROM namespaces n JOIN anc ON n.id = anc.parent_id)"
		" SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE permanently_disabled = 0 AND ("
		" (scope = 'project' AND scope_id = $1) OR"
		" (scope = 'group' AND scope_id IN (SELECT id FROM anc)) OR scope = 'system')"
		" ORDER BY id");

	if (ret == 0)
		ret = db_bind_int64(st, 1, project_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, namespace_id);
	if (ret == 0)
		ret = webhook_collect(st, out);
	db_stmt_free(st);
	return ret;
}

int webhook_branch_matches(const struct webhook *w, const char *branch)
{
	const char *filter = w->branch_filter;
	const char *strategy = w->branch_filter_strategy ? w->branch_filter_strategy : "wildcard";
	regex_t re;
	int ok;

	if (!strcmp(strategy, "all_branches") || !filter || !filter[0])
		return 1;
	if (!strcmp(strategy, "regex")) {
		/* Compiled per delivery: hooks are few, and a bad pattern
		 * (refused at creation) simply matches nothing. */
		if (regcomp(&re, filter, REG_EXTENDED | REG_NOSUB) != 0)
			return 0;
		ok = regexec(&re, branch, 0, NULL, 0) == 0;
		regfree(&re);
		return ok;
	}
	/* GitLab's wildcard filter: comma-separated names or '*' patterns. */
	for (const char *p = filter; *p;) {
		size_t n = strcspn(p, ",");
		struct buf one = BUF_INIT;

		buf_add(&one, p, n);
		ok = protected_branch_matches(one.ptr, branch);
		buf_release(&one);
		if (ok)
			return 1;
		p += n;
		p += *p == ',';
	}
	return 0;
}

int webhook_delivery_record(struct db *db, int64_t webhook_id, const struct webhook_delivery *d)
{
	return db_execp(db, "INSERT INTO webhook_deliveries (webhook_id, event, idempotency_key,"
			    " request_body, response_status, response_body, error, duration_ms,"
			    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", "isssIssii",
			webhook_id, d->event, d->idempotency_key, d->request_body,
			(int64_t)d->response_status, d->response_body, d->error, d->duration_ms,
			time_now_ms());
}

int webhook_delivery_list(struct db *db, int64_t webhook_id, int64_t limit,
			  struct webhook_delivery **out, size_t *n_out)
{
	struct webhook_delivery *d = NULL;
	struct db_stmt *st = NULL;
	size_t n = 0;
	int ret = db_prepare(db, &st, "SELECT id, event, idempotency_key, request_body,"
			     " response_status, response_body, error, duration_ms, created_at"
			     " FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2");

	if (ret == 0)
		ret = db_bind_int64(st, 1, webhook_id);
	if (ret == 0)
		ret = db_bind_int64(st, 2, limit);
	while (ret == 0 && (ret = db_step(st)) > 0) {
		d = xrealloc(d, (n + 1) * sizeof(*d));
		d[n].id = db_col_int64(st, 0);
		d[n].event = db_col_strdup(st, 1);
		d[n].idempotency_key = db_col_strdup(st, 2);
		d[n].request_body = db_col_strdup(st, 3);
		d[n].response_status = (int)db_col_int64(st, 4);
		d[n].response_body = db_col_strdup(st, 5);
		d[n].error = db_col_strdup(st, 6);
		d[n].duration_ms = db_col_int64(st, 7);
		d[n].created_at = db_col_int64(st, 8);
		n++;
		ret = 0;
	}
	db_stmt_free(st);
	if (ret < 0) {
		webhook_delivery_list_free(d, n);
		return ret;
	}
	*out = d;
	*n_out = n;
	return 0;
}

void webhook_delivery_list_free(struct webhook_delivery *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].event);
		free(d[i].idempotency_key);
		free(d[i].request_body);
		free(d[i].response_body);
		free(d[i].error);
	}
	free(d);
}

int webhook_note_result(struct db *db, int64_t id, int ok, int failures, int64_t disabled_until,
			int permanently)
{
	if (ok)
		return db_execp(db, "UPDATE webhooks SET recent_failures = 0, disabled_until = NULL"
				    " WHERE id = $1", "i", id);
	return db_execp(db, "UPDATE webhooks SET recent_failures = $1, disabled_until = $2,"
			    " permanently_disabled = $3 WHERE id = $4", "iIii", (int64_t)failures,
			disabled_until, (int64_t)(permanently != 0), id);
}

int webhook_reenable(struct db *db, int64_t id)
{
	return db_execp(db, "UPDATE webhooks SET recent_failures = 0, disabled_until = NULL,"
			    " permanently_disabled = 0 WHERE id = $1", "i", id);
}
