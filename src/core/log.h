/* One JSON object per line on stdout: {time, level, request_id, component, msg}.
 * Facts go into msg as snake_case key=value. Client data is passed through
 * log_quote-style escaping by the JSON writer; never log secrets. */
#ifndef KURA_LOG_H
#define KURA_LOG_H
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Where lines go: stdout for the server (its log stream); command-line tools
 * send them to stderr, keeping stdout for their answer (a token, a list). */
void log_set_fd(int fd);
/* 0, or ERR_INVALID for a name other than debug|info|warn|error. */
int log_level_parse(const char *name, enum log_level *out);
/* The request id attached to lines logged from this thread (NULL clears). */
void log_set_request_id(const char *id);
const char *log_request_id(void);

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(c, ...) log_msg(LOG_DEBUG, c, __VA_ARGS__)
#define log_info(c, ...) log_msg(LOG_INFO, c, __VA_ARGS__)
#define log_warn(c, ...) log_msg(LOG_WARN, c, __VA_ARGS__)
#define log_error(c, ...) log_msg(LOG_ERROR, c, __VA_ARGS__)

/* Writes one ready-made JSON object line (for the per-request access line). */
void log_write_line(const char *json, size_t len);

#endif
