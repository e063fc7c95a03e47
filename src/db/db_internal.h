/* What every driver's connection and statement start with, so that db.c can
 * dispatch without knowing the driver. Only drivers and db.c include this. */
#ifndef KURA_DB_INTERNAL_H
#define KURA_DB_INTERNAL_H
#include "db.h"

struct db {
	const struct db_driver *drv;
	int tx_depth;
	int broken;	/* set by the driver when the connection is lost */
};

struct db_stmt {
	const struct db_driver *drv;
};

#endif
