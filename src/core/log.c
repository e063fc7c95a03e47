#include "log.h"
#include "buf.h"
#include "err.h"
#include "timeutil.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

static enum log_level log_threshold = LOG_INFO;
static int log_fd = STDOUT_FILENO;
static _Thread_local char log_rid[64];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_fd(int fd)
{
	log_fd = fd;
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (!strcmp(name, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return ERR_INVALID;
}

void log_set_request_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n >= sizeof(log_rid))
		n = sizeof(log_rid) - 1;
	memcpy(log_rid, id ? id : "", n);
	log_rid[n] = '\0';
}

const char *log_request_id(void)
{
	return log_rid;
}

void log_write_line(const char *json, size_t len)
{
	/* One write per line keeps lines whole when threads log at once. */
	while (len > 0) {
		ssize_t n = write(log_fd, json, len);

		if (n <= 0)
			return;
		json += n;
		len -= (size_t)n;
	}
}

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
{
	struct buf msg = BUF_INIT_MAX(8192);
	struct buf line = BUF_INIT_MAX(16384);
	char when[40];
	va_list ap;

	if (level < log_threshold)
		return;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	time_format_iso8601(when, sizeof(when), time_now_ms());
	buf_addf(&line, "{\"time\":\"%s\",\"level\":\"%s\"", when, level_names[level]);
	if (log_rid[0])
		buf_addf(&line, ",\"request_id\":\"%s\"", log_rid);
	buf_addstr(&line, ",\"component\":\"");
	buf_add_quoted(&line, component, strlen(component), 64);
	buf_addstr(&line, "\",\"msg\":\"");
	buf_add_quoted(&line, msg.ptr, msg.len, 4096);
	buf_addstr(&line, "\"}\n");
	log_write_line(line.ptr, line.len);
	buf_release(&msg);
	buf_release(&line);
}
