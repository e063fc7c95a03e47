#include "config.h"
#include "buf.h"
#include "err.h"
#include "log.h"
#include "parse.h"
#include "xalloc.h"

#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Every key: its INI name (the environment name is KURA_ + upper case). */
struct config_key {
	const char *name;
	size_t offset;		/* of the char * field, or SIZE_MAX for listen */
};

#define FIELD(f) offsetof(struct config, f)
static const struct config_key config_keys[] = {
	{ "listen", SIZE_MAX },
	{ "data_dir", FIELD(data_dir) },
	{ "database_url", FIELD(database_url) },
	{ "external_url", FIELD(external_url) },
	{ "outbound_allow_cidrs", FIELD(outbound_allow_cidrs) },
	{ "smtp_url", FIELD(smtp_url) },
	{ "smtp_user", FIELD(smtp_user) },
	{ "smtp_password", FIELD(smtp_password) },
	{ "smtp_from", FIELD(smtp_from) },
	{ "git_path", FIELD(git_path) },
	{ "log_level", FIELD(log_level) },
	{ "metrics_allow_cidrs", FIELD(metrics_allow_cidrs) },
};
#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

struct config_load_state {
	struct config *cfg;
	char *listen;
	struct buf *err;
	int failed;
};

static char **config_field(struct config *cfg, const struct config_key *k)
{
	return (char **)((char *)cfg + k->offset);
}

static const struct config_key *config_key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}

static int config_set(struct config_load_state *st, const char *name, const char *value,
		      const char *where)
{
	const struct config_key *k = config_key_find(name);
	char **field;

	if (!k) {
		buf_addf(st->err, "unknown configuration key '%s' in %s", name, where);
		return ERR_INVALID;
	}
	if (strlen(value) > 4096 || strchr(value, '\n')) {
		buf_addf(st->err, "configuration key '%s' in %s has a malformed value", name, where);
		return ERR_INVALID;
	}
	field = k->offset == SIZE_MAX ? &st->listen : config_field(st->cfg, k);
	free(*field);
	*field = xstrdup(value);
	return 0;
}

static int config_ini_handler(void *user, const char *section, const char *name,
			      const char *value)
{
	struct config_load_state *st = user;

	if (st->failed)
		return 0;
	if (section[0] && strcmp(section, "kura")) {
		buf_addf(st->err, "unknown configuration section [%s] in the config file", section);
		st->failed = 1;
		return 0;
	}
	if (config_set(st, name, value, "the config file") < 0) {
		st->failed = 1;
		return 0;
	}
	return 1;
}

static int config_load_file(struct config_load_state *st, const char *file)
{
	int line;

	if (access(file, R_OK) != 0) {
		buf_addf(st->err, "cannot read config file %s", file);
		return ERR_INVALID;
	}
	line = ini_parse(file, config_ini_handler, st);
	if (st->failed)
		return ERR_INVALID;
	if (line != 0) {
		buf_addf(st->err, "config file %s: syntax error at line %d", file, line);
		return ERR_INVALID;
	}
	return 0;
}

static int config_load_env(struct config_load_state *st)
{
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[64];
		size_t n;

		if (strncmp(*e, "KURA_", 5) || !eq)
			continue;
		n = (size_t)(eq - *e) - 5;
		if (n > 0 && n < sizeof(name)) {
			for (size_t i = 0; i < n; i++) {
				char c = (*e)[5 + i];
				name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
			}
			name[n] = '\0';
		} else {
			name[0] = '\0';
		}
		if (!strcmp(name, "config"))
			continue;
		/* A misspelt variable would otherwise be ignored silently and the
		 * default used: name it as the operator wrote it. */
		if (!config_key_find(name)) {
			buf_addstr(st->err, "unknown environment variable ");
			buf_add_quoted(st->err, *e, n + 5, 80);
			return ERR_INVALID;
		}
		if (config_set(st, name, eq + 1, "the environment (KURA_*)") < 0)
			return ERR_INVALID;
	}
	return 0;
}

static int config_absolute_dir(char **dir, struct buf *err)
{
	char cwd[PATH_MAX];

	if ((*dir)[0] == '\0') {
		buf_addstr(err, "data_dir must not be empty");
		return ERR_INVALID;
	}
	if ((*dir)[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd))) {
		buf_addstr(err, "cannot resolve the current directory for data_dir");
		return ERR_INVALID;
	}
	struct buf b = BUF_INIT;
	buf_addf(&b, "%s/%s", cwd, *dir);
	free(*dir);
	*dir = buf_detach(&b, NULL);
	return 0;
}

/* http(s)://host[:port][/path]: a host must follow the scheme, and nothing
 * that would break the links and headers built from it. */
static int config_url_check(const char *url)
{
	const char *host;

	if (!strncmp(url, "http://", 7))
		host = url + 7;
	else if (!strncmp(url, "https://", 8))
		host = url + 8;
	else
		return ERR_INVALID;
	if (!*host || *host == '/' || *host == ':')
		return ERR_INVALID;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return ERR_INVALID;
	return 0;
}

static int config_validate(struct config_load_state *st)
{
	struct config *cfg = st->cfg;
	struct buf *err = st->err;
	char host[256];
	enum log_level level;
	size_t n;

	if (parse_host_port(st->listen, host, sizeof(host), &cfg->listen_port) < 0) {
		buf_addstr(err, "listen: '");
		buf_add_quoted(err, st->listen, strlen(st->listen), 200);
		buf_addstr(err, "' is not address:port");
		return ERR_INVALID;
	}
	cfg->listen_host = xstrdup(host);
	if (config_absolute_dir(&cfg->data_dir, err) < 0)
		return ERR_INVALID;
	if (!cfg->database_url) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "sqlite://%s/kura.db", cfg->data_dir);
		cfg->database_url = buf_detach(&b, NULL);
	}
	if (strncmp(cfg->database_url, "sqlite://", 9) &&
	    strncmp(cfg->database_url, "postgresql://", 13) &&
	    strncmp(cfg->database_url, "postgres://", 11)) {
		buf_addstr(err, "database_url must start with sqlite:// or postgresql://");
		return ERR_INVALID;
	}
	if (!cfg->external_url) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "http://%s", st->listen);
		cfg->external_url = buf_detach(&b, NULL);
	}
	if (config_url_check(cfg->external_url) < 0) {
		/* Quoted: the message must stay one line whatever the value holds. */
		buf_addstr(err, "external_url: '");
		buf_add_quoted(err, cfg->external_url, strlen(cfg->external_url), 200);
		buf_addstr(err, "' is not an http:// or https:// URL with a host");
		return ERR_INVALID;
	}
	n = strlen(cfg->external_url);
	while (n > 8 && cfg->external_url[n - 1] == '/')
		cfg->external_url[--n] = '\0';
	if (cfg->smtp_url && strncmp(cfg->smtp_url, "smtp://", 7) &&
	    strncmp(cfg->smtp_url, "smtps://", 8)) {
		buf_addstr(err, "smtp_url must start with smtp:// or smtps://");
		return ERR_INVALID;
	}
	if (cfg->git_path[0] != '/' || access(cfg->git_path, X_OK) != 0) {
		buf_addf(err, "git_path: '%s' is not an executable absolute path", cfg->git_path);
		return ERR_INVALID;
	}
	if (log_level_parse(cfg->log_level, &level) < 0) {
		buf_addf(err, "log_level: '%s' is not debug, info, warn or error", cfg->log_level);
		return ERR_INVALID;
	}
	log_set_level(level);
	return 0;
}

int config_load(struct config *out, const char *file, struct buf *err)
{
	struct config cfg = { 0 };
	struct config_load_state st = { &cfg, xstrdup("127.0.0.1:8080"), err, 0 };
	int ret;

	cfg.data_dir = xstrdup("./data");
	cfg.git_path = xstrdup("/usr/bin/git");
	cfg.log_level = xstrdup("info");
	cfg.metrics_allow_cidrs = xstrdup("127.0.0.0/8,::1/128");
	if (!file)
		file = getenv("KURA_CONFIG");
	ret = file ? config_load_file(&st, file) : 0;
	if (ret == 0)
		ret = config_load_env(&st);
	if (ret == 0)
		ret = config_validate(&st);
	free(st.listen);
	if (ret < 0) {
		config_release(&cfg);
		return ret;
	}
	*out = cfg;
	return 0;
}

void config_release(struct config *cfg)
{
	free(cfg->listen_host);
	for (size_t i = 0; i < NKEYS; i++)
		if (config_keys[i].offset != SIZE_MAX)
			free(*config_field(cfg, &config_keys[i]));
	memset(cfg, 0, sizeof(*cfg));
}

void config_external_host(const struct config *cfg, struct buf *out)
{
	const char *h = strstr(cfg->external_url, "://");
	size_t n;

	h = h ? h + 3 : cfg->external_url;
	n = strcspn(h, ":/");
	buf_add(out, h, n);
}
