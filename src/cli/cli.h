/* Subcommands of the kura binary. Each returns the process exit status:
 * 0 success, 1 runtime failure, 2 bad usage, configuration or input. */
#ifndef KURA_CLI_H
#define KURA_CLI_H

struct app;

#define EXIT_USAGE 2

/* Loads configuration, storage and database (migrating them) for any
 * command that needs them. Prints one line and returns EXIT_USAGE on
 * failure. */
int cli_app_open(struct app *app, const char *config_file);
void cli_app_close(struct app *app);

int cli_serve(struct app *app);
int cli_admin(struct app *app, int argc, char **argv);
/* kura import: repositories from URLs (see cli/import.c). */
int cli_import(struct app *app, int argc, char **argv);
/* 0 when the local server answers /-/readiness with 200, else 1. */
int cli_healthcheck(const char *config_file);

#endif
