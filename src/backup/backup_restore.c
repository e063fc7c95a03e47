#include "backup.h"
#include "backup_int.h"
#include "dump.h"
#include "tar.h"
#include "app.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/gitproc.h"
#include "git/repo_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct restore {
	struct app *app;
	FILE *in;
	struct db *db;
	json_t *manifest;
	struct dump_schema schema;	/* the target database's tables */
	unsigned char *chunk;
	struct buf *err;
};

static const char *jstr(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

/* What an entry of the archive is, from its name alone. */
enum entry_kind { ENTRY_OTHER, ENTRY_TABLE, ENTRY_REPO, ENTRY_SECRET, ENTRY_MANIFEST,
		  ENTRY_MANIFEST_SUM };

static enum entry_kind entry_kind(const char *name, int64_t *id_out)
{
	size_t n = strlen(name);
	uint64_t id;

	if (!strcmp(name, BACKUP_MANIFEST))
		return ENTRY_MANIFEST;
	if (!strcmp(name, BACKUP_MANIFEST_SUM))
		return ENTRY_MANIFEST_SUM;
	if (!strncmp(name, "db/", 3) && n > 9 && !strcmp(name + n - 6, ".jsonl") &&
	    !strchr(name + 3, '/'))
		return ENTRY_TABLE;
	if (!strncmp(name, "secrets/", 8) && name[8] && name[8] != '.' && !strchr(name + 8, '/'))
		return ENTRY_SECRET;
	if (!strncmp(name, "repos/", 6) && n > 13 && !strcmp(name + n - 7, ".bundle")) {
		char digits[32];

		if (n - 13 >= sizeof(digits))
			return ENTRY_OTHER;
		memcpy(digits, name + 6, n - 13);
		digits[n - 13] = '\0';
		if (parse_u64(digits, INT64_MAX, &id) == 0 && id > 0) {
			*id_out = (int64_t)id;
			return ENTRY_REPO;
		}
	}
	return ENTRY_OTHER;
}

/* Reads the next n bytes of the entry into r->chunk (n <= chunk size). */
static int read_chunk(struct restore *r, size_t n)
{
	if (fread(r->chunk, 1, n, r->in) == n)
		return 0;
	buf_addstr(r->err, "the archive is truncated");
	return ERR_INVALID;
}

static size_t chunk_len(uint64_t left)
{
	return left < BACKUP_COPY_CHUNK ? (size_t)left : BACKUP_COPY_CHUNK;
}

/* Pass one: read everything, write nothing. Every entry must be one kura
 * writes, listed in the manifest with its size and SHA-256. */
static int verify_entry(struct restore *r, const struct tar_entry *e, json_t *seen,
			struct buf *manifest, struct buf *sum)
{
	struct crypto_hash_sha256_state sha;
	int64_t id;
	enum entry_kind kind = entry_kind(e->name, &id);
	struct buf *keep = kind == ENTRY_MANIFEST ? manifest : kind == ENTRY_MANIFEST_SUM ? sum
										   : NULL;
	char hex[65];
	int ret = 0;

	if (kind == ENTRY_OTHER) {
		buf_addstr(r->err, "the archive holds an entry kura does not write: ");
		buf_add_quoted(r->err, e->name, strlen(e->name), 64);
		return ERR_INVALID;
	}
	if (json_object_get(seen, e->name)) {
		buf_addf(r->err, "the archive holds %s twice", e->name);
		return ERR_INVALID;
	}
	if (keep && e->size > keep->max) {
		buf_addf(r->err, "the archive's %s is too large", e->name);
		return ERR_INVALID;
	}
	crypto_hash_sha256_init(&sha);
	for (uint64_t left = e->size; ret == 0 && left > 0; left -= chunk_len(left)) {
		ret = read_chunk(r, chunk_len(left));
		if (ret == 0)
			crypto_hash_sha256_update(&sha, r->chunk, chunk_len(left));
		if (ret == 0 && keep)
			buf_add(keep, r->chunk, chunk_len(left));
	}
	if (ret == 0)
		ret = tar_read_pad(r->in, e->size, r->err);
	if (ret == 0) {
		backup_sha_hex(&sha, hex);
		json_object_set_new(seen, e->name, json_pack("{s:I,s:s}", "size",
							     (json_int_t)e->size, "sha256", hex));
	}
	return ret;
}

static int check_manifest(struct restore *r, json_t *seen, const struct buf *text,
			  const struct buf *sum)
{
	struct crypto_hash_sha256_state sha;
	const char *name;
	json_t *files, *want, *got;
	char hex[65];
	int version;

	if (!json_object_get(seen, BACKUP_MANIFEST) || sum->len < 64) {
		buf_addstr(r->err, "the archive has no manifest: not a kura backup, or truncated");
		return ERR_INVALID;
	}
	crypto_hash_sha256_init(&sha);
	crypto_hash_sha256_update(&sha, (const unsigned char *)text->ptr, text->len);
	backup_sha_hex(&sha, hex);
	if (strncmp(hex, sum->ptr, 64)) {
		buf_addstr(r->err, "checksum mismatch for manifest.json: the archive is damaged");
		return ERR_INVALID;
	}
	r->manifest = json_loadb(text->ptr, text->len, JSON_REJECT_DUPLICATES, NULL);
	files = json_object_get(r->manifest, "files");
	version = (int)json_integer_value(json_object_get(r->manifest, "schema_version"));
	if (!json_is_object(files) ||
	    strcmp(jstr(json_object_get(r->manifest, "format")), BACKUP_FORMAT) ||
	    json_integer_value(json_object_get(r->manifest, "format_version")) !=
		    BACKUP_FORMAT_VERSION) {
		buf_addstr(r->err, "the manifest is not one of a kura backup this version reads");
		return ERR_INVALID;
	}
	if (version < 1 || version > db_schema_latest()) {
		buf_addf(r->err, "the backup has schema version %d; this kura knows up to %d",
			 version, db_schema_latest());
		return ERR_INVALID;
	}
	json_object_foreach(seen, name, got) {
		if (!strcmp(name, BACKUP_MANIFEST) || !strcmp(name, BACKUP_MANIFEST_SUM))
			continue;
		want = json_object_get(files, name);
		if (!json_equal(want, got)) {
			buf_addf(r->err, "checksum mismatch for %s: the archive is damaged", name);
			return ERR_INVALID;
		}
	}
	json_object_foreach(files, name, want) {
		if (!json_object_get(seen, name)) {
			buf_addf(r->err, "%s, listed in the manifest, is missing from the archive",
				 name);
			return ERR_INVALID;
		}
	}
	return 0;
}

static int verify_archive(struct restore *r)
{
	struct buf manifest = BUF_INIT_MAX(BACKUP_MANIFEST_MAX), sum = BUF_INIT_MAX(65);
	struct tar_entry e;
	json_t *seen = json_object();
	int ret;

	backup_progress("restore: verifying checksums");
	while ((ret = tar_read_header(r->in, &e, r->err)) == 1)
		if ((ret = verify_entry(r, &e, seen, &manifest, &sum)) < 0)
			break;
	if (ret == 0)
		ret = check_manifest(r, seen, &manifest, &sum);
	json_decref(seen);
	buf_release(&manifest);
	buf_release(&sum);
	return ret;
}

static int skip_entry(struct restore *r, const struct tar_entry *e)
{
	uint64_t padded = (e->size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;

	return fseeko(r->in, (off_t)padded, SEEK_CUR) == 0 ? 0 : ERR_UNAVAILABLE;
}

static int load_line(struct restore *r, struct dump_loader **l, struct buf *line)
{
	if (!*l)
		return dump_load_begin(l, r->db, &r->schema, line->ptr, line->len, r->err);
	return dump_load_row(*l, line->ptr, line->len, r->err);
}

static int64_t manifest_rows(struct restore *r, const char *file)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(r->manifest, "tables"), i, t)
		if (!strcmp(jstr(json_object_get(t, "file")), file))
			return json_integer_value(json_object_get(t, "rows"));
	return -1;
}

/* Streams one db/<table>.jsonl entry into the database, line by line. */
static int load_table(struct restore *r, const struct tar_entry *e)
{
	struct buf line = BUF_INIT_MAX(BACKUP_LINE_MAX);
	struct dump_loader *l = NULL;
	int ret = 0;

	for (uint64_t left = e->size; ret == 0 && left > 0; left -= chunk_len(left)) {
		size_t n = chunk_len(left), start = 0;

		ret = read_chunk(r, n);
		for (size_t i = 0; ret == 0 && i < n; i++) {
			if (r->chunk[i] != '\n')
				continue;
			buf_add(&line, r->chunk + start, i - start);
			ret = buf_error(&line) ? ERR_TOOBIG : load_line(r, &l, &line);
			buf_reset(&line);
			start = i + 1;
		}
		if (ret == 0)
			buf_add(&line, r->chunk + start, n - start);
	}
	if (ret == 0 && line.len)
		ret = buf_error(&line) ? ERR_TOOBIG : load_line(r, &l, &line);
	if (ret == 0 && l)
		ret = dump_load_finish(l, r->err);
	if (ret == 0 && (!l || dump_loader_rows(l) != manifest_rows(r, e->name))) {
		buf_addf(r->err, "%s does not hold the rows the manifest counts", e->name);
		ret = ERR_INVALID;
	}
	if (ret == 0)
		ret = tar_read_pad(r->in, e->size, r->err);
	if (ret == ERR_TOOBIG)
		buf_addf(r->err, "a row in %s is too long", e->name);
	dump_loader_free(l);
	buf_release(&line);
	return ret;
}

/* Pass two: the tables, in the archive's (dependency) order, in one
 * transaction; then each id sequence moves past the restored ids. */
static int restore_tables(struct restore *r)
{
	struct tar_entry e;
	int64_t id;
	size_t done = 0, total = json_array_size(json_object_get(r->manifest, "tables"));
	int ret;

	/* Migrations seed rows (the first sweep job): the archive carries its
	 * own, so the tables start empty, within the same transaction. */
	ret = db_tx_begin(r->db);
	if (ret < 0)
		return ret;
	ret = dump_db_wipe(r->db, &r->schema);
	while (ret == 0 && (ret = tar_read_header(r->in, &e, r->err)) == 1) {
		if (entry_kind(e.name, &id) != ENTRY_TABLE) {
			ret = skip_entry(r, &e);
			continue;
		}
		backup_progress("restore: table %zu/%zu %s", ++done, total, e.name + 3);
		ret = load_table(r, &e);
	}
	for (size_t i = 0; ret == 0 && i < r->schema.n; i++)
		ret = dump_advance_sequence(r->db, &r->schema.tables[i]);
	if (ret < 0 && !r->err->len)
		buf_addf(r->err, "loading the tables failed: %s", err_name(ret));
	return db_tx_end(r->db, ret);
}

/* The branch HEAD named when the backup was taken. */
static const char *manifest_head(struct restore *r, const char *file)
{
	size_t i;
	json_t *repo;

	json_array_foreach(json_object_get(r->manifest, "repositories"), i, repo) {
		const char *head = json_string_value(json_object_get(repo, "head"));

		if (!strcmp(jstr(json_object_get(repo, "file")), file) && head &&
		    !strncmp(head, "refs/heads/", 11) && head[11])
			return head + 11;
	}
	return "main";
}

static int copy_entry_to(struct restore *r, const struct tar_entry *e, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int ret = fd < 0 ? ERR_UNAVAILABLE : 0;

	for (uint64_t left = e->size; ret == 0 && left > 0; left -= chunk_len(left)) {
		ret = read_chunk(r, chunk_len(left));
		if (ret == 0 && write(fd, r->chunk, chunk_len(left)) != (ssize_t)chunk_len(left))
			ret = ERR_UNAVAILABLE;
	}
	if (ret == 0 && fsync(fd) != 0)
		ret = ERR_UNAVAILABLE;
	if (fd >= 0)
		close(fd);
	if (ret == 0)
		ret = tar_read_pad(r->in, e->size, r->err);
	if (ret < 0 && !r->err->len)
		buf_addf(r->err, "cannot write %s: %s", path, strerror(errno));
	return ret;
}

/* A fresh bare repository at the project's hashed path (kura's HEAD and
 * config), then every ref and object of the bundle, each object fsck'ed. */
static int restore_repo(struct restore *r, const struct tar_entry *e, int64_t id)
{
	struct gitproc p = GITPROC_INIT;
	struct buf spool = BUF_INIT, dir = BUF_INIT, out = BUF_INIT_MAX(4096);
	int ret;

	buf_addf(&spool, "%s/trash/restore-%lld-%08x.bundle", repo_store_data_dir(),
		 (long long)id, randombytes_random());
	ret = copy_entry_to(r, e, spool.ptr);
	if (ret == 0)
		ret = repo_store_create(id, manifest_head(r, e->name));
	if (ret < 0) {
		if (!r->err->len)
			buf_addf(r->err, "cannot create the repository of project %lld: %s",
				 (long long)id, err_name(ret));
		goto out;
	}
	repo_store_path(&dir, id);
	gitproc_env(&p, "GIT_DIR", dir.ptr);
	gitproc_arg(&p, "-c");
	gitproc_arg(&p, "protocol.file.allow=always");	/* a bundle is read as a file */
	gitproc_arg(&p, "fetch");
	gitproc_arg(&p, "--quiet");
	gitproc_arg(&p, "--no-write-fetch-head");
	gitproc_arg(&p, "--no-auto-gc");
	gitproc_arg(&p, "--end-of-options");
	gitproc_arg_value(&p, spool.ptr);
	gitproc_arg(&p, "+refs/*:refs/*");
	ret = gitproc_run(&p, &out, BACKUP_GIT_MS);
	if (ret < 0)
		buf_addf(r->err, "cannot restore the repository of project %lld: %.200s",
			 (long long)id, p.err.len ? p.err.ptr : "git failed");
out:
	unlink(spool.ptr);
	gitproc_release(&p);
	buf_release(&spool);
	buf_release(&dir);
	buf_release(&out);
	return ret;
}

static int restore_secret(struct restore *r, const struct tar_entry *e)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, tmp = BUF_INIT;
	int ret;

	backup_secrets_dir(&dir);
	buf_addf(&path, "%s/%s", dir.ptr, e->name + 8);
	buf_addf(&tmp, "%s/.restore-%08x", dir.ptr, randombytes_random());
	ret = mkdir(dir.ptr, 0700) == 0 || errno == EEXIST ? 0 : ERR_UNAVAILABLE;
	if (ret == 0)
		ret = copy_entry_to(r, e, tmp.ptr);
	if (ret == 0 && rename(tmp.ptr, path.ptr) != 0)
		ret = ERR_UNAVAILABLE;
	if (ret < 0) {
		unlink(tmp.ptr);
		if (!r->err->len)
			buf_addf(r->err, "cannot write %s: %s", path.ptr, strerror(errno));
	}
	buf_release(&dir);
	buf_release(&path);
	buf_release(&tmp);
	return ret;
}

/* Pass three: repositories and secrets. */
static int restore_files(struct restore *r)
{
	struct tar_entry e;
	size_t done = 0, total = json_array_size(json_object_get(r->manifest, "repositories"));
	int64_t id;
	int ret = 0;

	while (ret == 0 && (ret = tar_read_header(r->in, &e, r->err)) == 1) {
		enum entry_kind kind = entry_kind(e.name, &id);

		if (kind == ENTRY_REPO) {
			backup_progress("restore: repository %zu/%zu", ++done, total);
			ret = restore_repo(r, &e, id);
		} else if (kind == ENTRY_SECRET) {
			ret = restore_secret(r, &e);
		} else {
			ret = skip_entry(r, &e);
		}
	}
	return ret;
}

/* Projects whose repository was empty (or gone) at backup time get an
 * empty one, so every project row has its directory. */
static int create_missing_repos(struct restore *r)
{
	struct db_stmt *st = NULL;
	struct buf dir = BUF_INIT;
	int ret;

	ret = db_queryp(r->db, &st, "SELECT id, default_branch FROM projects ORDER BY id", "");
	for (; ret == 1; ret = db_step(st)) {
		const char *branch = db_col_text(st, 1);

		buf_reset(&dir);
		repo_store_path(&dir, db_col_int64(st, 0));
		if (access(dir.ptr, F_OK) == 0)
			continue;
		ret = repo_store_create(db_col_int64(st, 0), branch && *branch ? branch : "main");
		if (ret < 0)
			break;
	}
	db_stmt_free(st);
	buf_release(&dir);
	if (ret < 0 && !r->err->len)
		buf_addf(r->err, "cannot create empty repositories: %s", err_name(ret));
	return ret;
}

static int rewind_archive(struct restore *r)
{
	return fseeko(r->in, 0, SEEK_SET) == 0 ? 0 : ERR_UNAVAILABLE;
}

/* The data directory holds nothing but what kura creates on any start
 * (and SQLite's files, whose rows are checked apart). */
static int data_dir_problem(struct buf *what)
{
	static const char *const allowed[] = { "git", "repositories", "trash", "secrets",
					       "kura.db", "kura.db-wal", "kura.db-shm" };
	struct buf path = BUF_INIT;
	struct dirent *de;
	DIR *d = opendir(repo_store_data_dir());
	size_t i;

	while (d && !what->len && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
			if (!strcmp(de->d_name, allowed[i]))
				break;
		if (i == sizeof(allowed) / sizeof(*allowed))
			buf_addf(what, "%s holds %.64s", repo_store_data_dir(), de->d_name);
	}
	if (d)
		closedir(d);
	for (i = 0; i < 2 && !what->len; i++) {
		buf_reset(&path);
		if (i == 0)
			buf_addf(&path, "%s/repositories/@hashed", repo_store_data_dir());
		else
			backup_secrets_dir(&path);
		d = opendir(path.ptr);
		while (d && !what->len && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				buf_addf(what, "%s is not empty", path.ptr);
		if (d)
			closedir(d);
	}
	buf_release(&path);
	return what->len ? 1 : 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* --force: the repositories go to the trash; the tables are emptied in the
 * transaction that loads them. */
static int wipe_target(struct restore *r)
{
	struct buf repos = BUF_INIT, trash = BUF_INIT;
	int ret = 0;

	buf_addf(&repos, "%s/repositories/@hashed", repo_store_data_dir());
	buf_addf(&trash, "%s/trash/restore-%lld", repo_store_data_dir(), (long long)time_now_ms());
	if (ret == 0 && rename(repos.ptr, trash.ptr) == 0) {
		if (mkdir(repos.ptr, 0700) != 0)
			ret = ERR_UNAVAILABLE;
		nftw(trash.ptr, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	if (ret < 0)
		buf_addf(r->err, "cannot empty the target: %s", err_name(ret));
	buf_release(&repos);
	buf_release(&trash);
	return ret;
}

static int check_target(struct restore *r, int force, int *wipe_out)
{
	struct buf what = BUF_INIT_MAX(512);
	int empty = 0, ret;

	ret = dump_db_is_empty(r->db, &r->schema, &empty);
	if (ret < 0) {
		buf_addf(r->err, "cannot read the target database: %s", err_name(ret));
		return ret;
	}
	if (!empty)
		buf_addstr(&what, "the target database has users");
	else
		data_dir_problem(&what);
	*wipe_out = what.len > 0;
	if (what.len && !force) {
		buf_addf(r->err, "the target is not empty (%s); restore into an empty data"
			 " directory and database, or add --force to replace them", what.ptr);
		ret = ERR_EXISTS;
	}
	buf_release(&what);
	return ret;
}

int backup_restore(struct app *app, const char *file, int force, struct buf *err)
{
	struct restore r = { app, NULL, db_get(app->pool), NULL, { NULL, 0 }, NULL, err };
	int64_t started = time_mono_ms();
	struct stat sb;
	int wipe = 0, ret;

	ret = r.db ? dump_schema_read(r.db, &r.schema) : ERR_UNAVAILABLE;
	if (ret < 0) {
		buf_addf(err, "cannot read the target database: %s", err_name(ret));
		goto out;
	}
	ret = check_target(&r, force, &wipe);
	if (ret < 0)
		goto out;
	r.in = fopen(file, "rbe");
	if (!r.in || fstat(fileno(r.in), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		buf_addf(err, "cannot read %s: %s", file, r.in ? "not a regular file" : strerror(errno));
		ret = ERR_INVALID;
		goto out;
	}
	r.chunk = xmalloc(BACKUP_COPY_CHUNK);
	ret = verify_archive(&r);
	if (ret == 0 && wipe)
		ret = wipe_target(&r);
	if (ret == 0)
		ret = rewind_archive(&r);
	if (ret == 0)
		ret = restore_tables(&r);
	if (ret == 0)
		ret = rewind_archive(&r);
	if (ret == 0)
		ret = restore_files(&r);
	if (ret == 0)
		ret = create_missing_repos(&r);
	backup_progress_done();
	if (ret == 0)
		log_info("backup", "restored file=%s ms=%lld", file,
			 (long long)(time_mono_ms() - started));
	else if (!err->len)
		buf_addf(err, "restore failed: %s", err_name(ret));
out:
	if (r.in)
		fclose(r.in);
	free(r.chunk);
	json_decref(r.manifest);
	dump_schema_release(&r.schema);
	if (r.db)
		db_put(app->pool, r.db);
	return ret;
}
