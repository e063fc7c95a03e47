/* kura import: one repository from a URL, or many from a CSV file.
 *
 *   kura import --url URL --namespace GROUP/PATH [--name NAME]
 *               [--visibility private|internal|public]
 *               [--username U --password-stdin | --token-stdin]
 *               [--mirror [--interval SECONDS]]
 *   kura import --from-file repos.csv [--username U --password-stdin | --token-stdin]
 *
 * CSV columns: url, target namespace/path, optional name, optional
 * visibility. A first row starting with "url" is a header; blank lines and
 * lines starting with '#' are skipped. One result line per repository on
 * stdout and a summary; exit status 1 when any failed. Re-running imports
 * fetches again into the projects created before. */
#include "cli.h"
#include "app.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "db/db.h"
#include "import/import.h"
#include "jobs/jobs.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMPORT_CSV_MAX_LINE 8192
#define IMPORT_CSV_MAX_ROWS 100000

struct import_opts {
	const char *url, *target, *name, *visibility, *file, *username, *interval;
	int password_stdin, token_stdin, mirror;
};

static int usage(void)
{
	fputs("usage: kura import --url URL --namespace GROUP/PATH [--name NAME]\n"
	      "                   [--visibility private|internal|public]\n"
	      "                   [--username U --password-stdin | --token-stdin]\n"
	      "                   [--mirror [--interval SECONDS]]\n"
	      "       kura import --from-file repos.csv [--username U --password-stdin |"
	      " --token-stdin]\n", stderr);
	return EXIT_USAGE;
}

static int parse_opts(struct import_opts *o, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = !strcmp(a, "--url") ? &o->url :
				    !strcmp(a, "--namespace") ? &o->target :
				    !strcmp(a, "--name") ? &o->name :
				    !strcmp(a, "--visibility") ? &o->visibility :
				    !strcmp(a, "--from-file") ? &o->file :
				    !strcmp(a, "--username") ? &o->username :
				    !strcmp(a, "--interval") ? &o->interval : NULL;

		if (slot) {
			if (i + 1 >= argc)
				return ERR_INVALID;
			*slot = argv[++i];
		} else if (!strcmp(a, "--password-stdin")) {
			o->password_stdin = 1;
		} else if (!strcmp(a, "--token-stdin")) {
			o->token_stdin = 1;
		} else if (!strcmp(a, "--mirror")) {
			o->mirror = 1;
		} else {
			fprintf(stderr, "kura import: unknown option '%.64s'\n", a);
			return ERR_INVALID;
		}
	}
	if (!o->file == !o->url || (o->url && !o->target) || (o->password_stdin && o->token_stdin))
		return ERR_INVALID;
	return 0;
}

/* The secret from the first line of stdin (never from argv). */
static int read_secret(struct buf *out)
{
	char line[1100];
	size_t n;

	if (!fgets(line, sizeof(line), stdin))
		return ERR_INVALID;
	n = strcspn(line, "\r\n");
	buf_add(out, line, n);
	sodium_memzero(line, sizeof(line));
	return n ? 0 : ERR_INVALID;
}

/* Splits one CSV line into at most 4 fields, with "quoted, fields". */
static int csv_split(char *line, char **f, int max)
{
	int n = 0;
	char *s = line;

	while (n < max) {
		char *w;

		f[n++] = w = s;
		if (*s == '"') {
			s++;
			for (;;) {
				if (!*s)
					return -1;
				if (*s == '"' && s[1] == '"') {
					*w++ = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else {
					*w++ = *s++;
				}
			}
			if (*s && *s != ',')
				return -1;
		} else {
			while (*s && *s != ',')
				*w++ = *s++;
		}
		if (!*s) {
			*w = '\0';
			break;
		}
		*w = '\0';
		s++;
	}
	for (int i = 0; i < n; i++) {
		while (*f[i] == ' ')
			f[i]++;
		for (size_t len = strlen(f[i]); len && f[i][len - 1] == ' '; len--)
			f[i][len - 1] = '\0';
	}
	return n;
}

static int import_one(struct app *app, struct import_req *req, int progress, int idx, int total)
{
	struct buf err = BUF_INIT_MAX(1024);
	struct db *db;
	int64_t id = 0;
	int created = 0, ret;

	if (progress) {
		fprintf(stderr, "\r\033[K[%d/%d] importing %.200s ...", idx, total, req->full_path);
		fflush(stderr);
	}
	db = db_get(app->pool);
	ret = db ? import_run(db, req, jobs_outbound_allow(), &id, &created, &err)
		 : ERR_UNAVAILABLE;
	db_put(app->pool, db);
	if (progress)
		fputs("\r\033[K", stderr);
	if (ret == 0)
		printf("ok %s id=%lld %s\n", req->full_path, (long long)id,
		       created ? "imported" : "updated");
	else
		printf("failed %s: %s\n", req->full_path, err.len ? err.ptr : err_name(ret));
	fflush(stdout);
	buf_release(&err);
	return ret;
}

static int import_file(struct app *app, const struct import_opts *o, const char *secret)
{
	FILE *f = strcmp(o->file, "-") ? fopen(o->file, "r") : stdin;
	char line[IMPORT_CSV_MAX_LINE];
	int total = 0, ok = 0, failed = 0, lineno = 0, progress = isatty(2);
	long start;

	if (!f) {
		fprintf(stderr, "kura import: cannot read %.200s\n", o->file);
		return EXIT_USAGE;
	}
	/* Count the rows first, for the progress line. */
	start = ftell(f);
	while (fgets(line, sizeof(line), f))
		total++;
	if (start >= 0)
		fseek(f, start, SEEK_SET);
	while (fgets(line, sizeof(line), f) && lineno < IMPORT_CSV_MAX_ROWS) {
		struct import_req req = { 0 };
		char *fields[4] = { NULL, NULL, NULL, NULL };
		int n;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			printf("failed line %d: longer than %d bytes\n", lineno,
			       IMPORT_CSV_MAX_LINE - 2);
			failed++;
			continue;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#' || (lineno == 1 && !strncmp(line, "url", 3)))
			continue;
		n = csv_split(line, fields, 4);
		if (n < 2 || !fields[0][0] || !fields[1][0]) {
			printf("failed line %d: expected url,namespace/path[,name[,visibility]]\n",
			       lineno);
			failed++;
			continue;
		}
		req.url = fields[0];
		req.full_path = fields[1];
		req.name = n > 2 && fields[2][0] ? fields[2] : NULL;
		req.visibility = n > 3 && fields[3][0] ? fields[3] : NULL;
		req.username = o->username;
		req.password = secret;
		if (import_one(app, &req, progress, lineno, total) == 0)
			ok++;
		else
			failed++;
	}
	if (f != stdin)
		fclose(f);
	printf("%d imported, %d failed\n", ok, failed);
	return failed ? 1 : 0;
}

int cli_import(struct app *app, int argc, char **argv)
{
	struct import_opts o = { 0 };
	struct import_req req = { 0 };
	struct buf secret = BUF_INIT_MAX(1024), err = BUF_INIT;
	uint64_t interval = 0;
	int ret;

	if (parse_opts(&o, argc, argv) < 0)
		return usage();
	if (o.interval && parse_u64(o.interval, IMPORT_INTERVAL_MAX_S, &interval) < 0) {
		fprintf(stderr, "kura import: --interval must be 1 to %d seconds\n",
			IMPORT_INTERVAL_MAX_S);
		return EXIT_USAGE;
	}
	if ((o.password_stdin || o.token_stdin) && read_secret(&secret) < 0) {
		fprintf(stderr, "kura import: no secret on stdin\n");
		return EXIT_USAGE;
	}
	/* Our own JSON log lines would mix with the result lines on stdout. */
	log_set_level(LOG_ERROR);
	if (jobs_init(&app->cfg, &err) < 0) {
		fprintf(stderr, "kura import: %s\n", err.ptr);
		ret = EXIT_USAGE;
		goto out;
	}
	if (o.file) {
		ret = import_file(app, &o, secret.len ? secret.ptr : NULL);
		goto out;
	}
	req.url = o.url;
	req.full_path = o.target;
	req.name = o.name;
	req.visibility = o.visibility;
	req.username = o.username;
	req.password = secret.len ? secret.ptr : NULL;
	req.mirror = o.mirror;
	req.interval_s = (int64_t)interval;
	ret = import_one(app, &req, isatty(2), 1, 1) == 0 ? 0 : 1;
out:
	jobs_release();
	sodium_memzero(secret.ptr, secret.len);
	buf_release(&secret);
	buf_release(&err);
	return ret;
}
