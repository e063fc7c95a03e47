/* kura serve: first-start bootstrap, the HTTP server, graceful shutdown. */
#include "cli.h"
#include "app.h"
#include "routes.h"
#include "auth/password.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "db/db.h"
#include "git/repo_read.h"
#include "git/repo_store.h"
#include "hooks/hook_service.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "jobs/queue.h"
#include "ops/metrics.h"
#include "model/user.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_secret_file(const char *path, const char *secret)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t n = strlen(secret);
	int ok;

	if (fd < 0)
		return ERR_UNAVAILABLE;
	ok = write(fd, secret, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	close(fd);
	return ok ? 0 : ERR_UNAVAILABLE;
}

/* The first start creates the administrator "root" with a random password
 * written to DATA/initial_root_password (0600); the log says where only. */
static int bootstrap_root(struct app *app)
{
	struct buf pw = BUF_INIT, path = BUF_INIT, err = BUF_INIT_MAX(512);
	struct user_req req = { "root", "root@localhost", "Administrator", NULL, 1 };
	struct db *db = db_get(app->pool);
	int64_t count = 0, id = 0;
	int ret;

	ret = db ? user_count(db, &count) : ERR_UNAVAILABLE;
	if (ret < 0 || count > 0)
		goto out;
	password_random(&pw);
	req.password = pw.ptr;
	ret = user_create(db, &req, &id, &err);
	if (ret == ERR_EXISTS) {	/* another node won the race */
		ret = 0;
		goto out;
	}
	if (ret < 0)
		goto out;
	buf_addf(&path, "%s/initial_root_password", app->cfg.data_dir);
	unlink(path.ptr);
	ret = write_secret_file(path.ptr, pw.ptr);
	if (ret == 0)
		log_info("serve", "created user=root initial_password_file=%s", path.ptr);
	else
		log_error("serve", "cannot write %s: %s", path.ptr, strerror(errno));
out:
	if (ret < 0 && !err.len)
		log_error("serve", "first-start bootstrap failed: %s", err_name(ret));
	db_put(app->pool, db);
	sodium_memzero(pw.ptr, pw.len);
	buf_release(&pw);
	buf_release(&path);
	buf_release(&err);
	return ret;
}

int cli_serve(struct app *app)
{
	struct http_server_opts opts = { 0 };
	struct http_server *srv = NULL;
	struct buf err = BUF_INIT_MAX(512);
	sigset_t set;
	int sig = 0;

	if (bootstrap_root(app) < 0)
		return 1;
	if (jobs_init(&app->cfg, &err) < 0) {
		fprintf(stderr, "kura: outbound_allow_cidrs: %s\n", err.ptr);
		buf_release(&err);
		return EXIT_USAGE;
	}
	jobs_register_all();
	if (metrics_init(&app->cfg, &err) < 0) {
		fprintf(stderr, "kura: metrics_allow_cidrs: %s\n", err.ptr);
		buf_release(&err);
		return EXIT_USAGE;
	}
	if (repo_store_install_hooks() < 0) {
		fprintf(stderr, "kura: cannot install git hooks in %s\n", repo_store_hooks_dir());
		return EXIT_USAGE;
	}
	/* Block the stop signals in every thread; this one waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	opts.host = app->cfg.listen_host;
	opts.port = app->cfg.listen_port;
	opts.external_url = app->cfg.external_url;
	opts.routes = routes_all();
	opts.app = app;
	opts.on_complete = metrics_observe;
	if (http_server_start(&srv, &opts, &err) < 0) {
		fprintf(stderr, "kura: %s\n", err.ptr);
		buf_release(&err);
		return EXIT_USAGE;
	}
	queue_workers_start(app->pool, JOB_WORKERS);
	(void)hook_service_start(app->pool);	/* without it, hooks start kura each */
	log_info("serve", "listening address=%s:%u external_url=%s", app->cfg.listen_host,
		 app->cfg.listen_port, app->cfg.external_url);
	/* Between signals, once a second: let go of repositories kept open
	 * for requests that have stopped coming, and once no request runs,
	 * give the memory a burst of connection threads freed back to the
	 * system (glibc keeps it in per-thread arenas otherwise). */
	while ((sig = sigtimedwait(&set, NULL, &(struct timespec){ 1, 0 })) < 0) {
		repo_pool_sweep();
		if (http_server_active(srv) == 0)
			malloc_trim(0);
	}
	log_info("serve", "stopping signal=%d in_flight=%d", sig, http_server_active(srv));
	http_server_stop(srv, LIMIT_SHUTDOWN_MS);
	hook_service_stop();
	queue_workers_stop();
	jobs_release();
	metrics_release();
	log_info("serve", "stopped");
	buf_release(&err);
	return 0;
}
