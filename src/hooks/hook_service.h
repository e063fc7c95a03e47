/* The server's end of kura-hook (hook_client.c): receive-pack's hooks hand
 * their ref updates to the kura that started git, over a Unix socket in
 * Linux's abstract namespace, and the server runs them with its own
 * database pool and open repositories instead of a new process starting
 * the whole of kura twice per push.
 *
 * A hook call must carry the token registered for its push (32 random
 * bytes, known only to kura and the git children it started) and come from
 * our own uid; the token, not the caller, says which project and user the
 * push is for. Without the service (or when it refuses), the hook runs the
 * full kura binary as before. */
#ifndef KURA_HOOK_SERVICE_H
#define KURA_HOOK_SERVICE_H
#include <stddef.h>

struct db_pool;
struct hook_context;

/* Starts listening; ERR_UNAVAILABLE (logged) when the socket cannot be had. */
int hook_service_start(struct db_pool *pool);
/* Stops accepting and waits for hook runs in flight. */
void hook_service_stop(void);
/* "@kura-hooks-…" for KURA_HOOK_SOCKET, or NULL when the service is off. */
const char *hook_service_socket(void);
/* A token for one push's git children (size ≥ 65); unregister it once git
 * has exited. ERR_UNAVAILABLE when the service is off. */
int hook_service_register(const struct hook_context *ctx, char *token_out, size_t size);
void hook_service_unregister(const char *token);

#endif
