/* multipart/form-data (RFC 7578) bodies, already buffered: finding one
 * field's part. The parser only points into the body; nothing is copied. */
#ifndef KURA_MULTIPART_H
#define KURA_MULTIPART_H
#include <stddef.h>

struct multipart_part {
	const char *filename;	/* from Content-Disposition; NULL when absent */
	size_t filename_len;
	const char *data;
	size_t len;
};

/* The part named field in body, whose Content-Type header is content_type.
 * ERR_INVALID when the content type is not multipart/form-data with a
 * boundary or the body is malformed; ERR_NOTFOUND when no part has that
 * name. */
int multipart_find(const char *content_type, const char *body, size_t len, const char *field,
		   struct multipart_part *out);

#endif
