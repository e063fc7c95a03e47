/* Running git as a child process, safely: an argv array executed without a
 * shell or PATH search, an environment built from an allow-list, every fd
 * CLOEXEC, its own process group, bounded stderr, idle and total deadlines,
 * and a cap on how many run at once. The parent streams stdin and stdout. */
#ifndef KURA_GITPROC_H
#define KURA_GITPROC_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/strvec.h"

struct gitproc {
	struct strvec args;	/* after the git binary itself */
	struct strvec env;	/* NAME=value, allow-listed */
	pid_t pid;
	int in_fd, out_fd, err_fd;	/* parent's ends; -1 when closed */
	struct buf err;		/* first LIMIT_GIT_STDERR bytes of stderr */
	struct buf spill;	/* stdout read while we were still writing stdin */
	size_t spill_off;
	int64_t deadline_ms, idle_ms, last_io_ms;
	int exited, exit_code, slot_held, invalid_arg;
	int watch_fd;		/* the client's socket: its hang-up ends the wait; -1 none */
};

#define GITPROC_INIT { STRVEC_INIT, STRVEC_INIT, -1, -1, -1, -1, BUF_INIT_MAX(16384), \
		       BUF_INIT_MAX(1024 * 1024), 0, 0, 0, 0, 0, 0, 0, 0, -1 }

/* Configures the binary, environment base and concurrency cap; once. */
void gitproc_setup(const char *git_path, const char *home, const char *global_config,
		   int max_procs);

/* A literal argument (never client data). */
void gitproc_arg(struct gitproc *p, const char *literal);
/* A value that may come from elsewhere: refuses empty and leading '-' (the
 * start then fails with ERR_INVALID). Put it after --end-of-options too. */
void gitproc_arg_value(struct gitproc *p, const char *value);
/* Adds NAME=value to the child's environment (trusted values only). */
void gitproc_env(struct gitproc *p, const char *name, const char *value);
/* GIT_PROTOCOL from a client's Git-Protocol header: kept only when it is
 * version=0|1|2 with optional ':key=value' parts of tame characters. */
void gitproc_env_protocol(struct gitproc *p, const char *header);
/* The protocol version such a header asks for, or -1 when it is refused. */
int gitproc_protocol_version(const char *header);

/* Starts the child. ERR_BUSY when the concurrency cap stays full for
 * wait_ms, ERR_INVALID for a refused argument, ERR_INTERNAL otherwise. */
int gitproc_start(struct gitproc *p, int64_t total_ms, int64_t wait_ms);
/* Writes all of data to stdin, draining stdout into a bounded spill and
 * stderr. ERR_UNAVAILABLE when the child stopped reading or timed out. */
int gitproc_write(struct gitproc *p, const void *data, size_t n);
void gitproc_close_stdin(struct gitproc *p);
/* Reads stdout: bytes read, 0 at end of output, or a negative code. */
ssize_t gitproc_read(struct gitproc *p, void *out, size_t max);
/* Closes pipes and reaps; 0 when git exited 0, else ERR_INTERNAL. */
int gitproc_finish(struct gitproc *p);
/* Kills the process group (if running), reaps, frees everything. */
void gitproc_release(struct gitproc *p);

/* git children running now (for metrics). */
int gitproc_active(void);

/* Runs git to completion with no stdin, collecting stdout (bounded) — for
 * small maintenance commands. 0 when it exited 0. */
int gitproc_run(struct gitproc *p, struct buf *out, int64_t total_ms);

#endif
