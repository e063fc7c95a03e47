/* The small subset of POSIX ustar that backup archives use: regular files
 * with short relative names, written and read as a stream. The reader is
 * strict because archives cross machines: it refuses every entry type but a
 * regular file, names with "..", a leading '/', or bytes outside a tame
 * charset, bad header checksums and truncation, each with one sentence. */
#ifndef KURA_BACKUP_TAR_H
#define KURA_BACKUP_TAR_H
#include <stdint.h>
#include <stdio.h>

struct buf;

#define TAR_BLOCK 512
#define TAR_NAME_MAX 99		/* names must fit ustar's name field */

/* Writes the header of a regular file of size bytes; the caller then
 * writes exactly size bytes and calls tar_write_pad. ERR_INVALID for a
 * name too long, ERR_UNAVAILABLE when writing fails. */
int tar_write_header(FILE *f, const char *name, uint64_t size, int64_t mtime_s);
int tar_write_pad(FILE *f, uint64_t size);
/* The end-of-archive marker: two zero blocks. */
int tar_write_end(FILE *f);

struct tar_entry {
	char name[TAR_NAME_MAX + 1];
	uint64_t size;
};

/* Reads the next header: 1 with *out filled, 0 at the end-of-archive marker,
 * ERR_INVALID with a sentence in err for anything refused or truncated. */
int tar_read_header(FILE *f, struct tar_entry *out, struct buf *err);
/* Skips the padding after an entry of size bytes whose content was read. */
int tar_read_pad(FILE *f, uint64_t size, struct buf *err);

#endif
