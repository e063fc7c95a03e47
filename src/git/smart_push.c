#include "smart_push.h"
#include "app.h"
#include "repo_store.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "db/db.h"
#include "model/project.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

static int branch_exists(git_repository *repo, const char *branch)
{
	git_reference *ref = NULL;
	int ok = git_branch_lookup(&ref, repo, branch, GIT_BRANCH_LOCAL) == 0;

	git_reference_free(ref);
	return ok;
}

/* GitLab's choice for an empty repository's first push: the configured
 * default if it was pushed, else main, else master, else any branch. */
static char *pick_default_branch(git_repository *repo, const char *configured)
{
	static const char *const preferred[] = { "main", "master" };
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	const char *name = NULL;
	char *chosen = NULL;

	if (configured && branch_exists(repo, configured))
		return strdup(configured);
	for (size_t i = 0; i < 2; i++)
		if (branch_exists(repo, preferred[i]))
			return strdup(preferred[i]);
	if (git_branch_iterator_new(&it, repo, GIT_BRANCH_LOCAL) < 0)
		return NULL;
	if (git_branch_next(&ref, &type, it) == 0 && git_branch_name(&name, ref) == 0)
		chosen = strdup(name);
	git_reference_free(ref);
	git_branch_iterator_free(it);
	return chosen;
}

static void fix_unborn_head(struct db *db, const struct project *p)
{
	git_repository *repo = NULL;
	struct buf path = BUF_INIT, head = BUF_INIT;
	char *branch = NULL;

	repo_store_path(&path, p->id);
	if (git_repository_open_bare(&repo, path.ptr) < 0)
		goto out;
	if (git_repository_head_unborn(repo) != 1) {
		/* HEAD is fine; still name it if the project has no default yet. */
		git_reference *h = NULL;

		if (!p->default_branch && git_repository_head(&h, repo) == 0 &&
		    git_reference_is_branch(h))
			project_set_default_branch(db, p->id, git_reference_shorthand(h));
		git_reference_free(h);
		goto out;
	}
	branch = pick_default_branch(repo, p->default_branch);
	if (!branch)
		goto out;	/* only tags were pushed */
	buf_addf(&head, "refs/heads/%s", branch);
	if (git_repository_set_head(repo, head.ptr) < 0) {
		const git_error *e = git_error_last();

		log_warn("git_http", "set HEAD failed project_id=%lld error=\"%s\"",
			 (long long)p->id, e ? e->message : "unknown");
		goto out;
	}
	if (!p->default_branch || strcmp(p->default_branch, branch))
		project_set_default_branch(db, p->id, branch);
	log_info("git_http", "default branch set project_id=%lld branch=\"%s\"",
		 (long long)p->id, branch);
out:
	free(branch);
	git_repository_free(repo);
	buf_release(&path);
	buf_release(&head);
}

void smart_push_after(struct app *app, int64_t project_id)
{
	struct db *db = db_get(app->pool);
	struct project *p = NULL;

	if (!db)
		return;
	if (project_find(db, project_id, &p) == 0) {
		fix_unborn_head(db, p);
		project_touch_activity(db, project_id);
	}
	project_free(p);
	db_put(app->pool, db);
}
