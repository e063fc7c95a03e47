/* GitLab's rules for usernames, group and project paths, and full paths.
 * Pure functions: no database. */
#ifndef KURA_NAMES_H
#define KURA_NAMES_H
#include <stddef.h>

struct buf;

/* One path segment: letters, digits, '_', '-', '.'; starts with a letter,
 * digit or '_'; does not end in '.git' or '.atom' or with '.'; no "..";
 * at most LIMIT_PATH_SEGMENT bytes. what names the field in the sentence
 * appended to err ("path", "username"). */
int names_check_segment(const char *s, size_t n, const char *what, struct buf *err);
/* A top-level segment (username, top-level group) also avoids the names of
 * kura's own routes (api, oauth, admin, -, users …). */
int names_check_top_level(const char *s, struct buf *err);
/* A full path "a/b/c": each segment valid, depth within limits. */
int names_check_full_path(const char *s, struct buf *err);
/* A display name: 1..255 bytes, no control characters. */
int names_check_display(const char *s, const char *what, struct buf *err);
/* A plausible e-mail address: one '@', no spaces or controls, <= 254 bytes. */
int names_check_email(const char *s, struct buf *err);
/* A visibility keyword: private, internal, public. */
int names_check_visibility(const char *s);

#endif
