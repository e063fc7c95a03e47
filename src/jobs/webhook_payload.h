/* GitLab's push and tag push webhook payloads (compat/codeconnections.md §4),
 * built from the bare repository after the ref update: one payload per
 * updated ref.
 *
 * Commits: branch pushes list the commits reachable from `after` but not from
 * `before` (for a new branch: not from any other branch), oldest first, the
 * newest WEBHOOK_COMMITS_MAX of them, each with added/modified/removed paths
 * against its first parent; total_commits_count counts them all, up to
 * WEBHOOK_WALK_MAX. Tag pushes list the tagged commit (as GitLab's tag hooks
 * do); deletions list nothing and carry a null checkout_sha. */
#ifndef KURA_WEBHOOK_PAYLOAD_H
#define KURA_WEBHOOK_PAYLOAD_H
#include <stdint.h>

struct buf;

#define WEBHOOK_ZERO_OID "0000000000000000000000000000000000000000"
#define WEBHOOK_COMMITS_MAX 20		/* GitLab's push event commit limit */
#define WEBHOOK_WALK_MAX 10000		/* commits counted; a first push of a huge history stops here */
#define WEBHOOK_PATHS_MAX 1000		/* added+modified+removed paths listed per commit */

/* The project as GitLab's hook shows it. Strings are borrowed; NULL becomes
 * JSON null (description, default_branch) or "" (URLs). */
struct webhook_project {
	int64_t id;
	const char *name;
	const char *path_with_namespace;	/* "group/sub/app" */
	const char *namespace_name;		/* GitLab sends the namespace's name */
	const char *description;
	const char *default_branch;
	int visibility_level;			/* 0 private, 10 internal, 20 public */
	const char *web_url;			/* https://git.example.com/group/sub/app */
	const char *http_url;			/* …/app.git */
	const char *ssh_url;			/* git@git.example.com:group/sub/app.git */
};

/* The pusher. email is what GitLab calls the public email: pass "" when the
 * user has none rather than a private address. */
struct webhook_user {
	int64_t id;
	const char *name;
	const char *username;
	const char *email;
	const char *avatar_url;			/* NULL: JSON null */
};

struct webhook_push {
	const char *ref;	/* full name: refs/heads/main or refs/tags/v1 */
	const char *before;	/* 40 hex; WEBHOOK_ZERO_OID for a created ref */
	const char *after;	/* 40 hex; WEBHOOK_ZERO_OID for a deleted ref */
	int ref_protected;
};

/* "Push Hook" for refs/heads/…, "Tag Push Hook" for refs/tags/…, NULL for
 * other refs (no hook is sent for them). */
const char *webhook_event_name(const char *ref);

/* Appends the JSON payload for one ref update to out. repo_path is the bare
 * repository (repo_store_path()). ERR_INVALID for a ref outside refs/heads and
 * refs/tags or a malformed object id; ERR_NOTFOUND when the repository or
 * `after` is missing; ERR_INTERNAL for other libgit2 failures. Sentence in err. */
int webhook_payload_push(struct buf *out, const char *repo_path,
			 const struct webhook_project *p, const struct webhook_user *u,
			 const struct webhook_push *push, struct buf *err);

#endif
