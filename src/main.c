/* kura: the command line. */
#include "app.h"
#include "backup/backup.h"
#include "cli/cli.h"
#include "core/log.h"
#include "hooks/hook.h"
#include "import/remote.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fputs("usage: kura serve [--config FILE]\n"
	      "       kura migrate [--config FILE]\n"
	      "       kura admin <command> [options]   (kura admin help)\n"
	      "       kura import --url URL --namespace GROUP/PATH | --from-file repos.csv\n"
	      "       kura backup create --output FILE | restore FILE [--force]\n"
	      "       kura healthcheck [--config FILE]   (exit 0 when the local server is ready)\n"
	      "       kura version\n", out);
}

int main(int argc, char **argv)
{
	const char *config_file = NULL;
	struct app app;
	int ret, i = 2;

	const char *base = strrchr(argv[0], '/');

	/* git runs DATA/git/hooks/pre-receive, a link to this binary. */
	base = base ? base + 1 : argv[0];
	/* git runs this binary as GIT_ASKPASS for import and mirror credentials. */
	if (remote_is_askpass())
		return remote_askpass_main(argc, argv);
	if (hook_is_hook_name(base))
		return hook_main(base);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* Only the server's stdout is a log stream; a command's stdout is its
	 * answer (create-token prints the token and nothing else). */
	if (strcmp(argv[1], "serve"))
		log_set_fd(STDERR_FILENO);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("kura %s\n", KURA_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "healthcheck"))
		return cli_healthcheck(argc > 3 && !strcmp(argv[2], "--config") ? argv[3] : NULL);
	if (!strcmp(argv[1], "backup"))
		return cli_backup(argc - 2, argv + 2);
	if (strcmp(argv[1], "serve") && strcmp(argv[1], "migrate") && strcmp(argv[1], "admin") &&
	    strcmp(argv[1], "import")) {
		fprintf(stderr, "kura: unknown command '%.64s' (kura help lists them)\n", argv[1]);
		return EXIT_USAGE;
	}
	if (argc > 3 && !strcmp(argv[2], "--config")) {
		config_file = argv[3];
		i = 4;
	}
	if (!strcmp(argv[1], "admin") && (argc <= i || !strcmp(argv[i], "help"))) {
		return cli_admin(NULL, argc - i, argv + i);
	}
	if (strcmp(argv[1], "admin") && strcmp(argv[1], "import") && argc > i) {
		fprintf(stderr, "kura: unexpected argument '%s'\n", argv[i]);
		return EXIT_USAGE;
	}
	ret = cli_app_open(&app, config_file);
	if (ret != 0)
		return ret;
	if (!strcmp(argv[1], "serve"))
		ret = cli_serve(&app);
	else if (!strcmp(argv[1], "admin"))
		ret = cli_admin(&app, argc - i, argv + i);
	else if (!strcmp(argv[1], "import"))
		ret = cli_import(&app, argc - i, argv + i);
	else
		printf("kura: database is at the latest schema version\n");
	cli_app_close(&app);
	return ret;
}
