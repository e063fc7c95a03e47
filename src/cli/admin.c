/* kura admin …: operator commands that work on the database directly, so
 * they run before the first serve and while the server is down. */
#include "cli.h"
#include "app.h"
#include "auth/token.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/timeutil.h"
#include "db/db.h"
#include "git/repo_store.h"
#include "jobs/notify.h"
#include "core/parse.h"
#include "model/member.h"
#include "model/namespace.h"
#include "model/password_reset.h"
#include "model/pat.h"
#include "model/project.h"
#include "model/user.h"

#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct admin_opts {
	const char *username, *email, *name, *scopes, *expires, *path, *visibility;
	const char *project, *group, *access_level;
	int admin, password_stdin;
	const char *positional;
};

/* For the commands that mail (the serve process's workers send it). */
static const struct config *admin_cfg;

/* One line on stderr, whatever the arguments echoed into it hold. */
__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	struct buf line = BUF_INIT_MAX(1024);
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < line.len; i++)
		if ((unsigned char)line.ptr[i] < 0x20 || line.ptr[i] == 0x7f)
			line.ptr[i] = '?';
	fprintf(stderr, "kura: %s\n", buf_error(&line) ? "bad arguments" : line.ptr);
	buf_release(&line);
	return EXIT_USAGE;
}

static int parse_opts(int argc, char **argv, struct admin_opts *o)
{
	static const struct { const char *flag; size_t off; } valued[] = {
		{ "--username", offsetof(struct admin_opts, username) },
		{ "--email", offsetof(struct admin_opts, email) },
		{ "--name", offsetof(struct admin_opts, name) },
		{ "--scopes", offsetof(struct admin_opts, scopes) },
		{ "--expires", offsetof(struct admin_opts, expires) },
		{ "--path", offsetof(struct admin_opts, path) },
		{ "--visibility", offsetof(struct admin_opts, visibility) },
		{ "--project", offsetof(struct admin_opts, project) },
		{ "--group", offsetof(struct admin_opts, group) },
		{ "--access-level", offsetof(struct admin_opts, access_level) },
	};

	for (int i = 1; i < argc; i++) {
		int done = 0;

		if (!strcmp(argv[i], "--admin")) {
			o->admin = 1;
			continue;
		}
		if (!strcmp(argv[i], "--password-stdin")) {
			o->password_stdin = 1;
			continue;
		}
		for (size_t k = 0; k < sizeof(valued) / sizeof(*valued); k++) {
			if (strcmp(argv[i], valued[k].flag))
				continue;
			if (i + 1 >= argc)
				return fail("%s needs a value", argv[i]);
			*(const char **)((char *)o + valued[k].off) = argv[++i];
			done = 1;
		}
		if (done)
			continue;
		if (argv[i][0] == '-' || o->positional)
			return fail("unexpected argument '%s'", argv[i]);
		o->positional = argv[i];
	}
	return 0;
}

/* One line from stdin, without its newline; ERR_INVALID when empty or too long. */
static int read_stdin_line(struct buf *out)
{
	char line[LIMIT_PASSWORD_MAX + 3];
	size_t n;

	if (!fgets(line, sizeof(line), stdin))
		return ERR_INVALID;
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[--n] = '\0';
	else if (n == sizeof(line) - 1)
		n = 0;		/* too long: refused below, like an empty line */
	/* Nothing is added on failure, so callers have nothing to free. */
	if (n)
		buf_add(out, line, n);
	sodium_memzero(line, sizeof(line));
	return n ? 0 : ERR_INVALID;
}

static int report(int ret, struct buf *err, const char *what)
{
	if (ret == 0)
		return 0;
	fprintf(stderr, "kura: %s: %s\n", what, err->len ? err->ptr : err_name(ret));
	return ret == ERR_INTERNAL || ret == ERR_UNAVAILABLE ? 1 : EXIT_USAGE;
}

static int find_user(struct db *db, const char *username, struct user **out)
{
	int ret = username ? user_find_by_username(db, username, out) : ERR_NOTFOUND;

	if (ret == ERR_NOTFOUND && !username)
		fail("%s", "a username is required");
	else if (ret == ERR_NOTFOUND)
		fail("no user '%.64s'", username);
	return ret;
}

static int cmd_create_user(struct db *db, const struct admin_opts *o)
{
	struct buf pw = BUF_INIT, err = BUF_INIT;
	struct user_req req = { o->username, o->email, o->name, NULL, o->admin };
	int64_t id = 0;
	int ret;

	if (!o->username || !o->email)
		return fail("%s", "create-user needs --username and --email");
	if (o->password_stdin) {
		if (read_stdin_line(&pw) < 0)
			return fail("%s", "no password on stdin (one line expected)");
		req.password = pw.ptr;
	}
	ret = user_create(db, &req, &id, &err);
	if (ret == 0)
		printf("created user %s id=%lld\n", o->username, (long long)id);
	if (ret == 0)	/* welcome, with a set-password link without --password-stdin */
		(void)notify_user_created(db, admin_cfg, id);
	sodium_memzero(pw.ptr, pw.len);
	buf_release(&pw);
	ret = report(ret, &err, "create-user");
	buf_release(&err);
	return ret;
}

static int cmd_reset_password(struct db *db, const struct admin_opts *o)
{
	struct buf pw = BUF_INIT, err = BUF_INIT;
	struct user *u = NULL;
	int ret;

	if (find_user(db, o->positional, &u) < 0)
		return EXIT_USAGE;
	if (read_stdin_line(&pw) < 0) {
		user_free(u);
		return fail("%s", "no password on stdin (one line expected)");
	}
	ret = user_set_password(db, u->id, pw.ptr, &err);
	if (ret == 0)
		printf("password of %s changed\n", u->username);
	/* The first-start password is stale now: remove the file holding it
	 * (a shell-less container has no rm to do it by hand). */
	if (ret == 0 && !strcmp(u->username, "root") && repo_store_data_dir()) {
		struct buf f = BUF_INIT;

		buf_addf(&f, "%s/initial_root_password", repo_store_data_dir());
		if (unlink(f.ptr) == 0)
			printf("removed %s\n", f.ptr);
		buf_release(&f);
	}
	sodium_memzero(pw.ptr, pw.len);
	buf_release(&pw);
	user_free(u);
	ret = report(ret, &err, "reset-password");
	buf_release(&err);
	return ret;
}

/* Mails the user a reset link, as the sign-in page's form does. */
static int cmd_send_password_reset(struct db *db, const struct admin_opts *o)
{
	struct user *u = NULL;
	int ret;

	if (!notify_enabled(admin_cfg))
		return fail("%s", "mail is off: set smtp_url (KURA_SMTP_URL) to send mail");
	if (find_user(db, o->positional, &u) < 0)
		return EXIT_USAGE;
	ret = notify_password_reset(db, admin_cfg, u);
	if (ret == 0)
		printf("password reset link for %s queued to %s\n", u->username, u->email);
	else if (ret == ERR_BUSY)
		fail("%s was sent %d links in the last hour; try again later", u->username,
		     PASSWORD_RESET_PER_HOUR);
	else
		fprintf(stderr, "kura: send-password-reset: %s\n", err_name(ret));
	user_free(u);
	return ret == 0 ? 0 : ret == ERR_BUSY ? EXIT_USAGE : 1;
}

static int cmd_create_token(struct db *db, const struct admin_opts *o)
{
	struct buf secret = BUF_INIT, err = BUF_INIT;
	struct user *u = NULL;
	unsigned scopes = 0;
	int64_t expires = 0, id = 0;
	int ret;

	if (!o->username || !o->name || !o->scopes)
		return fail("%s", "create-token needs --username, --name and --scopes");
	if (scopes_parse(o->scopes, &scopes, &err) < 0) {
		ret = report(ERR_INVALID, &err, "create-token");
		buf_release(&err);
		return ret;
	}
	if (o->expires && (time_parse_date(o->expires, &expires) < 0 || expires <= time_now_ms()))
		return fail("--expires '%.32s' must be a future date YYYY-MM-DD", o->expires);
	if (find_user(db, o->username, &u) < 0)
		return EXIT_USAGE;
	ret = pat_create(db, u->id, o->name, scopes, expires, &secret, &id, &err);
	if (ret == 0)
		printf("%s\n", secret.ptr);
	if (ret == 0)
		(void)notify_pat_created(db, admin_cfg, id);
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	user_free(u);
	ret = report(ret, &err, "create-token");
	buf_release(&err);
	return ret;
}

static int cmd_set_state(struct db *db, const struct admin_opts *o, const char *state)
{
	struct user *u = NULL;
	int ret;

	if (find_user(db, o->positional, &u) < 0)
		return EXIT_USAGE;
	ret = user_set_state(db, u->id, state);
	if (ret == 0)
		printf("%s is %s\n", u->username, state);
	user_free(u);
	return ret ? 1 : 0;
}

static int print_user(const struct user *u, void *ctx)
{
	(void)ctx;
	printf("%lld\t%s\t%s\t%s%s\n", (long long)u->id, u->username, u->email, u->state,
	       u->is_admin ? "\tadmin" : "");
	return 0;
}

static int cmd_list_users(struct db *db)
{
	return user_list(db, 0, INT64_MAX, print_user, NULL) < 0 ? 1 : 0;
}

static int cmd_create_group(struct db *db, const struct admin_opts *o)
{
	struct buf err = BUF_INIT;
	int64_t id = 0;
	int ret;

	if (!o->path)
		return fail("%s", "create-group needs --path");
	ret = group_create_path(db, o->path, o->name, &id, &err);
	if (ret == 0)
		printf("created group %s id=%lld\n", o->path, (long long)id);
	ret = report(ret, &err, "create-group");
	buf_release(&err);
	return ret;
}

static int cmd_create_project(struct db *db, const struct admin_opts *o)
{
	struct project_req req = { 0 };
	struct namespace *ns = NULL;
	struct buf err = BUF_INIT, nspath = BUF_INIT;
	const char *slash = o->path ? strrchr(o->path, '/') : NULL;
	int64_t id = 0;
	int ret;

	if (!slash)
		return fail("%s", "create-project needs --path NAMESPACE/NAME");
	buf_add(&nspath, o->path, (size_t)(slash - o->path));
	ret = namespace_find_by_full_path(db, nspath.ptr, &ns);
	if (ret == ERR_NOTFOUND) {
		fail("no namespace '%.200s'", nspath.ptr);
		buf_release(&nspath);
		return EXIT_USAGE;
	}
	if (ret == 0) {
		req.namespace_id = ns->id;
		req.path = slash + 1;
		req.name = o->name;
		req.visibility = o->visibility;
		req.creator_id = ns->owner_id;
		ret = project_create(db, &req, &id, &err);
	}
	if (ret == 0)
		printf("created project %s id=%lld\n", o->path, (long long)id);
	namespace_free(ns);
	buf_release(&nspath);
	ret = report(ret, &err, "create-project");
	buf_release(&err);
	return ret;
}

/* Adds (or changes) a member of a project or group with a GitLab access level. */
static int cmd_add_member(struct db *db, const struct admin_opts *o)
{
	struct project *p = NULL;
	struct namespace *ns = NULL;
	struct user *u = NULL;
	uint64_t level = 0;
	int ret;

	if (!o->username || !o->access_level || !o->project == !o->group)
		return fail("%s", "add-member needs --username, --access-level and one of "
			    "--project or --group");
	if (parse_u64(o->access_level, 50, &level) < 0 || !access_level_valid((int)level))
		return fail("--access-level '%s' must be 10, 20, 30, 40 or 50", o->access_level);
	if (find_user(db, o->username, &u) < 0)
		return EXIT_USAGE;
	if (o->project)
		ret = project_find_by_full_path(db, o->project, &p);
	else
		ret = namespace_find_by_full_path(db, o->group, &ns);
	if (ret == 0 && ns && strcmp(ns->kind, "group"))
		ret = ERR_NOTFOUND;
	if (ret == 0)
		ret = member_set(db, p ? MEMBER_PROJECT : MEMBER_NAMESPACE, p ? p->id : ns->id,
				 u->id, (int)level, 0);
	if (ret == ERR_NOTFOUND)
		fail("no %s '%.200s'", p || o->project ? "project" : "group",
		     o->project ? o->project : o->group);
	else if (ret == 0)
		printf("%s is a member of %s with access level %d\n", u->username,
		       o->project ? o->project : o->group, (int)level);
	user_free(u);
	project_free(p);
	namespace_free(ns);
	return ret == 0 ? 0 : ret == ERR_NOTFOUND ? EXIT_USAGE : 1;
}

static void admin_usage(FILE *out)
{
	fputs("usage: kura admin create-user --username U --email E [--name N] [--admin]"
	      " [--password-stdin]\n"
	      "       kura admin reset-password U          (new password on stdin)\n"
	      "       kura admin send-password-reset U     (mails a reset link)\n"
	      "       kura admin create-token --username U --name N --scopes api[,read_repository…]"
	      " [--expires YYYY-MM-DD]\n"
	      "       kura admin block-user U | unblock-user U | list-users\n"
	      "       kura admin create-group --path G[/SUB…] [--name N]\n"
	      "       kura admin create-project --path NAMESPACE/NAME"
	      " [--visibility private|internal|public] [--name N]\n"
	      "       kura admin add-member (--project P | --group G) --username U"
	      " --access-level 10|20|30|40|50\n", out);
}

static const char *const commands[] = {
	"create-user", "reset-password", "send-password-reset", "create-token", "block-user",
	"unblock-user", "list-users", "create-group", "create-project", "add-member",
};

int cli_admin(struct app *app, int argc, char **argv)
{
	struct admin_opts o = { 0 };
	struct db *db;
	const char *cmd;
	int known = 0, ret;

	if (!app) {
		admin_usage(argc > 0 ? stdout : stderr);
		return argc > 0 ? 0 : EXIT_USAGE;
	}
	cmd = argv[0];
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		known |= !strcmp(cmd, commands[i]);
	if (!known) {
		return fail("unknown admin command '%.64s' (kura admin help lists them)", cmd);
	}
	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret;
	admin_cfg = &app->cfg;
	db = db_get(app->pool);
	if (!db)
		return 1;
	if (!strcmp(cmd, "create-user"))
		ret = cmd_create_user(db, &o);
	else if (!strcmp(cmd, "reset-password"))
		ret = cmd_reset_password(db, &o);
	else if (!strcmp(cmd, "send-password-reset"))
		ret = cmd_send_password_reset(db, &o);
	else if (!strcmp(cmd, "create-token"))
		ret = cmd_create_token(db, &o);
	else if (!strcmp(cmd, "block-user"))
		ret = cmd_set_state(db, &o, "blocked");
	else if (!strcmp(cmd, "unblock-user"))
		ret = cmd_set_state(db, &o, "active");
	else if (!strcmp(cmd, "list-users"))
		ret = cmd_list_users(db);
	else if (!strcmp(cmd, "create-group"))
		ret = cmd_create_group(db, &o);
	else if (!strcmp(cmd, "create-project"))
		ret = cmd_create_project(db, &o);
	else
		ret = cmd_add_member(db, &o);
	db_put(app->pool, db);
	return ret;
}
