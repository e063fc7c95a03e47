#include "hook_service.h"
#include "hook.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "db/db.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define HOOK_TOKEN_BYTES 32
#define HOOK_SERVICE_MAX_RUNNING 64	/* hook runs at once; more wait in the backlog */
#define HOOK_SERVICE_IO_SECONDS 60	/* a silent client is dropped after this */
#define HOOK_HEADER_MAX 8192

/* A push in flight: the token its git children carry, and who pushes. */
struct hook_push {
	char token[2 * HOOK_TOKEN_BYTES + 1];
	struct hook_context ctx;
	struct hook_push *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct db_pool *pool;
	struct hook_push *pushes;
	char name[64];		/* "@kura-hooks-…": Linux's abstract namespace */
	int fd;
	int running, stopping;
	pthread_t acceptor;
} svc = { .lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER, .fd = -1 };

const char *hook_service_socket(void)
{
	return svc.fd >= 0 ? svc.name : NULL;
}

int hook_service_register(const struct hook_context *ctx, char *token_out, size_t size)
{
	unsigned char raw[HOOK_TOKEN_BYTES];
	struct hook_push *p;

	if (svc.fd < 0 || size < sizeof(p->token))
		return ERR_UNAVAILABLE;
	p = xcalloc(1, sizeof(*p));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(p->token, sizeof(p->token), raw, sizeof(raw));
	p->ctx = *ctx;
	memcpy(token_out, p->token, sizeof(p->token));
	pthread_mutex_lock(&svc.lock);
	p->next = svc.pushes;
	svc.pushes = p;
	pthread_mutex_unlock(&svc.lock);
	return 0;
}

void hook_service_unregister(const char *token)
{
	struct hook_push **pp, *gone = NULL;

	pthread_mutex_lock(&svc.lock);
	for (pp = &svc.pushes; *pp; pp = &(*pp)->next) {
		if (!strcmp((*pp)->token, token)) {
			gone = *pp;
			*pp = gone->next;
			break;
		}
	}
	pthread_mutex_unlock(&svc.lock);
	free(gone);
}

/* The context of a registered token, compared in constant time. */
static int hook_service_lookup(const char *token, struct hook_context *out)
{
	int found = 0;

	if (strlen(token) != 2 * HOOK_TOKEN_BYTES)
		return ERR_AUTH;
	pthread_mutex_lock(&svc.lock);
	for (struct hook_push *p = svc.pushes; p; p = p->next) {
		if (sodium_memcmp(p->token, token, 2 * HOOK_TOKEN_BYTES) == 0) {
			*out = p->ctx;
			found = 1;
		}
	}
	pthread_mutex_unlock(&svc.lock);
	return found ? 0 : ERR_AUTH;
}

static int read_request(int fd, struct buf *in)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ERR_INVALID;	/* includes the I/O timeout */
		buf_add(in, chunk, (size_t)n);
		if (buf_error(in))
			return ERR_TOOBIG;
	}
	return 0;
}

/* "key value\n" at *p, for the expected key; the value is NUL-terminated in place. */
static char *header_field(char **p, const char *key)
{
	size_t klen = strlen(key);
	char *nl = strchr(*p, '\n'), *value;

	if (!nl || strncmp(*p, key, klen) || (*p)[klen] != ' ')
		return NULL;
	*nl = '\0';
	value = *p + klen + 1;
	*p = nl + 1;
	return value;
}

/* Parses the request and runs the hook; the exit status for the client. */
static int hook_service_run(struct buf *in, struct buf *msg)
{
	struct hook_context ctx;
	char *end = memmem(in->ptr, in->len, "\n\n", 2);
	char *p = in->ptr, *name, *token, *quarantine;
	struct db *db;
	int status;

	if (!end || end - in->ptr > HOOK_HEADER_MAX || strncmp(p, "kura-hook 1\n", 12) ||
	    memchr(in->ptr, '\0', (size_t)(end - in->ptr)))
		goto malformed;
	end[1] = '\0';		/* the header ends at the first blank line */
	p += 12;
	name = header_field(&p, "name");
	token = name ? header_field(&p, "token") : NULL;
	quarantine = token ? header_field(&p, "quarantine") : NULL;
	if (!quarantine || !hook_is_hook_name(name))
		goto malformed;
	if (hook_service_lookup(token, &ctx) < 0) {
		log_warn("hooks", "hook call with an unknown token refused");
		buf_addstr(msg, "kura: this push cannot be checked right now; try again\n");
		return 1;
	}
	db = db_get(svc.pool);
	if (!db) {
		buf_addstr(msg, "kura: this push cannot be checked right now; try again\n");
		return 1;
	}
	status = hook_run(name, db, &ctx, quarantine[0] ? quarantine : NULL, end + 2,
			  in->len - (size_t)(end + 2 - in->ptr), msg);
	db_put(svc.pool, db);
	return status;
malformed:
	log_warn("hooks", "malformed hook call refused");
	buf_addstr(msg, "kura: malformed hook call\n");
	return 1;
}

static int peer_is_us(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == getuid();
}

static void *hook_service_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct buf in = BUF_INIT_MAX(HOOK_HEADER_MAX + HOOK_MAX_INPUT), msg = BUF_INIT_MAX(65000);
	struct buf answer = BUF_INIT;
	struct timeval tv = { HOOK_SERVICE_IO_SECONDS, 0 };
	int status = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!peer_is_us(fd))
		buf_addstr(&msg, "kura: hook call refused\n");
	else if (read_request(fd, &in) < 0)
		buf_addstr(&msg, "kura: malformed hook call\n");
	else
		status = hook_service_run(&in, &msg);
	buf_addf(&answer, "%d\n", status);
	buf_add(&answer, msg.ptr, msg.len);
	(void)!send(fd, answer.ptr, answer.len, MSG_NOSIGNAL);
	close(fd);
	buf_release(&in);
	buf_release(&msg);
	buf_release(&answer);
	pthread_mutex_lock(&svc.lock);
	svc.running--;
	pthread_cond_broadcast(&svc.idle);
	pthread_mutex_unlock(&svc.lock);
	return NULL;
}

static void *hook_service_accept(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_attr_t attr;
		pthread_t t;
		int fd = accept4(svc.fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (svc.stopping)
				return NULL;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			usleep(10 * 1000);	/* out of descriptors: let some close */
			continue;
		}
		pthread_mutex_lock(&svc.lock);
		while (svc.running >= HOOK_SERVICE_MAX_RUNNING && !svc.stopping)
			pthread_cond_wait(&svc.idle, &svc.lock);
		svc.running++;
		pthread_mutex_unlock(&svc.lock);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, hook_service_conn, (void *)(intptr_t)fd) != 0) {
			close(fd);
			pthread_mutex_lock(&svc.lock);
			svc.running--;
			pthread_mutex_unlock(&svc.lock);
		}
		pthread_attr_destroy(&attr);
	}
}

int hook_service_start(struct db_pool *pool)
{
	struct sockaddr_un addr;
	unsigned char raw[8];
	char hex[17];
	socklen_t len;

	svc.pool = pool;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(svc.name, sizeof(svc.name), "@kura-hooks-%ld-%s", (long)getpid(), hex);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path + 1, svc.name + 1, strlen(svc.name) - 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(svc.name));
	svc.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (svc.fd < 0 || bind(svc.fd, (struct sockaddr *)&addr, len) != 0 ||
	    listen(svc.fd, 128) != 0 || pthread_create(&svc.acceptor, NULL, hook_service_accept,
						       NULL) != 0) {
		log_warn("hooks", "hook service unavailable (%s): hooks start kura each",
			 strerror(errno));
		if (svc.fd >= 0)
			close(svc.fd);
		svc.fd = -1;
		return ERR_UNAVAILABLE;
	}
	log_info("hooks", "hook service listening socket=%s", svc.name);
	return 0;
}

void hook_service_stop(void)
{
	if (svc.fd < 0)
		return;
	svc.stopping = 1;
	shutdown(svc.fd, SHUT_RDWR);
	pthread_join(svc.acceptor, NULL);
	close(svc.fd);
	svc.fd = -1;
	/* Hook runs in flight hold database connections: wait for them. */
	pthread_mutex_lock(&svc.lock);
	pthread_cond_broadcast(&svc.idle);
	while (svc.running > 0)
		pthread_cond_wait(&svc.idle, &svc.lock);
	while (svc.pushes) {
		struct hook_push *next = svc.pushes->next;

		free(svc.pushes);
		svc.pushes = next;
	}
	pthread_mutex_unlock(&svc.lock);
}
