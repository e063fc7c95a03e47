#include "jobs.h"
#include "queue.h"

void jobs_register_all(void)
{
	/* Handlers are added here as their kinds arrive: push fan-out,
	 * webhook delivery, mail. Unregistered kinds stay queued, untouched. */
}
