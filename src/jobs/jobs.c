#include "jobs.h"
#include "job_kinds.h"
#include "notify.h"
#include "outbound.h"
#include "queue.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "import/import.h"

#include <stdlib.h>

static struct outbound_allow allow = OUTBOUND_ALLOW_INIT;
static char *external_url;

int jobs_init(const struct config *cfg, struct buf *err)
{
	int ret;

	ret = outbound_allow_parse(&allow, cfg->outbound_allow_cidrs ? cfg->outbound_allow_cidrs
								    : "", err);
	if (ret < 0)
		return ERR_INVALID;
	free(external_url);
	external_url = xstrdup(cfg->external_url);
	notify_configure(cfg);
	return 0;
}

void jobs_release(void)
{
	outbound_allow_release(&allow);
	free(external_url);
	external_url = NULL;
}

const struct outbound_allow *jobs_outbound_allow(void)
{
	return &allow;
}

const char *jobs_external_url(void)
{
	return external_url ? external_url : "";
}

void jobs_register_all(void)
{
	queue_register("push", push_job_run);
	queue_register("webhook", webhook_job_run);
	queue_register("mail", mail_job_run);
	queue_register("push_mail", push_mail_job_run);
	queue_register("token_expiry_sweep", token_expiry_job_run);
	queue_register("import", import_job_run);
	queue_register("mirror_pull", mirror_pull_job_run);
	queue_register("mirror_push", mirror_push_job_run);
	queue_register("housekeeping", housekeeping_job_run);
	queue_register("pack_refs", pack_refs_job_run);
}
