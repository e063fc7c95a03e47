/* What the API resource files share: the per-request context, the endpoint
 * table format, parameter accessors, GitLab-shaped responses, pagination and
 * the JSON entities several resources embed.
 *
 * Adding a resource: write a table of struct api_endpoint terminated by an
 * entry with a NULL method, declare it at the bottom of this file and list it
 * in api.c. The dispatcher has authenticated the caller, applied sudo,
 * checked the token scope and the endpoint flags, borrowed a database
 * connection and merged the parameters before the handler runs. A handler
 * answers exactly once through the api_* response functions. */
#ifndef KURA_API_CTX_H
#define KURA_API_CTX_H
#include <jansson.h>
#include <stdint.h>

#include "auth/authn.h"

struct app;
struct buf;
struct db;
struct http_req;
struct namespace;
struct project;
struct user;

#define API_MAX_ARGS 4

enum api_flags {
	API_AUTH = 1 << 0,	/* anonymous callers get 401 */
	API_ADMIN = 1 << 1,	/* administrators only: 403 (anonymous 401) */
	API_READ_USER = 1 << 2,	/* a read_user token is enough (GET /user, /users) */
};

struct api_ctx;

struct api_endpoint {
	const char *method;	/* "GET" also answers HEAD; NULL ends a table */
	const char *pattern;	/* "/projects/:id/members/:user_id" below /api/v4 */
	void (*handler)(struct api_ctx *c);
	unsigned flags;		/* enum api_flags */
};

struct api_ctx {
	struct http_req *req;
	struct app *app;
	struct db *db;
	struct principal who;		/* the caller, or the sudo target */
	json_t *params;			/* merged query, form and JSON body (an object) */
	const char *args[API_MAX_ARGS];	/* decoded :params, in pattern order */
	const struct api_endpoint *ep;
};

/* --- parameters (api_params.c) ------------------------------------------
 * Values come from the query string, then a form or JSON body (the body
 * wins). The accessors return 1 when present, 0 when absent or null, and
 * ERR_INVALID after answering 400 {"error": "<name> is invalid"}. */
const char *api_arg(const struct api_ctx *c, int i);
/* A string parameter (numbers and booleans given in JSON as their text);
 * NULL when absent. Other JSON types count as invalid. */
int api_param_str(struct api_ctx *c, const char *name, const char **out);
/* The value when it is a string, else NULL; never answers. */
const char *api_param_peek(const struct api_ctx *c, const char *name);
int api_param_int(struct api_ctx *c, const char *name, int64_t min, int64_t max, int64_t *out);
int api_param_bool(struct api_ctx *c, const char *name, int *out);
/* Like api_param_str, but absent answers 400 {"error": "<name> is missing"}
 * and returns ERR_INVALID. */
int api_param_required(struct api_ctx *c, const char *name, const char **out);
/* One of the NULL-terminated words, else 400 "<name> does not have a valid value". */
int api_param_enum(struct api_ctx *c, const char *name, const char *const *words,
		   const char **out);
/* Fills params from the request; ERR_INVALID after answering 400. */
int api_params_load(struct api_ctx *c);
/* Applies GitLab's key[]= and key[sub]= encodings (exposed for tests). */
void api_params_set(json_t *obj, const char *key, const char *value);

/* --- responses (api_resp.c) --------------------------------------------- */
/* Sends v (the reference is taken) as application/json. */
void api_json(struct api_ctx *c, int status, json_t *v);
void api_message(struct api_ctx *c, int status, const char *text);	/* {"message": …} */
void api_error(struct api_ctx *c, int status, const char *text);	/* {"error": …} */
void api_no_content(struct api_ctx *c);
/* 400 {"error": "<name> does not have a valid value"}. */
void api_invalid_value(struct api_ctx *c, const char *name);
/* 400 {"message": {"<field>": ["<text>"]}}. */
void api_field_error(struct api_ctx *c, const char *field, const char *text);
/* Answers a negative code: ERR_NOTFOUND as "404 <what> Not Found",
 * ERR_DENIED "403 Forbidden", ERR_INVALID with the sentence in err (a
 * "field problem" sentence becomes {"message": {"field": ["problem"]}}),
 * ERR_EXISTS 409, others their status; internal failures are logged here,
 * once. err may be NULL. */
void api_fail(struct api_ctx *c, int ret, const char *what, const struct buf *err);

/* --- pagination (api_resp.c) -------------------------------------------- */
struct api_page {
	int64_t page;		/* 1-based */
	int64_t per_page;	/* 1..LIMIT_PER_PAGE_MAX */
};

/* From page/per_page: junk answers 400 and returns ERR_INVALID; per_page is
 * clamped to the maximum as GitLab does. */
int api_page_parse(struct api_ctx *c, struct api_page *out);
static inline int64_t api_page_offset(const struct api_page *pg)
{
	return (pg->page - 1) * pg->per_page;
}
/* Answers 200 with items (taken) and GitLab's X-* and Link headers. */
void api_page_respond(struct api_ctx *c, const struct api_page *pg, int64_t total,
		      json_t *items);

/* --- lookups every resource needs (api_lookup.c) -------------------------
 * Each answers the error itself and returns its code. */
/* A project by numeric id or URL-decoded full path, visible to the caller;
 * the caller's access level in level_out (may be NULL). */
int api_project_find(struct api_ctx *c, const char *id, struct project **out, int *level_out);
/* A group by id or full path, visible to the caller; level as above. */
int api_group_find(struct api_ctx *c, const char *id, struct namespace **out, int *level_out);
/* A user by numeric id. */
int api_user_find(struct api_ctx *c, const char *id, struct user **out);
/* May the caller create projects in ns (new projects, forks): its own
 * personal namespace (admins: any), or a group as Developer and up. Answers
 * 404 for what it may not see, 403 for a visible group, and returns the code. */
int api_namespace_create_allowed(struct api_ctx *c, const struct namespace *ns);
/* The namespace a new project or fork goes into: ref is an id or a full
 * path, NULL for the caller's own; it must pass api_namespace_create_allowed.
 * Answers the error itself. */
int api_namespace_for_project(struct api_ctx *c, const char *ref, struct namespace **out);
/* 403 unless level >= min (admins pass); returns ERR_DENIED. */
int api_require_level(struct api_ctx *c, int level, int min);
int api_is_admin(const struct api_ctx *c);
int64_t api_user_id(const struct api_ctx *c);	/* 0 anonymous */

/* --- JSON entities (api_entities.c) -------------------------------------- */
json_t *api_time(int64_t ms);			/* ISO-8601 with ms, or null for 0 */
json_t *api_str(const char *s);			/* string, or null for NULL */
json_t *api_user_basic(struct api_ctx *c, const struct user *u);
/* GitLab's User, plus the private fields for the user themself or admins. */
json_t *api_user_json(struct api_ctx *c, const struct user *u);
json_t *api_namespace_json(struct api_ctx *c, const struct namespace *ns);
json_t *api_group_json(struct api_ctx *c, const struct namespace *ns);
/* The project; simple gives ProjectIdentity-like basics only. level is the
 * caller's access level, for permissions. */
json_t *api_project_json(struct api_ctx *c, const struct project *p, int level, int simple);
/* Forgets that the project's repository was seen with refs (empty_repo is
 * kept for a moment): call after deleting a branch or tag. */
void api_project_refs_changed(int64_t project_id);

/* The groups a project (project 1) or group (0) is shared with, as GitLab's
 * shared_with_groups array (api_shares.c). */
json_t *api_shared_with_groups(struct api_ctx *c, int project, int64_t id);

/* --- tokens (api_tokens.c) ------------------------------------------------ */
struct pat;
json_t *api_pat_json(const struct pat *t);
/* POST /users/:id/personal_access_tokens and .../impersonation_tokens:
 * the new token's JSON with its secret, 201. */
void api_user_token_create(struct api_ctx *c, int impersonation);
/* scopes[]=…, a JSON array or "a,b"; 400 when missing or invalid. */
int api_scopes_param(struct api_ctx *c, unsigned *out);

/* --- imports and mirrors (api_mirrors.c) ---------------------------------- */
struct api_import;
/* POST /projects' import_url, import_url_user, import_url_password, mirror
 * and mirror_interval: *out NULL when there is no import_url; ERR_INVALID
 * after answering 400 (a malformed or refused URL). */
int api_import_parse(struct api_ctx *c, struct api_import **out);
/* Records the import of the new project and queues its first fetch. */
int api_import_start(struct api_ctx *c, struct api_import *imp, int64_t project_id,
		     struct buf *err);
void api_import_free(struct api_import *imp);
/* import_status, import_error, import_url (masked) and mirror. */
void api_project_add_import(struct api_ctx *c, json_t *o, const struct project *p);

/* --- shared list answers ------------------------------------------------- */
struct project_filter;
/* Reads GitLab's project list parameters into f (which the caller seeded
 * with its scope: namespace, personal_of …), then answers the page. */
void api_project_list(struct api_ctx *c, struct project_filter *f);

/* --- endpoint tables (one per resource file) ------------------------------ */
extern const struct api_endpoint api_meta_endpoints[];
extern const struct api_endpoint api_user_endpoints[];
extern const struct api_endpoint api_token_endpoints[];
extern const struct api_endpoint api_protected_branch_endpoints[];
extern const struct api_endpoint api_commit_status_endpoints[];
extern const struct api_endpoint api_key_endpoints[];
extern const struct api_endpoint api_deploy_key_endpoints[];
extern const struct api_endpoint api_deploy_token_endpoints[];
extern const struct api_endpoint api_access_token_endpoints[];
extern const struct api_endpoint api_group_endpoints[];
extern const struct api_endpoint api_namespace_endpoints[];
extern const struct api_endpoint api_member_endpoints[];
extern const struct api_endpoint api_project_endpoints[];
extern const struct api_endpoint api_project_extra_endpoints[];
extern const struct api_endpoint api_integration_endpoints[];
extern const struct api_endpoint api_repo_branch_endpoints[];
extern const struct api_endpoint api_repo_tag_endpoints[];
extern const struct api_endpoint api_repo_tree_endpoints[];
extern const struct api_endpoint api_repo_file_endpoints[];
extern const struct api_endpoint api_repo_commit_endpoints[];
extern const struct api_endpoint api_repo_extra_endpoints[];
extern const struct api_endpoint api_repo_compare_endpoints[];
extern const struct api_endpoint api_repo_archive_endpoints[];
extern const struct api_endpoint api_hook_endpoints[];
extern const struct api_endpoint api_mirror_endpoints[];
extern const struct api_endpoint api_application_endpoints[];
extern const struct api_endpoint api_project_social_endpoints[];
extern const struct api_endpoint api_transfer_endpoints[];
extern const struct api_endpoint api_share_endpoints[];
extern const struct api_endpoint api_user_admin_endpoints[];
extern const struct api_endpoint api_upload_endpoints[];

#endif
