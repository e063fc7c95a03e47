/* Parsers for untrusted text: whole-string only, no sign surprises, bounded. */
#ifndef KURA_PARSE_H
#define KURA_PARSE_H
#include <stdint.h>
#include <stddef.h>

/* Decimal digits only, value <= max. ERR_INVALID otherwise; out untouched. */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Optional leading '-'. */
int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* true/false/1/0/yes/no/on/off and GitLab's True/False. */
int parse_bool(const char *s, int *out);
/* "host:port" with port 1..65535; host copied into host_out (size hsize). */
int parse_host_port(const char *s, char *host_out, size_t hsize, uint16_t *port_out);
/* Percent-decodes s (n bytes) into out; '+' stays '+'. Refuses NUL (%00) and
 * malformed escapes with ERR_INVALID. */
struct buf;
int parse_percent_decode(struct buf *out, const char *s, size_t n);
/* application/x-www-form-urlencoded (query strings, form bodies): '+' is a
 * space, then percent escapes. A new string (free it), or NULL when an
 * escape is malformed or decodes to NUL. */
char *parse_form_decode(const char *s, size_t n);

/* The value of one hex digit (either case), or -1. */
int parse_hex_digit(char c);

#endif
