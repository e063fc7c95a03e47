/* What every handler may reach: the configuration and the database pool.
 * One instance lives for the whole process. */
#ifndef KURA_APP_H
#define KURA_APP_H

#include "core/config.h"

struct db_pool;

struct app {
	struct config cfg;
	struct db_pool *pool;
};

#endif
