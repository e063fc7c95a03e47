/* kura backup create --output FILE | restore FILE [--force]: the command
 * line around backup/. Both run beside a live server (create) or before the
 * first start (restore) and open the database and storage themselves. */
#include "cli.h"
#include "app.h"
#include "backup/backup.h"
#include "core/buf.h"
#include "core/err.h"

#include <stdio.h>
#include <string.h>

static void backup_usage(FILE *out)
{
	fputs("usage: kura backup create --output FILE [--config FILE]\n"
	      "       kura backup restore FILE [--force] [--config FILE]\n", out);
}

/* Prints one line, with control characters replaced. */
static void print_line(const char *what, const char *s)
{
	fprintf(stderr, "kura: %s", what);
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, stderr);
	fputc('\n', stderr);
}

/* The high-water mark of this image's memory. getrusage's ru_maxrss would
 * also count the image of whoever forked us before exec. */
static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6)) {
			for (const char *p = line + 6; *p; p++)
				if (*p >= '0' && *p <= '9')
					kb = kb * 10 + (*p - '0');
			break;
		}
	if (f)
		fclose(f);
	return kb;
}

static int run(const char *cmd, const char *config, const char *file, int force)
{
	struct buf err = BUF_INIT_MAX(2048);
	struct app app;
	int ret;

	ret = cli_app_open(&app, config);
	if (ret != 0)
		return ret;
	if (!strcmp(cmd, "create"))
		ret = backup_create(&app, file, &err);
	else
		ret = backup_restore(&app, file, force, &err);
	cli_app_close(&app);
	if (ret == 0) {
		printf("kura: backup %s %s (peak memory %ld KiB)\n",
		       !strcmp(cmd, "create") ? "written to" : "restored from", file, peak_rss_kb());
	} else {
		print_line(!strcmp(cmd, "create") ? "backup failed: " : "restore refused: ",
			   err.len ? err.ptr : err_name(ret));
	}
	buf_release(&err);
	if (ret == 0)
		return 0;
	return ret == ERR_EXISTS || ret == ERR_INVALID ? EXIT_USAGE : 1;
}

int cli_backup(int argc, char **argv)
{
	const char *cmd = argc > 0 ? argv[0] : "", *config = NULL, *file = NULL;
	int force = 0;

	if (strcmp(cmd, "create") && strcmp(cmd, "restore")) {
		backup_usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			config = argv[++i];
		} else if (!strcmp(argv[i], "--output") && i + 1 < argc && !strcmp(cmd, "create")) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "--force") && !strcmp(cmd, "restore")) {
			force = 1;
		} else if (argv[i][0] != '-' && !file && !strcmp(cmd, "restore")) {
			file = argv[i];
		} else {
			print_line("unexpected argument: ", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!file || !*file) {
		backup_usage(stderr);
		return EXIT_USAGE;
	}
	return run(cmd, config, file, force);
}
