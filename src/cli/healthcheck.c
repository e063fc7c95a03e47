/* kura healthcheck: asks the local server's /-/readiness, for container
 * HEALTHCHECKs that must not need a shell or curl in the image. */
#include "cli.h"
#include "core/buf.h"
#include "core/config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * n;
}

int cli_healthcheck(const char *config_file)
{
	struct buf err = BUF_INIT_MAX(512), url = BUF_INIT;
	struct config cfg;
	long status = 0;
	CURL *curl;
	int ret = 1;

	if (config_load(&cfg, config_file, &err) < 0) {
		fprintf(stderr, "kura: %s\n", err.ptr);
		buf_release(&err);
		return EXIT_USAGE;
	}
	/* A wildcard listen address is reached through loopback. */
	buf_addf(&url, "http://%s:%u/-/readiness",
		 !strcmp(cfg.listen_host, "0.0.0.0") ? "127.0.0.1" :
		 !strcmp(cfg.listen_host, "::") ? "[::1]" : cfg.listen_host, cfg.listen_port);
	curl = curl_easy_init();
	if (curl) {
		curl_easy_setopt(curl, CURLOPT_URL, url.ptr);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
		if (curl_easy_perform(curl) == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(curl);
	}
	if (status == 200)
		ret = 0;
	else
		fprintf(stderr, "kura: not ready (%s answered %ld)\n", url.ptr, status);
	config_release(&cfg);
	buf_release(&url);
	buf_release(&err);
	return ret;
}
