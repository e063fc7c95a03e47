/* Secrets at rest (mirror and import credentials): sealed with libsodium's
 * secretbox under one key kept in DATA/secrets/mirror.key, created 0600 on
 * first use. A backup of the data directory carries the key with the
 * database, so restored mirrors keep working. Sealed text is printable:
 * "sb1:" then base64 of nonce and ciphertext. */
#ifndef KURA_SECRET_H
#define KURA_SECRET_H

struct buf;

/* Seals plain into out. ERR_UNAVAILABLE when the key cannot be read or
 * created. */
int secret_seal(struct buf *out, const char *plain);
/* Opens sealed into *out (the caller wipes and frees it). ERR_INVALID when
 * it was tampered with or sealed under another key; ERR_UNAVAILABLE when the
 * key cannot be read. */
int secret_open(char **out, const char *sealed);

#endif
