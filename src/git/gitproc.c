#include "gitproc.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *git_binary;
static char *git_home;
static char *git_global_config;
static sem_t git_slots;
static atomic_int git_running;

int gitproc_active(void)
{
	return atomic_load(&git_running);
}

void gitproc_setup(const char *git_path, const char *home, const char *global_config,
		   int max_procs)
{
	git_binary = xstrdup(git_path);
	git_home = xstrdup(home);
	git_global_config = xstrdup(global_config);
	sem_init(&git_slots, 0, (unsigned)max_procs);
}

void gitproc_arg(struct gitproc *p, const char *literal)
{
	strvec_push(&p->args, literal);
}

void gitproc_arg_value(struct gitproc *p, const char *value)
{
	if (!value[0] || value[0] == '-')
		p->invalid_arg = 1;
	strvec_push(&p->args, value);
}

void gitproc_env(struct gitproc *p, const char *name, const char *value)
{
	strvec_pushf(&p->env, "%s=%s", name, value);
}

int gitproc_protocol_version(const char *header)
{
	size_t n = header ? strlen(header) : 0;
	int version = 0;

	if (n < 9 || n > 256 || strncmp(header, "version=", 8) ||
	    header[8] < '0' || header[8] > '2' || (header[9] && header[9] != ':'))
		return -1;
	if (strspn(header, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			   "=:._-") != n)
		return -1;
	/* git speaks the highest version the list names. */
	for (const char *p = header; p; p = strchr(p + 1, ':')) {
		const char *item = p == header ? p : p + 1;

		if (!strncmp(item, "version=", 8) && item[8] >= '0' && item[8] <= '2' &&
		    (!item[9] || item[9] == ':') && item[8] - '0' > version)
			version = item[8] - '0';
	}
	return version;
}

void gitproc_env_protocol(struct gitproc *p, const char *header)
{
	if (gitproc_protocol_version(header) >= 0)
		gitproc_env(p, "GIT_PROTOCOL", header);
}

/* The environment every git child gets, before the caller's additions. */
static void gitproc_base_env(struct strvec *env)
{
	strvec_push(env, "PATH=/usr/bin:/bin");
	strvec_pushf(env, "HOME=%s", git_home);
	strvec_push(env, "LC_ALL=C");
	strvec_push(env, "GIT_CONFIG_NOSYSTEM=1");
	strvec_pushf(env, "GIT_CONFIG_GLOBAL=%s", git_global_config);
	strvec_push(env, "GIT_TERMINAL_PROMPT=0");
	strvec_push(env, "GIT_NO_REPLACE_OBJECTS=1");
	strvec_push(env, "GIT_NO_LAZY_FETCH=1");
}

static int slot_acquire(int64_t wait_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (wait_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_timedwait(&git_slots, &ts) != 0) {
		if (errno != EINTR)
			return ERR_BUSY;
	}
	return 0;
}

/* In the child between fork and exec: only async-signal-safe calls. */
static _Noreturn void child_exec(pid_t parent, int in, int out, int err, int report, char **argv,
				 char **envp)
{
	sigset_t none;
	struct rlimit core = { 0, 0 };
	int e;

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	setpgid(0, 0);
	setrlimit(RLIMIT_CORE, &core);
	/* If kura dies (SIGKILL, OOM), git dies with it rather than finish a
	 * push nobody will report: the client saw a failure, so must the
	 * repository. The spawning thread always outlives the child. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)	/* it died before prctl took effect */
		_exit(127);
	/* Keep the error pipe as fd 3, CLOEXEC so that exec closes it. */
	if (report != 3) {
		if (dup2(report, 3) < 0)
			goto fail;
		report = 3;
	}
	fcntl(report, F_SETFD, FD_CLOEXEC);
	close_range(4, ~0U, 0);
	execve(argv[0], argv, envp);
fail:
	e = errno;
	if (write(report, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

int gitproc_start(struct gitproc *p, int64_t total_ms, int64_t wait_ms)
{
	struct strvec argv = STRVEC_INIT, envp = STRVEC_INIT;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int ret = ERR_INTERNAL, child_errno = 0;
	pid_t parent;
	ssize_t n;

	if (p->invalid_arg)
		return ERR_INVALID;
	if (slot_acquire(wait_ms) < 0)
		return ERR_BUSY;
	p->slot_held = 1;
	atomic_fetch_add(&git_running, 1);
	/* Everything the child needs is built before fork. */
	strvec_push(&argv, git_binary);
	for (size_t i = 0; i < p->args.nr; i++)
		strvec_push(&argv, p->args.v[i]);
	gitproc_base_env(&envp);
	for (size_t i = 0; i < p->env.nr; i++)
		strvec_push(&envp, p->env.v[i]);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
	    pipe2(rep, O_CLOEXEC))
		goto out;
	parent = getpid();
	p->pid = fork();
	if (p->pid < 0)
		goto out;
	if (p->pid == 0)
		child_exec(parent, in[0], out[1], err[1], rep[1], argv.v, envp.v);
	close(rep[1]);
	rep[1] = -1;
	/* The report pipe closes on exec: EOF means git is running. */
	do {
		n = read(rep[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	if (n == sizeof(child_errno)) {
		log_error("gitproc", "exec failed path=%s errno=%d", git_binary, child_errno);
		waitpid(p->pid, NULL, 0);
		p->pid = -1;
		goto out;
	}
	p->in_fd = in[1];
	p->out_fd = out[0];
	p->err_fd = err[0];
	in[1] = out[0] = err[0] = -1;
	p->last_io_ms = time_mono_ms();
	p->deadline_ms = p->last_io_ms + total_ms;
	p->idle_ms = LIMIT_GIT_IDLE_MS;
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) close(in[i]);
		if (out[i] >= 0) close(out[i]);
		if (err[i] >= 0) close(err[i]);
		if (rep[i] >= 0) close(rep[i]);
	}
	strvec_release(&argv);
	strvec_release(&envp);
	return ret;
}

/* Reads what stderr has, keeping the first LIMIT_GIT_STDERR bytes. */
static void drain_stderr(struct gitproc *p)
{
	char chunk[4096];
	ssize_t n = read(p->err_fd, chunk, sizeof(chunk));

	if (n > 0) {
		size_t room = p->err.max > p->err.len ? p->err.max - p->err.len : 0;

		buf_add(&p->err, chunk, (size_t)n < room ? (size_t)n : room);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(p->err_fd);
		p->err_fd = -1;
	}
}

/* Waits for one of the wanted events; ERR_UNAVAILABLE on a deadline. */
static int wait_io(struct gitproc *p, int want_in, int want_out, short *in_ev, short *out_ev)
{
	for (;;) {
		struct pollfd fds[4];
		int64_t now = time_mono_ms();
		int64_t limit = p->deadline_ms < p->last_io_ms + p->idle_ms ?
				p->deadline_ms : p->last_io_ms + p->idle_ms;
		int nfds = 0, in_i = -1, out_i = -1, err_i = -1, watch_i = -1, rc;

		if (now >= limit) {
			log_warn("gitproc", "timeout pid=%d", (int)p->pid);
			return ERR_UNAVAILABLE;
		}
		if (want_in) {
			fds[nfds] = (struct pollfd){ p->in_fd, POLLOUT, 0 };
			in_i = nfds++;
		}
		if (want_out && p->out_fd >= 0) {
			fds[nfds] = (struct pollfd){ p->out_fd, POLLIN, 0 };
			out_i = nfds++;
		}
		if (p->err_fd >= 0) {
			fds[nfds] = (struct pollfd){ p->err_fd, POLLIN, 0 };
			err_i = nfds++;
		}
		if (nfds == 0)
			return 0;
		/* While git thinks (a large pack can take seconds before its first
		 * byte) a client that hangs up is noticed here, not at the next write. */
		if (p->watch_fd >= 0) {
			fds[nfds] = (struct pollfd){ p->watch_fd, POLLRDHUP, 0 };
			watch_i = nfds++;
		}
		rc = poll(fds, (nfds_t)nfds, (int)(limit - now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return ERR_INTERNAL;
		if (err_i >= 0 && fds[err_i].revents)
			drain_stderr(p);
		if (watch_i >= 0 && (fds[watch_i].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			log_info("gitproc", "client hung up pid=%d", (int)p->pid);
			return ERR_UNAVAILABLE;
		}
		*in_ev = in_i >= 0 ? fds[in_i].revents : 0;
		*out_ev = out_i >= 0 ? fds[out_i].revents : 0;
		if (*in_ev || *out_ev)
			return 0;
	}
}

int gitproc_write(struct gitproc *p, const void *data, size_t n)
{
	const char *d = data;

	while (n > 0) {
		short in_ev = 0, out_ev = 0;
		int ret;

		if (p->in_fd < 0)
			return ERR_UNAVAILABLE;
		ret = wait_io(p, 1, 1, &in_ev, &out_ev);
		if (ret < 0)
			return ret;
		if (out_ev) {
			/* git answers before reading everything (progress, an
			 * early error): keep it, bounded, for the response. */
			char chunk[8192];
			ssize_t r = read(p->out_fd, chunk, sizeof(chunk));

			if (r > 0)
				buf_add(&p->spill, chunk, (size_t)r);
			if (buf_error(&p->spill))
				return ERR_TOOBIG;
			if (r == 0) {
				close(p->out_fd);
				p->out_fd = -1;
			}
		}
		if (in_ev & (POLLERR | POLLHUP))
			return ERR_UNAVAILABLE;
		if (in_ev & POLLOUT) {
			ssize_t w = write(p->in_fd, d, n);

			if (w < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (w < 0)
				return ERR_UNAVAILABLE;
			d += w;
			n -= (size_t)w;
			p->last_io_ms = time_mono_ms();
		}
	}
	return 0;
}

void gitproc_close_stdin(struct gitproc *p)
{
	if (p->in_fd >= 0) {
		close(p->in_fd);
		p->in_fd = -1;
	}
}

ssize_t gitproc_read(struct gitproc *p, void *out, size_t max)
{
	if (p->spill_off < p->spill.len) {
		size_t n = p->spill.len - p->spill_off;

		if (n > max)
			n = max;
		memcpy(out, p->spill.ptr + p->spill_off, n);
		p->spill_off += n;
		return (ssize_t)n;
	}
	while (p->out_fd >= 0) {
		short in_ev = 0, out_ev = 0;
		ssize_t r;
		int ret = wait_io(p, 0, 1, &in_ev, &out_ev);

		if (ret < 0)
			return ret;
		if (!out_ev)
			continue;
		r = read(p->out_fd, out, max);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			close(p->out_fd);
			p->out_fd = -1;
			return r < 0 ? ERR_INTERNAL : 0;
		}
		p->last_io_ms = time_mono_ms();
		return r;
	}
	return 0;
}

static void gitproc_close_fds(struct gitproc *p)
{
	gitproc_close_stdin(p);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->out_fd = p->err_fd = -1;
}

static void gitproc_log_stderr(struct gitproc *p)
{
	if (p->err.len)
		log_info("gitproc", "stderr pid=%d text=\"%.*s\"", (int)p->pid,
			 (int)(p->err.len > 2048 ? 2048 : p->err.len), p->err.ptr);
}

int gitproc_finish(struct gitproc *p)
{
	int status = 0;

	/* Output nobody reads any more must not block git's exit. */
	gitproc_close_stdin(p);
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	while (p->err_fd >= 0) {
		short a, b;

		if (wait_io(p, 0, 0, &a, &b) < 0)
			break;
	}
	gitproc_close_fds(p);
	if (p->pid > 0 && !p->exited) {
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		p->exited = 1;
		p->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	if (p->exit_code != 0) {
		log_warn("gitproc", "exited pid=%d code=%d", (int)p->pid, p->exit_code);
		gitproc_log_stderr(p);
	}
	return p->exit_code == 0 ? 0 : ERR_INTERNAL;
}

void gitproc_release(struct gitproc *p)
{
	gitproc_close_fds(p);
	if (p->pid > 0 && !p->exited) {
		/* The client went away or we gave up: take the whole group,
		 * including pack-objects children, and reap. */
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->exited = 1;
		log_info("gitproc", "killed pid=%d", (int)p->pid);
	}
	if (p->slot_held) {
		sem_post(&git_slots);
		atomic_fetch_sub(&git_running, 1);
		p->slot_held = 0;
	}
	strvec_release(&p->args);
	strvec_release(&p->env);
	buf_release(&p->err);
	buf_release(&p->spill);
	p->pid = -1;
}

int gitproc_run(struct gitproc *p, struct buf *out, int64_t total_ms)
{
	char chunk[8192];
	ssize_t n;
	int ret = gitproc_start(p, total_ms, total_ms);

	if (ret < 0)
		return ret;
	gitproc_close_stdin(p);
	while ((n = gitproc_read(p, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)n);
	if (n < 0)
		return (int)n;
	ret = gitproc_finish(p);
	return ret == 0 ? buf_error(out) : ret;
}
