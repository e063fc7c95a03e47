#include "cli.h"
#include "app.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "db/db.h"
#include "git/gitproc.h"
#include "git/repo_read.h"
#include "git/repo_store.h"
#include "core/limits.h"

#include <git2.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Connections per process: enough for the handler threads that touch the
 * database at once; SQLite serialises writers anyway. */
#define DB_POOL_SIZE 16

int cli_app_open(struct app *app, const char *config_file)
{
	struct buf err = BUF_INIT_MAX(1024);
	struct db *db;
	int ret;

	memset(app, 0, sizeof(*app));
	/* Repositories, the database and secrets are the service's alone. */
	umask(077);
	if (sodium_init() < 0) {
		fprintf(stderr, "kura: libsodium failed to initialise\n");
		return 1;
	}
	git_libgit2_init();
	ret = config_load(&app->cfg, config_file, &err);
	if (ret == 0)
		ret = repo_store_init(app->cfg.data_dir, &err);
	if (ret == 0)
		repo_store_isolate_libgit2();
	if (ret == 0)
		gitproc_setup(app->cfg.git_path, repo_store_home(), repo_store_gitconfig(),
			      LIMIT_GIT_PROCS);
	if (ret == 0)
		ret = db_pool_open(&app->pool, app->cfg.database_url, DB_POOL_SIZE, &err);
	if (ret == 0) {
		db = db_get(app->pool);
		ret = db ? db_migrate(db, &err) : -1;
		db_put(app->pool, db);
	}
	if (ret < 0) {
		fprintf(stderr, "kura: %s\n", err.len ? err.ptr : "start-up failed");
		buf_release(&err);
		cli_app_close(app);
		return EXIT_USAGE;
	}
	buf_release(&err);
	return 0;
}

void cli_app_close(struct app *app)
{
	db_pool_free(app->pool);
	app->pool = NULL;
	config_release(&app->cfg);
	repo_pool_drain();
	git_libgit2_shutdown();
}
