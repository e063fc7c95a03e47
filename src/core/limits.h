/* Every size and count limit in one place, each with its reason. Limits are
 * stricter before authentication. */
#ifndef KURA_LIMITS_H
#define KURA_LIMITS_H

/* HTTP */
#define LIMIT_HTTP_CONNECTIONS 1024		/* one thread each: bounds threads and fds */
#define LIMIT_HTTP_HEADER_BYTES (32 * 1024)	/* MHD's per-connection memory: headers + URL */
#define LIMIT_HTTP_IDLE_SECONDS 60		/* slowloris: drop silent connections */
#define LIMIT_URL_PATH 1024			/* GitLab's own full-path limits fit easily */
#define LIMIT_API_BODY (1024 * 1024)		/* JSON/form API bodies */
#define LIMIT_FORM_BODY (256 * 1024)		/* web forms */
#define LIMIT_UPLOAD_BODY (10 * 1024 * 1024)	/* project uploads (attachments), buffered */
#define LIMIT_SHUTDOWN_MS 25000			/* under ECS's default 30 s stop timeout */

/* Names (GitLab: 255 for paths and names) */
#define LIMIT_NAME 255
#define LIMIT_PATH_SEGMENT 255
#define LIMIT_FULL_PATH 1024
#define LIMIT_NAMESPACE_DEPTH 20		/* GitLab's group nesting limit */
#define LIMIT_EMAIL 254				/* RFC 5321 */
#define LIMIT_PASSWORD_MIN 8
#define LIMIT_PASSWORD_MAX 1024			/* argon2 cost is per byte: cap it */
#define LIMIT_TOKEN_NAME 255
#define LIMIT_REF_NAME 1024

/* Pagination */
#define LIMIT_PER_PAGE_DEFAULT 20
#define LIMIT_PER_PAGE_MAX 100

/* Git transport */
#define LIMIT_GIT_RPC_MS (60 * 60 * 1000)	/* a huge clone may take long; idle is separate */
#define LIMIT_GIT_IDLE_MS (5 * 60 * 1000)	/* no byte either way for this long: kill */
#define LIMIT_GIT_STDERR 16384			/* kept for the log, rest dropped */
#define LIMIT_GIT_REQUEST_BODY_UPLOAD (64L * 1024 * 1024) /* upload-pack wants/haves, inflated */
#define LIMIT_GIT_REQUEST_BODY_RECEIVE (8L * 1024 * 1024 * 1024) /* push size, inflated */
#define LIMIT_GIT_LS_REFS_BODY 65536	/* a v2 ls-refs kura answers itself; larger: git */
#define LIMIT_GIT_PROCS 64			/* concurrent git children */
#define LIMIT_GIT_PIPE_CHUNK 65536		/* bytes moved per read/write */

/* Authentication throttling (GitLab's git-auth ban: 30 failures, 1 h) */
#define LIMIT_AUTH_FAILURES 10			/* per address and username per window */
#define LIMIT_AUTH_WINDOW_MS (60 * 1000)

/* Tokens */
#define LIMIT_TOKEN_DEFAULT_DAYS 365
#define LIMIT_TOKEN_MAX_DAYS 365		/* GitLab's maximum token lifetime */

#endif
