#include "uuid.h"
#include "buf.h"

#include <sodium.h>
#include <stdio.h>

void uuid_v4(char out[UUID_STR_LEN])
{
	unsigned char b[16];
	struct buf hex = BUF_INIT;

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	buf_add_hex(&hex, b, sizeof(b));
	snprintf(out, UUID_STR_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex.ptr, hex.ptr + 8,
		 hex.ptr + 12, hex.ptr + 16, hex.ptr + 20);
	buf_release(&hex);
}
