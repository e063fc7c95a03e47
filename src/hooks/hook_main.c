#include "hook.h"
#include "auth/authn.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/repo_read.h"
#include "git/repo_store.h"
#include "model/project.h"
#include "model/push_event.h"
#include "model/user.h"

#include <git2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_MAX_REFS 10000	/* one push updating more refs is refused */

int hook_is_hook_name(const char *name)
{
	return !strcmp(name, "pre-receive") || !strcmp(name, "post-receive");
}

static int is_oid(const char *s, size_t n)
{
	return n == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* "<old> <new> <ref>\n" lines from receive-pack. */
static int parse_updates(const char *in, size_t len, struct ref_update **out, size_t *n_out)
{
	struct ref_update *u = NULL;
	size_t n = 0;

	if (memchr(in, '\0', len))
		return ERR_INVALID;
	while (len > 0) {
		const char *nl = memchr(in, '\n', len);
		size_t line = nl ? (size_t)(nl - in) : len;

		if (line < 83 || line > 2047 || in[40] != ' ' || in[81] != ' ' || !is_oid(in, 40) ||
		    !is_oid(in + 41, 40) || n == HOOK_MAX_REFS)
			goto bad;
		u = xrealloc(u, (n + 1) * sizeof(*u));
		memcpy(u[n].old_oid, in, 40);
		u[n].old_oid[40] = '\0';
		memcpy(u[n].new_oid, in + 41, 40);
		u[n].new_oid[40] = '\0';
		u[n].ref = xstrndup(in + 82, line - 82);
		n++;
		in += line + (nl ? 1 : 0);
		len -= line + (nl ? 1 : 0);
	}
	*out = u;
	*n_out = n;
	return 0;
bad:
	for (size_t i = 0; i < n; i++)
		free(u[i].ref);
	free(u);
	return ERR_INVALID;
}

static int64_t env_id(const char *name)
{
	uint64_t v = 0;
	const char *s = getenv(name);

	return s && parse_u64(s, INT64_MAX, &v) == 0 ? (int64_t)v : 0;
}

static int hook_decide(const char *name, struct db *db, const struct hook_context *ctx,
		       const char *quarantine, struct ref_update *u, size_t n, struct buf *msg)
{
	struct principal who = PRINCIPAL_INIT;
	struct project *p = NULL;
	struct buf reason = BUF_INIT_MAX(4096);
	int ret;

	ret = project_find(db, ctx->project_id, &p);
	if (ret == 0 && ctx->user_id)
		ret = user_find(db, ctx->user_id, &who.user);
	/* A deploy token is checked again before the refs move: it may have
	 * been revoked since. Events after the push record no user. */
	if (ret == 0 && ctx->deploy_token_id && !strcmp(name, "pre-receive"))
		ret = authn_deploy_token_id(db, ctx->deploy_token_id, p->id, p->namespace_id, &who);
	if (ret == ERR_AUTH) {
		buf_addstr(msg, "kura: You are not allowed to push code to this project.\n");
		goto out;
	}
	if (ret < 0) {
		buf_addstr(msg, "kura: this push cannot be checked right now; try again\n");
		goto out;
	}
	if (!ctx->deploy_token_id)
		who.scopes = ~0u;
	if (!strcmp(name, "pre-receive")) {
		ret = hook_pre_receive(db, p, &who, u, n, quarantine, &reason);
		if (ret < 0)
			buf_addf(msg, "%s\n", reason.len ? reason.ptr :
				 "kura: this push cannot be checked right now; try again");
	} else {
		ret = hook_post_receive(db, p, &who, u, n);
	}
out:
	principal_release(&who);
	project_free(p);
	buf_release(&reason);
	return ret;
}

int hook_run(const char *name, struct db *db, const struct hook_context *ctx,
	     const char *quarantine, const char *input, size_t len, struct buf *msg)
{
	struct ref_update *u = NULL;
	size_t n = 0;
	int ret = parse_updates(input, len, &u, &n);

	if (ret < 0)
		buf_addstr(msg, "kura: malformed ref update from git\n");
	else
		ret = hook_decide(name, db, ctx, quarantine, u, n, msg);
	for (size_t i = 0; i < n; i++)
		free(u[i].ref);
	free(u);
	return ret < 0 ? 1 : 0;
}

/* All of receive-pack's stdin, within the limit hook_run will accept. */
static int read_stdin(struct buf *out)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(out, chunk, n);
	return ferror(stdin) || buf_error(out) ? ERR_INVALID : 0;
}

int hook_main(const char *name)
{
	const char *url = getenv("KURA_HOOK_DATABASE_URL");
	const char *data_dir = getenv("KURA_HOOK_DATA_DIR");
	struct hook_context ctx = { env_id("KURA_HOOK_PROJECT_ID"), env_id("KURA_HOOK_USER_ID"),
				    env_id("KURA_HOOK_DEPLOY_TOKEN_ID") };
	struct buf err = BUF_INIT_MAX(1024), input = BUF_INIT_MAX(HOOK_MAX_INPUT), msg = BUF_INIT;
	struct db_pool *pool = NULL;
	struct db *db = NULL;
	int ret, status = 1;

	/* Only warnings and errors: the log goes to the client as remote: lines. */
	log_set_level(LOG_WARN);
	if (!url || !data_dir || sodium_init() < 0) {
		fprintf(stderr, "kura: hook started outside kura\n");
		return 1;
	}
	git_libgit2_init();
	ret = read_stdin(&input);
	if (ret < 0)
		fprintf(stderr, "kura: malformed ref update from git\n");
	if (ret == 0)
		ret = repo_store_init(data_dir, &err) == 0 ? 0 : ERR_UNAVAILABLE;
	if (ret == 0)
		repo_store_isolate_libgit2();
	if (ret == 0)
		ret = db_pool_open(&pool, url, 1, &err);
	if (ret == 0 && !(db = db_get(pool)))
		ret = ERR_UNAVAILABLE;
	if (ret == 0)
		status = hook_run(name, db, &ctx, getenv("GIT_OBJECT_DIRECTORY"), input.ptr,
				  input.len, &msg);
	else if (err.len)
		fprintf(stderr, "kura: %s\n", err.ptr);
	fputs(msg.ptr, stderr);
	db_put(pool, db);
	db_pool_free(pool);
	buf_release(&err);
	buf_release(&input);
	buf_release(&msg);
	git_error_clear();
	repo_pool_drain();
	git_libgit2_shutdown();
	return status;
}
