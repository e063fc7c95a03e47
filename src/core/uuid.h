/* Random RFC 4122 version 4 UUIDs (webhook and event ids). */
#ifndef KURA_UUID_H
#define KURA_UUID_H

#define UUID_STR_LEN 37	/* 36 characters and the NUL */

void uuid_v4(char out[UUID_STR_LEN]);

#endif
