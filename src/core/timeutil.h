/* Wall-clock and monotonic time. Timestamps are stored as milliseconds since
 * the Unix epoch (int64) in both database drivers. */
#ifndef KURA_TIMEUTIL_H
#define KURA_TIMEUTIL_H
#include <stddef.h>
#include <stdint.h>

int64_t time_now_ms(void);
int64_t time_mono_ms(void);
/* "2022-11-28T10:00:00.000Z" (GitLab's format); size >= 25. */
void time_format_iso8601(char *out, size_t size, int64_t ms);
/* "YYYY-MM-DD" into ms at 00:00 UTC; ERR_INVALID when malformed. */
int time_parse_date(const char *s, int64_t *ms_out);
/* "YYYY-MM-DD" of a ms timestamp; size >= 11. */
void time_format_date(char *out, size_t size, int64_t ms);

#endif
