#include "backup.h"
#include "backup_int.h"
#include "dump.h"
#include "tar.h"
#include "app.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "git/gitproc.h"
#include "git/repo_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct backup {
	FILE *out;
	char *spool;		/* a private directory next to the output */
	json_t *files;		/* name -> {size, sha256} */
	json_t *tables;
	json_t *repos;
	int64_t *project_ids;
	size_t nprojects;
	uint64_t bytes;
};

void backup_progress(const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

void backup_progress_done(void)
{
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);
}

void backup_secrets_dir(struct buf *out)
{
	buf_addf(out, "%s/secrets", repo_store_data_dir());
}

void backup_sha_hex(struct crypto_hash_sha256_state *st, char out[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(st, digest);
	sodium_bin2hex(out, 65, digest, sizeof(digest));
}

/* Appends the file at path to the archive as name, hashing it on the way. */
static int add_file(struct backup *b, const char *name, const char *path)
{
	struct crypto_hash_sha256_state sha;
	unsigned char *chunk = xmalloc(BACKUP_COPY_CHUNK);
	uint64_t size, left;
	struct stat sb;
	char hex[65];
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		ret = ERR_UNAVAILABLE;
		goto out;
	}
	size = (uint64_t)sb.st_size;
	crypto_hash_sha256_init(&sha);
	ret = tar_write_header(b->out, name, size, time_now_ms() / 1000);
	for (left = size; ret == 0 && left > 0;) {
		ssize_t n = read(fd, chunk, left < BACKUP_COPY_CHUNK ? left : BACKUP_COPY_CHUNK);

		if (n <= 0) {
			ret = ERR_UNAVAILABLE;	/* the file shrank under us */
			break;
		}
		crypto_hash_sha256_update(&sha, chunk, (size_t)n);
		if (fwrite(chunk, 1, (size_t)n, b->out) != (size_t)n)
			ret = ERR_UNAVAILABLE;
		left -= (uint64_t)n;
	}
	if (ret == 0)
		ret = tar_write_pad(b->out, size);
	if (ret == 0) {
		backup_sha_hex(&sha, hex);
		json_object_set_new(b->files, name, json_pack("{s:I,s:s}", "size",
							      (json_int_t)size, "sha256", hex));
		b->bytes += size;
	}
out:
	if (fd >= 0)
		close(fd);
	free(chunk);
	return ret;
}

static int add_memory(struct backup *b, const char *name, const char *data, size_t n)
{
	struct crypto_hash_sha256_state sha;
	char hex[65];
	int ret;

	ret = tar_write_header(b->out, name, n, time_now_ms() / 1000);
	if (ret == 0 && fwrite(data, 1, n, b->out) != n)
		ret = ERR_UNAVAILABLE;
	if (ret == 0)
		ret = tar_write_pad(b->out, n);
	if (ret == 0 && b->files) {
		crypto_hash_sha256_init(&sha);
		crypto_hash_sha256_update(&sha, (const unsigned char *)data, n);
		backup_sha_hex(&sha, hex);
		json_object_set_new(b->files, name, json_pack("{s:I,s:s}", "size",
							      (json_int_t)n, "sha256", hex));
	}
	return ret;
}

static int collect_projects(struct backup *b, struct db *db)
{
	struct db_stmt *st = NULL;
	size_t alloc = 0;
	int ret;

	ret = db_queryp(db, &st, "SELECT id FROM projects ORDER BY id", "");
	for (; ret == 1; ret = db_step(st)) {
		if (b->nprojects == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			b->project_ids = xrealloc(b->project_ids, alloc * sizeof(*b->project_ids));
		}
		b->project_ids[b->nprojects++] = db_col_int64(st, 0);
	}
	db_stmt_free(st);
	return ret;
}

/* Every table in one read transaction: REPEATABLE READ on PostgreSQL, and on
 * SQLite a deferred transaction whose first read fixes the WAL snapshot. */
static int dump_database(struct backup *b, struct db *db, struct buf *err)
{
	int pg = db_dialect(db) == DB_POSTGRES;
	struct dump_schema schema = { NULL, 0 };
	struct buf path = BUF_INIT, name = BUF_INIT;
	int ret;

	ret = db_exec(db, pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" : "BEGIN");
	if (ret < 0) {
		buf_addf(err, "cannot start a snapshot transaction: %s", err_name(ret));
		return ret;
	}
	ret = dump_schema_read(db, &schema);
	for (size_t i = 0; ret == 0 && i < schema.n; i++) {
		const struct dump_table *t = &schema.tables[i];
		int64_t rows = 0;
		FILE *f;

		backup_progress("backup: table %zu/%zu %s", i + 1, schema.n, t->name);
		buf_reset(&path);
		buf_reset(&name);
		buf_addf(&path, "%s/table.jsonl", b->spool);
		buf_addf(&name, "db/%s.jsonl", t->name);
		f = fopen(path.ptr, "wbe");
		ret = f ? dump_table_write(db, t, f, &rows) : ERR_UNAVAILABLE;
		if (f && fclose(f) != 0 && ret == 0)
			ret = ERR_UNAVAILABLE;
		if (ret == 0)
			ret = add_file(b, name.ptr, path.ptr);
		unlink(path.ptr);
		if (ret == 0)
			json_array_append_new(b->tables, json_pack("{s:s,s:s,s:I}", "name", t->name,
								   "file", name.ptr, "rows",
								   (json_int_t)rows));
		else
			buf_addf(err, "cannot dump table %s: %s", t->name, err_name(ret));
	}
	if (ret == 0 && dump_schema_find(&schema, "projects"))
		ret = collect_projects(b, db);
	db_exec(db, "ROLLBACK");
	dump_schema_release(&schema);
	buf_release(&path);
	buf_release(&name);
	if (ret < 0 && !err->len)
		buf_addf(err, "cannot read the database: %s", err_name(ret));
	return ret;
}

/* "<oid> <ref>" lines up to the blank line that ends a bundle's header. */
static int bundle_refs(const char *path, json_t *refs)
{
	FILE *f = fopen(path, "rbe");
	char line[4096];
	int first = 1, ret = ERR_INTERNAL;

	while (f && fgets(line, sizeof(line), f)) {
		char *sp, *nl = strchr(line, '\n');

		if (!nl)
			break;
		*nl = '\0';
		if (first) {
			first = 0;
			if (strcmp(line, "# v2 git bundle") && strcmp(line, "# v3 git bundle"))
				break;
			continue;
		}
		if (!line[0]) {
			ret = 0;
			break;
		}
		sp = strchr(line, ' ');
		if (line[0] == '-' || line[0] == '@' || !sp)
			continue;	/* prerequisites and capabilities */
		*sp = '\0';
		if (strcmp(sp + 1, "HEAD"))
			json_object_set_new(refs, sp + 1, json_string(line));
	}
	if (f)
		fclose(f);
	return ret;
}

static int git_small(const char *dir, struct buf *out, const char *a1, const char *a2,
		     const char *a3)
{
	struct gitproc p = GITPROC_INIT;
	int ret;

	gitproc_env(&p, "GIT_DIR", dir);
	gitproc_arg(&p, a1);
	gitproc_arg(&p, a2);
	gitproc_arg(&p, a3);
	ret = gitproc_run(&p, out, 60 * 1000);
	gitproc_release(&p);
	return ret;
}

static int bundle_repo(struct backup *b, int64_t id, struct buf *err)
{
	struct gitproc p = GITPROC_INIT;
	struct buf dir = BUF_INIT, spool = BUF_INIT, name = BUF_INIT, out = BUF_INIT_MAX(4096);
	json_t *refs = json_object();
	struct stat sb;
	int ret;

	repo_store_path(&dir, id);
	buf_addf(&spool, "%s/repo.bundle", b->spool);
	buf_addf(&name, "repos/%lld.bundle", (long long)id);
	if (stat(dir.ptr, &sb) != 0) {
		/* Deleted since the snapshot: restore gives it an empty repository. */
		log_warn("backup", "repository missing project_id=%lld", (long long)id);
		ret = 0;
		goto out;
	}
	ret = git_small(dir.ptr, &out, "for-each-ref", "--count=1", "--format=%(refname)");
	if (ret < 0 || out.len == 0)
		goto out;	/* empty: git refuses an empty bundle; restore makes one */
	buf_reset(&out);
	gitproc_env(&p, "GIT_DIR", dir.ptr);
	gitproc_arg(&p, "bundle");
	gitproc_arg(&p, "create");
	gitproc_arg(&p, "--quiet");
	gitproc_arg_value(&p, spool.ptr);
	gitproc_arg(&p, "--all");
	ret = gitproc_run(&p, &out, BACKUP_GIT_MS);
	if (ret == 0)
		ret = bundle_refs(spool.ptr, refs);
	if (ret == 0)
		ret = add_file(b, name.ptr, spool.ptr);
	if (ret == 0) {
		buf_reset(&out);
		git_small(dir.ptr, &out, "symbolic-ref", "--quiet", "HEAD");
		while (out.len && out.ptr[out.len - 1] == '\n')
			buf_truncate(&out, out.len - 1);
		json_array_append_new(b->repos, json_pack("{s:I,s:s,s:s,s:O}", "project_id",
							  (json_int_t)id, "file", name.ptr,
							  "head", out.ptr, "refs", refs));
	}
out:
	if (ret < 0)
		buf_addf(err, "cannot bundle the repository of project %lld: %.200s", (long long)id,
			 p.err.len ? p.err.ptr : err_name(ret));
	unlink(spool.ptr);
	gitproc_release(&p);
	json_decref(refs);
	buf_release(&dir);
	buf_release(&spool);
	buf_release(&name);
	buf_release(&out);
	return ret;
}

static int add_secrets(struct backup *b, struct buf *err)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, name = BUF_INIT;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	backup_secrets_dir(&dir);
	d = opendir(dir.ptr);
	while (d && ret == 0 && (de = readdir(d))) {
		struct stat sb;

		buf_reset(&path);
		buf_reset(&name);
		buf_addf(&path, "%s/%s", dir.ptr, de->d_name);
		buf_addf(&name, "secrets/%s", de->d_name);
		if (de->d_name[0] == '.' || lstat(path.ptr, &sb) != 0 || !S_ISREG(sb.st_mode) ||
		    name.len > TAR_NAME_MAX)
			continue;	/* temporary files and anything but a plain file */
		ret = add_file(b, name.ptr, path.ptr);
		if (ret < 0)
			buf_addf(err, "cannot read %s: %s", path.ptr, strerror(errno));
	}
	if (d)
		closedir(d);
	buf_release(&dir);
	buf_release(&path);
	buf_release(&name);
	return ret;
}

static int add_manifest(struct backup *b, struct db *db)
{
	struct crypto_hash_sha256_state sha;
	char when[64], hex[65];
	int64_t now = time_now_ms();
	int version = 0, ret;
	json_t *m;
	char *text;

	ret = db_schema_version(db, &version);
	if (ret < 0)
		return ret;
	time_format_iso8601(when, sizeof(when), now);
	m = json_pack("{s:s,s:i,s:s,s:i,s:s,s:I,s:s,s:O,s:O,s:O}", "format", BACKUP_FORMAT,
		      "format_version", BACKUP_FORMAT_VERSION, "kura_version", KURA_VERSION,
		      "schema_version", version, "created_at", when, "created_at_ms",
		      (json_int_t)now, "driver",
		      db_dialect(db) == DB_POSTGRES ? "postgresql" : "sqlite", "tables", b->tables,
		      "repositories", b->repos, "files", b->files);
	text = json_dumps(m, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(m);
	if (!text)
		return ERR_INTERNAL;
	crypto_hash_sha256_init(&sha);
	crypto_hash_sha256_update(&sha, (const unsigned char *)text, strlen(text));
	backup_sha_hex(&sha, hex);
	hex[64] = '\n';
	ret = add_memory(b, BACKUP_MANIFEST, text, strlen(text));
	if (ret == 0)
		ret = add_memory(b, BACKUP_MANIFEST_SUM, hex, 65);
	free(text);
	return ret;
}

static int spool_open(struct backup *b, const char *output)
{
	struct buf tmpl = BUF_INIT;
	const char *slash = strrchr(output, '/');

	if (slash)
		buf_add(&tmpl, output, (size_t)(slash - output) + 1);
	buf_addstr(&tmpl, ".kura-backup-XXXXXX");
	if (!mkdtemp(tmpl.ptr)) {
		buf_release(&tmpl);
		return ERR_UNAVAILABLE;
	}
	b->spool = buf_detach(&tmpl, NULL);
	return 0;
}

static int finish_output(struct backup *b, const char *partial, const char *output)
{
	int ret = tar_write_end(b->out);

	if (ret == 0 && (fflush(b->out) != 0 || fsync(fileno(b->out)) != 0))
		ret = ERR_UNAVAILABLE;
	if (fclose(b->out) != 0 && ret == 0)
		ret = ERR_UNAVAILABLE;
	b->out = NULL;
	if (ret == 0 && rename(partial, output) != 0)
		ret = ERR_UNAVAILABLE;
	return ret;
}

int backup_create(struct app *app, const char *output, struct buf *err)
{
	struct backup b = { NULL, NULL, json_object(), json_array(), json_array(), NULL, 0, 0 };
	struct buf partial = BUF_INIT;
	struct db *db = db_get(app->pool);
	int ret;

	buf_addf(&partial, "%s.partial", output);
	ret = db ? spool_open(&b, output) : ERR_UNAVAILABLE;
	if (ret == 0) {
		b.out = fopen(partial.ptr, "wbe");
		ret = b.out ? 0 : ERR_UNAVAILABLE;
	}
	if (ret < 0) {
		buf_addf(err, "cannot write next to %s: %s", output, strerror(errno));
		goto out;
	}
	ret = dump_database(&b, db, err);
	for (size_t i = 0; ret == 0 && i < b.nprojects; i++) {
		backup_progress("backup: repository %zu/%zu, %.1f MB", i + 1, b.nprojects,
				(double)b.bytes / 1e6);
		ret = bundle_repo(&b, b.project_ids[i], err);
	}
	if (ret == 0)
		ret = add_secrets(&b, err);
	if (ret == 0)
		ret = add_manifest(&b, db);
	if (ret == 0)
		ret = finish_output(&b, partial.ptr, output);
	if (ret < 0 && !err->len)
		buf_addf(err, "cannot write %s: %s", output, strerror(errno));
	backup_progress_done();
out:
	if (b.out)
		fclose(b.out);
	if (ret < 0)
		unlink(partial.ptr);
	if (b.spool)
		rmdir(b.spool);
	free(b.spool);
	free(b.project_ids);
	json_decref(b.files);
	json_decref(b.tables);
	json_decref(b.repos);
	db_put(app->pool, db);
	buf_release(&partial);
	return ret;
}
