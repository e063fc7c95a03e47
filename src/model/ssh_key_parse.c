/* OpenSSH public key lines: "type base64 [comment]". The blob is walked
 * field by field (RFC 4253 and OpenSSH's PROTOCOL.u2f) so that only well-formed
 * keys of an accepted type get a fingerprint. */
#include "ssh_key.h"
#include "core/buf.h"
#include "core/err.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#define BLOB_MAX 4096	/* a 16384-bit RSA key is about 2 KiB */

struct cursor {
	const unsigned char *p;
	size_t left;
};

/* One length-prefixed string; 0 or ERR_INVALID. */
static int take_string(struct cursor *c, const unsigned char **s, size_t *n)
{
	uint32_t len;

	if (c->left < 4)
		return ERR_INVALID;
	len = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	if (len > c->left - 4)
		return ERR_INVALID;
	*s = c->p + 4;
	*n = len;
	c->p += 4 + len;
	c->left -= 4 + len;
	return 0;
}

static int take_expect(struct cursor *c, const char *want)
{
	const unsigned char *s;
	size_t n;

	if (take_string(c, &s, &n) < 0 || n != strlen(want) || memcmp(s, want, n))
		return ERR_INVALID;
	return 0;
}

/* Bits of a positive mpint (leading zero bytes ignored). */
static int mpint_bits(const unsigned char *s, size_t n)
{
	int bits;

	while (n && !*s) {
		s++;
		n--;
	}
	if (!n)
		return 0;
	bits = (int)(n - 1) * 8;
	for (unsigned char top = *s; top; top >>= 1)
		bits++;
	return bits;
}

static int check_rsa(struct cursor *c, int *bits)
{
	const unsigned char *e, *n;
	size_t en, nn;

	if (take_string(c, &e, &en) < 0 || take_string(c, &n, &nn) < 0 || !en || en > 8 ||
	    (n[0] & 0x80))
		return ERR_INVALID;
	*bits = mpint_bits(n, nn);
	return *bits ? 0 : ERR_INVALID;
}

static int check_ecdsa(struct cursor *c, const char *curve, int *bits)
{
	static const struct { const char *name; size_t point; int bits; } curves[] = {
		{ "nistp256", 65, 256 }, { "nistp384", 97, 384 }, { "nistp521", 133, 521 },
	};
	const unsigned char *q;
	size_t qn;

	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (strcmp(curve, curves[i].name))
			continue;
		if (take_expect(c, curve) < 0 || take_string(c, &q, &qn) < 0 ||
		    qn != curves[i].point || q[0] != 0x04)
			return ERR_INVALID;
		*bits = curves[i].bits;
		return 0;
	}
	return ERR_INVALID;
}

static int check_ed25519(struct cursor *c, int *bits)
{
	const unsigned char *k;
	size_t kn;

	if (take_string(c, &k, &kn) < 0 || kn != 32)
		return ERR_INVALID;
	*bits = 256;
	return 0;
}

/* Checks the blob's fields for its declared type. */
static int check_blob(const char *type, const unsigned char *blob, size_t n, int *bits)
{
	struct cursor c = { blob, n };
	const unsigned char *app;
	size_t appn;
	int ret;

	if (take_expect(&c, type) < 0)
		return ERR_INVALID;
	if (!strcmp(type, "ssh-rsa"))
		ret = check_rsa(&c, bits);
	else if (!strcmp(type, "ssh-ed25519"))
		ret = check_ed25519(&c, bits);
	else if (!strncmp(type, "ecdsa-sha2-", 11))
		ret = check_ecdsa(&c, type + 11, bits);
	else if (!strcmp(type, "sk-ssh-ed25519@openssh.com"))
		ret = check_ed25519(&c, bits) < 0 ? ERR_INVALID : take_string(&c, &app, &appn);
	else if (!strcmp(type, "sk-ecdsa-sha2-nistp256@openssh.com"))
		ret = check_ecdsa(&c, "nistp256", bits) < 0 ? ERR_INVALID
							    : take_string(&c, &app, &appn);
	else
		ret = ERR_INVALID;
	return ret == 0 && c.left == 0 ? 0 : ERR_INVALID;
}

static void fingerprints(const unsigned char *blob, size_t n, struct ssh_key_info *out)
{
	unsigned char sha[crypto_hash_sha256_BYTES], md5[EVP_MAX_MD_SIZE];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
					   sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	unsigned int md5n = 0;

	crypto_hash_sha256(sha, blob, n);
	sodium_bin2base64(b64, sizeof(b64), sha, sizeof(sha),
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	buf_addf(out->sha256, "SHA256:%s", b64);
	/* GitLab still shows the legacy MD5 form next to SHA-256. */
	if (EVP_Digest(blob, n, md5, &md5n, EVP_md5(), NULL) != 1)
		md5n = 0;
	for (unsigned int i = 0; i < md5n; i++)
		buf_addf(out->md5, "%s%02x", i ? ":" : "", md5[i]);
}

static const char *const accepted[] = {
	"ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com",
	NULL,
};

static int type_accepted(const char *s, size_t n)
{
	for (int i = 0; accepted[i]; i++)
		if (strlen(accepted[i]) == n && !memcmp(accepted[i], s, n))
			return 1;
	return 0;
}

int ssh_key_parse(const char *text, struct ssh_key_info *out, struct buf *err)
{
	static const char ws[] = " \t\r\n";
	unsigned char *blob = NULL;
	const char *p = text, *b64, *comment, *end;
	size_t typen, b64n, blobn = 0;
	int ret = ERR_INVALID;

	if (strlen(text) > SSH_KEY_TEXT_MAX) {
		buf_addstr(err, "key is too long (maximum is 5000 characters)");
		return ERR_INVALID;
	}
	p += strspn(p, ws);
	typen = strcspn(p, ws);
	b64 = p + typen + strspn(p + typen, ws);
	b64n = strcspn(b64, ws);
	comment = b64 + b64n + strspn(b64 + b64n, ws);
	end = comment + strlen(comment);
	while (end > comment && strchr(ws, end[-1]))
		end--;
	if (!type_accepted(p, typen)) {
		buf_addstr(err, "key type is forbidden. Must be RSA, ECDSA, ED25519, ECDSA_SK,"
				" or ED25519_SK");
		return ERR_INVALID;
	}
	memcpy(out->type, p, typen);
	out->type[typen] = '\0';
	for (const char *s = comment; s < end; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			goto invalid;
	blob = sodium_malloc(BLOB_MAX);
	if (!blob)
		return ERR_INTERNAL;
	if (!b64n || b64n > sodium_base64_ENCODED_LEN(BLOB_MAX, sodium_base64_VARIANT_ORIGINAL) ||
	    sodium_base642bin(blob, BLOB_MAX, b64, b64n, NULL, &blobn, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    check_blob(out->type, blob, blobn, &out->bits) < 0)
		goto invalid;
	if (!strcmp(out->type, "ssh-rsa") && out->bits < SSH_KEY_RSA_MIN_BITS) {
		buf_addf(err, "key must be at least %d bits", SSH_KEY_RSA_MIN_BITS);
		goto out;
	}
	fingerprints(blob, blobn, out);
	buf_add(out->normalised, p, typen);
	buf_addch(out->normalised, ' ');
	buf_add(out->normalised, b64, b64n);
	if (end > comment) {
		buf_addch(out->normalised, ' ');
		buf_add(out->normalised, comment, (size_t)(end - comment));
	}
	ret = 0;
	goto out;
invalid:
	buf_addstr(err, "key is invalid");
out:
	sodium_free(blob);
	return ret;
}
