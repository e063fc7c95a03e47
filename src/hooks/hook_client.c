/* kura-hook: the pre-receive and post-receive git runs inside receive-pack,
 * as a program of its own that needs nothing but libc. It hands the ref
 * updates to the kura server that started git, over the local socket and
 * with the one-push token kura put in git's environment, and prints what
 * the server answers. Starting the whole kura binary instead (48 shared
 * libraries, libgit2's certificate store, a database connection) cost two
 * processes of ~15 ms CPU per push.
 *
 * When there is no server to ask (no socket or token in the environment,
 * or the socket refuses), it runs the full kura as the hook instead, with
 * the same name, arguments and untouched stdin: the previous behaviour.
 *
 * Request: "kura-hook 1\nname N\ntoken T\nquarantine Q\n\n" and then
 * receive-pack's stdin as it came. Answer: "<exit status>\n" and the text
 * for the client's "remote:" lines. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HOOK_CLIENT_MAX_ANSWER 65536

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A socket connected to name ("@x" is Linux's abstract namespace), or -1. */
static int connect_to(const char *name)
{
	struct sockaddr_un addr;
	size_t n = strlen(name);
	socklen_t len;
	int fd;

	if (n < 2 || n >= sizeof(addr.sun_path))
		return -1;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, name, n);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, len) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Sends the request and copies stdin after it; 0 or -1. */
static int send_request(int fd, const char *name, const char *token, const char *quarantine)
{
	char head[8192], chunk[65536];
	int len = snprintf(head, sizeof(head), "kura-hook 1\nname %s\ntoken %s\nquarantine %s\n\n",
			   name, token, quarantine ? quarantine : "");
	ssize_t n;

	if (len < 0 || (size_t)len >= sizeof(head) || write_all(fd, head, (size_t)len) < 0)
		return -1;
	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(fd, chunk, (size_t)n) < 0)
			return -1;
	}
	return shutdown(fd, SHUT_WR);
}

/* The exit status the server decided, after printing its text; -1 when
 * the answer is missing or malformed. */
static int read_answer(int fd)
{
	static char answer[HOOK_CLIENT_MAX_ANSWER];
	size_t len = 0;
	int status = 0;
	ssize_t n;
	char *nl;

	while (len < sizeof(answer) - 1 && (n = read(fd, answer + len, sizeof(answer) - 1 - len))) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		len += (size_t)n;
	}
	answer[len] = '\0';
	nl = memchr(answer, '\n', len);
	if (!nl || nl == answer || nl - answer > 3 || strspn(answer, "0123456789") != (size_t)(nl - answer))
		return -1;
	if (write_all(2, nl + 1, len - (size_t)(nl + 1 - answer)) < 0)
		return -1;
	for (const char *d = answer; d < nl; d++)	/* at most three digits, checked above */
		status = status * 10 + (*d - '0');
	return status > 255 ? -1 : status;
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 ? basename_of(argv[0]) : "";
	const char *sock = getenv("KURA_HOOK_SOCKET");
	const char *token = getenv("KURA_HOOK_TOKEN");
	const char *fallback = getenv("KURA_HOOK_BINARY");
	int fd, status;

	if (strcmp(name, "pre-receive") && strcmp(name, "post-receive")) {
		fprintf(stderr, "kura-hook: run by git as pre-receive or post-receive only\n");
		return 2;
	}
	fd = sock && token && strspn(token, "0123456789abcdef") == strlen(token) ?
	     connect_to(sock) : -1;
	if (fd < 0) {
		if (fallback && fallback[0] == '/')
			execv(fallback, argv);
		fprintf(stderr, "kura: this push cannot be checked right now; try again\n");
		return 1;
	}
	status = send_request(fd, name, token, getenv("GIT_OBJECT_DIRECTORY")) < 0 ? -1 :
		 read_answer(fd);
	close(fd);
	if (status < 0) {
		fprintf(stderr, "kura: this push cannot be checked right now; try again\n");
		return 1;
	}
	return status;
}
