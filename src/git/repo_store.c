#include "repo_store.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *store_data_dir;
static char *store_gitconfig;
static char *store_home;
static char *store_hooks;

/* Server-wide git settings (SECURITY.md §11): flush objects and refs before
 * reporting success, check every pushed object, allow partial clone filters,
 * run only kura's hooks. Wants by a SHA reachable from a ref are allowed (CI
 * systems such as CodeBuild fetch a commit by id); no ref is hidden, so that
 * reveals nothing a clone would not, while unreachable objects (left by
 * refused pushes or deleted branches) stay unfetchable: allowAnySHA1InWant
 * remains off. */
static const char gitconfig_template[] =
	"[core]\n"
	"\tfsync = objects,reference,derived-metadata\n"
	"\tfsyncMethod = fsync\n"
	"\thooksPath = %s\n"
	"\tlogAllRefUpdates = false\n"
	"[receive]\n"
	"\tfsckObjects = true\n"
	"\tadvertisePushOptions = true\n"
	"\tautogc = false\n"
	"[fetch]\n"
	"\tfsckObjects = true\n"
	"[transfer]\n"
	"\tfsckObjects = true\n"
	"[uploadpack]\n"
	"\tallowFilter = true\n"
	"\tallowAnySHA1InWant = false\n"
	"\tallowReachableSHA1InWant = true\n"
	"[uploadarchive]\n"
	"\tallowUnreachable = false\n"
	"[protocol]\n"
	"\tallow = never\n"
	"[http]\n"
	"\tfollowRedirects = false\n"
	"[credential]\n"
	"\thelper =\n"
	"[gc]\n"
	"\tauto = 0\n";

static int mkdir_p(const char *path, mode_t mode)
{
	struct buf b = BUF_INIT;
	int ret = 0;

	buf_addstr(&b, path);
	for (char *p = b.ptr + 1; ret == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(b.ptr, mode) != 0 && errno != EEXIST)
			ret = ERR_UNAVAILABLE;
		*p = c;
		if (!c)
			break;
	}
	buf_release(&b);
	return ret;
}

static char *path_join(const char *a, const char *b)
{
	struct buf out = BUF_INIT;

	buf_addf(&out, "%s/%s", a, b);
	return buf_detach(&out, NULL);
}

static int write_file_atomic(const char *path, const char *data, mode_t mode)
{
	struct buf tmp = BUF_INIT;
	size_t len = strlen(data);
	int fd, ret = 0;

	/* Not the pid: in containers every node is PID 1 on shared storage. */
	buf_addf(&tmp, "%s.tmp%08x", path, randombytes_random());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    rename(tmp.ptr, path) != 0)
		ret = ERR_UNAVAILABLE;
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp.ptr);
	buf_release(&tmp);
	return ret;
}

static char store_exe[4096];

const char *repo_store_exe(void)
{
	ssize_t n;

	if (!store_exe[0] && (n = readlink("/proc/self/exe", store_exe, sizeof(store_exe) - 1)) > 0)
		store_exe[n] = '\0';
	return store_exe;
}

/* DATA/git/hooks/<name> links to kura-hook next to this binary (a small
 * program that asks the running server), or else to this very binary, which
 * runs as the hook when started under that name. Replaced atomically at
 * every start so an upgraded binary takes over. */
static int install_hook(const char *name)
{
	struct buf link = BUF_INIT, tmp = BUF_INIT, target = BUF_INIT;
	const char *exe = repo_store_exe();
	const char *slash = strrchr(exe, '/');
	int ret = 0;

	if (!slash)
		return ERR_UNAVAILABLE;
	buf_add(&target, exe, (size_t)(slash - exe));
	buf_addstr(&target, "/kura-hook");
	if (access(target.ptr, X_OK) != 0) {
		buf_reset(&target);
		buf_addstr(&target, exe);
	}
	buf_addf(&link, "%s/%s", store_hooks, name);
	buf_addf(&tmp, "%s.tmp%08x", link.ptr, randombytes_random());
	unlink(tmp.ptr);
	if (symlink(target.ptr, tmp.ptr) != 0 || rename(tmp.ptr, link.ptr) != 0) {
		unlink(tmp.ptr);
		ret = ERR_UNAVAILABLE;
	}
	buf_release(&link);
	buf_release(&tmp);
	buf_release(&target);
	return ret;
}

void repo_store_isolate_libgit2(void)
{
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, store_home);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, store_home);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, store_home);
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_PROGRAMDATA, store_home);
	/* Every request opens its repository afresh, and each open maps the
	 * packs again: without a ceiling, concurrent pages of one large
	 * repository keep hundreds of megabytes of pack windows resident. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)256 * 1024 * 1024);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_FILE_LIMIT, (unsigned int)128);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)64 * 1024 * 1024);
}

int repo_store_hooks_ready(void)
{
	static const char *const names[] = { "pre-receive", "post-receive" };
	struct buf path = BUF_INIT;
	int ok = 1;

	for (size_t i = 0; ok && i < 2; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", store_hooks, names[i]);
		ok = access(path.ptr, X_OK) == 0;
	}
	buf_release(&path);
	return ok;
}

int repo_store_install_hooks(void)
{
	int ret = install_hook("pre-receive");

	return ret == 0 ? install_hook("post-receive") : ret;
}

int repo_store_init(const char *data_dir, struct buf *err)
{
	struct buf cfg = BUF_INIT;
	char *repos, *trash, *gitdir;
	int ret = 0;

	store_data_dir = xstrdup(data_dir);
	repos = path_join(data_dir, "repositories/@hashed");
	trash = path_join(data_dir, "trash");
	gitdir = path_join(data_dir, "git");
	store_home = path_join(gitdir, "home");
	store_hooks = path_join(gitdir, "hooks");
	store_gitconfig = path_join(gitdir, "gitconfig");
	if (mkdir_p(data_dir, 0700) < 0 || mkdir_p(repos, 0700) < 0 || mkdir_p(trash, 0700) < 0 ||
	    mkdir_p(store_home, 0700) < 0 || mkdir_p(store_hooks, 0700) < 0 ||
	    access(data_dir, W_OK) != 0) {
		buf_addf(err, "data directory %s is not writable: %s", data_dir, strerror(errno));
		ret = ERR_UNAVAILABLE;
		goto out;
	}
	buf_addf(&cfg, gitconfig_template, store_hooks);
	if (write_file_atomic(store_gitconfig, cfg.ptr, 0600) < 0) {
		buf_addf(err, "cannot write %s: %s", store_gitconfig, strerror(errno));
		ret = ERR_UNAVAILABLE;
	}
out:
	buf_release(&cfg);
	free(repos);
	free(trash);
	free(gitdir);
	return ret;
}

const char *repo_store_data_dir(void)
{
	return store_data_dir;
}

const char *repo_store_gitconfig(void)
{
	return store_gitconfig;
}

const char *repo_store_home(void)
{
	return store_home;
}

const char *repo_store_hooks_dir(void)
{
	return store_hooks;
}

void repo_store_path(struct buf *out, int64_t project_id)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	struct buf hex = BUF_INIT;
	char id[32];

	snprintf(id, sizeof(id), "%lld", (long long)project_id);
	crypto_hash_sha256(digest, (const unsigned char *)id, strlen(id));
	buf_add_hex(&hex, digest, sizeof(digest));
	buf_addf(out, "%s/repositories/@hashed/%.2s/%.2s/%s.git", store_data_dir, hex.ptr,
		 hex.ptr + 2, hex.ptr);
	buf_release(&hex);
}

int repo_store_create(int64_t project_id, const char *default_branch)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	struct buf path = BUF_INIT, head = BUF_INIT;
	int ret;

	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	repo_store_path(&path, project_id);
	buf_addf(&head, "refs/heads/%s", default_branch);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		     GIT_REPOSITORY_INIT_NO_REINIT;
	opts.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
	opts.initial_head = head.ptr;
	ret = git_repository_init_ext(&repo, path.ptr, &opts);
	if (ret < 0) {
		const git_error *e = git_error_last();

		log_error("repo", "init failed project_id=%lld error=\"%s\"",
			  (long long)project_id, e ? e->message : "unknown");
		ret = ret == GIT_EEXISTS ? ERR_EXISTS : ERR_UNAVAILABLE;
	}
	git_repository_free(repo);
	buf_release(&path);
	buf_release(&head);
	return ret;
}

int repo_store_set_head(int64_t project_id, const char *branch)
{
	git_repository *repo = NULL;
	git_reference *ref = NULL;
	struct buf path = BUF_INIT, name = BUF_INIT;
	int ret;

	repo_store_path(&path, project_id);
	buf_addf(&name, "refs/heads/%s", branch);
	ret = git_repository_open_bare(&repo, path.ptr) < 0 ? ERR_UNAVAILABLE : 0;
	if (ret == 0 && git_reference_name_is_valid(&(int){ 0 }, name.ptr) < 0)
		ret = ERR_INVALID;
	/* An empty repository may name any branch (its first push creates it);
	 * otherwise the branch must exist, or clones would get no checkout. */
	if (ret == 0 && !git_repository_is_empty(repo) &&
	    git_reference_lookup(&ref, repo, name.ptr) < 0)
		ret = ERR_NOTFOUND;
	if (ret == 0 && git_repository_set_head(repo, name.ptr) < 0)
		ret = ERR_INTERNAL;
	git_reference_free(ref);
	git_repository_free(repo);
	buf_release(&path);
	buf_release(&name);
	return ret;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int repo_store_remove_tree(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : ERR_INTERNAL;
}

int repo_store_remove(int64_t project_id)
{
	struct buf path = BUF_INIT, trash = BUF_INIT;
	int ret = 0;

	repo_store_path(&path, project_id);
	buf_addf(&trash, "%s/trash/%lld-%lld.git", store_data_dir, (long long)project_id,
		 (long long)time_now_ms());
	/* The rename is atomic: a clone either sees the repository or nothing. */
	if (rename(path.ptr, trash.ptr) != 0) {
		ret = errno == ENOENT ? 0 : ERR_UNAVAILABLE;
	} else if (repo_store_remove_tree(trash.ptr) < 0) {
		log_warn("repo", "trash not removed path=%s", trash.ptr);
	}
	buf_release(&path);
	buf_release(&trash);
	return ret;
}

int repo_store_check(void)
{
	struct buf probe = BUF_INIT;
	int fd, ret = 0;

	buf_addf(&probe, "%s/trash/.readiness-%08x", store_data_dir, randombytes_random());
	fd = open(probe.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		ret = ERR_UNAVAILABLE;
	else
		close(fd);
	unlink(probe.ptr);
	buf_release(&probe);
	return ret;
}
