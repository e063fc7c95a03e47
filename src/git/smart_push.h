/* What follows a successful push over HTTP, before the client hears success. */
#ifndef KURA_SMART_PUSH_H
#define KURA_SMART_PUSH_H
#include <stdint.h>

struct app;

/* The first push into an empty repository names the default branch: HEAD
 * points at a branch that exists, and the project remembers it. Records the
 * project's last activity. Failures are logged, never fatal to the push. */
void smart_push_after(struct app *app, int64_t project_id);

#endif
