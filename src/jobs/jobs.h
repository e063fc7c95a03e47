/* Every job kind kura serve runs, registered with the queue at start. */
#ifndef KURA_JOBS_H
#define KURA_JOBS_H

/* Worker threads per process: deliveries wait on the network, not the CPU. */
#define JOB_WORKERS 4

void jobs_register_all(void);

#endif
