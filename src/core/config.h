/* Configuration: an INI file (keys at top level or under [kura]) with every
 * key overridable by an environment variable KURA_<KEY in upper case>. */
#ifndef KURA_CONFIG_H
#define KURA_CONFIG_H
#include <stdint.h>

struct buf;

struct config {
	char *listen_host;	/* "127.0.0.1" */
	uint16_t listen_port;	/* 8080 */
	char *data_dir;		/* absolute path */
	char *database_url;	/* sqlite:///abs/path or postgresql://… */
	char *external_url;	/* no trailing slash */
	char *outbound_allow_cidrs;
	char *smtp_url;		/* NULL: no mail */
	char *smtp_user;
	char *smtp_password;
	char *smtp_from;
	char *git_path;		/* absolute path of the git binary we execve */
	char *log_level;
	char *metrics_allow_cidrs;	/* who may scrape /-/metrics */
};

/* Loads defaults, then the file (when file is non-NULL, or KURA_CONFIG is
 * set), then the environment, and derives the defaults that depend on other
 * keys. ERR_INVALID with one sentence in err naming the key or file. */
int config_load(struct config *out, const char *file, struct buf *err);
void config_release(struct config *cfg);

/* Host part of the external URL ("git.example.com"), into a caller buffer. */
void config_external_host(const struct config *cfg, struct buf *out);

#endif
