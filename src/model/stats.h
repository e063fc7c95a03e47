/* Instance-wide counts for the administrator's statistics page. */
#ifndef KURA_STATS_H
#define KURA_STATS_H
#include <stdint.h>

struct db;

struct stats_counts {
	int64_t users, active_users, groups, projects;
};

int stats_count(struct db *db, struct stats_counts *out);

#endif
