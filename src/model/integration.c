#include "integration.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int integration_branches_valid(const char *s)
{
	static const char *const words[] = { "all", "default", "protected",
					     "default_and_protected" };

	for (size_t i = 0; s && i < sizeof(words) / sizeof(*words); i++)
		if (!strcmp(s, words[i]))
			return 1;
	return 0;
}

static struct emails_on_push *eop_from_row(struct db_stmt *st)
{
	struct emails_on_push *e = xcalloc(1, sizeof(*e));
	json_t *props = json_loads(db_col_text(st, 3), 0, NULL);
	const char *recipients = NULL, *branches = NULL;
	int disable_diffs = 0, from_committer = 0;

	e->id = db_col_int64(st, 0);
	e->project_id = db_col_int64(st, 1);
	e->active = db_col_int64(st, 2) != 0;
	/* Missing keys keep the defaults: rows written by an older kura. */
	if (props)
		(void)json_unpack(props, "{s?s, s?b, s?b, s?s}", "recipients", &recipients,
				  "disable_diffs", &disable_diffs, "send_from_committer_email",
				  &from_committer, "branches_to_be_notified", &branches);
	e->recipients = xstrdup(recipients ? recipients : "");
	e->branches = xstrdup(integration_branches_valid(branches) ? branches : "all");
	e->disable_diffs = disable_diffs;
	e->send_from_committer_email = from_committer;
	e->created_at = db_col_int64(st, 4);
	e->updated_at = db_col_int64(st, 5);
	json_decref(props);
	return e;
}

int integration_eop_find(struct db *db, int64_t project_id, struct emails_on_push **out)
{
	struct db_stmt *st = NULL;
	int ret;

	ret = db_queryp(db, &st, "SELECT id, project_id, active, properties, created_at, updated_at"
			" FROM project_integrations WHERE project_id = $1 AND kind = $2", "is",
			project_id, INTEGRATION_EMAILS_ON_PUSH);
	if (ret == 1) {
		*out = eop_from_row(st);
		ret = 0;
	} else if (ret == 0) {
		ret = ERR_NOTFOUND;
	}
	db_stmt_free(st);
	return ret;
}

int integration_eop_save(struct db *db, const struct emails_on_push *in, struct buf *err)
{
	json_t *props;
	char *text;
	int64_t now = time_now_ms();
	int ret;

	if (!integration_branches_valid(in->branches)) {
		buf_addstr(err, "branches_to_be_notified does not have a valid value");
		return ERR_INVALID;
	}
	if (!in->recipients || strlen(in->recipients) > INTEGRATION_RECIPIENTS_MAX) {
		buf_addstr(err, "recipients is too long");
		return ERR_INVALID;
	}
	props = json_pack("{s:s, s:b, s:b, s:s}", "recipients", in->recipients, "disable_diffs",
			  in->disable_diffs, "send_from_committer_email",
			  in->send_from_committer_email, "branches_to_be_notified", in->branches);
	text = props ? json_dumps(props, JSON_COMPACT) : NULL;
	json_decref(props);
	if (!text) {
		buf_addstr(err, "recipients is not valid UTF-8");
		return ERR_INVALID;
	}
	ret = db_execp(db, "INSERT INTO project_integrations (project_id, kind, active, properties,"
			   " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)"
			   " ON CONFLICT (project_id, kind) DO UPDATE SET active = $3,"
			   " properties = $4, updated_at = $5", "isisi", in->project_id,
		       INTEGRATION_EMAILS_ON_PUSH, (int64_t)(in->active != 0), text, now);
	free(text);
	return ret;
}

int integration_eop_delete(struct db *db, int64_t project_id)
{
	return db_execp(db, "DELETE FROM project_integrations WHERE project_id = $1 AND kind = $2",
			"is", project_id, INTEGRATION_EMAILS_ON_PUSH);
}

void integration_eop_free(struct emails_on_push *e)
{
	if (!e)
		return;
	free(e->recipients);
	free(e->branches);
	free(e);
}
