/* Error codes shared by every layer: 0 is success, negatives are failures.
 * A function passes a callee's code up unchanged; handlers map them to HTTP
 * statuses with http_status_for(). */
#ifndef KURA_ERR_H
#define KURA_ERR_H

enum kura_err {
	ERR_INTERNAL = -1,	/* bug, I/O or dependency failure: log it */
	ERR_INVALID = -2,	/* malformed input */
	ERR_NOTFOUND = -3,	/* no such thing (or not visible to the caller) */
	ERR_EXISTS = -4,	/* unique name already taken */
	ERR_DENIED = -5,	/* authenticated but not allowed */
	ERR_AUTH = -6,		/* missing or bad credentials */
	ERR_TOOBIG = -7,	/* input exceeds a limit */
	ERR_BUSY = -8,		/* temporarily unavailable: retry later */
	ERR_UNAVAILABLE = -9,	/* a dependency (database, storage) is down */
};

/* A short stable name for logs ("notfound"). */
const char *err_name(int code);

#endif
