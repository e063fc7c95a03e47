/* A NULL-terminated, growable array of owned strings (argv, envp). */
#ifndef KURA_STRVEC_H
#define KURA_STRVEC_H
#include <stddef.h>

struct strvec {
	char **v;	/* always NULL-terminated once anything was pushed */
	size_t nr, alloc;
};

#define STRVEC_INIT { NULL, 0, 0 }

void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strvec_release(struct strvec *sv);

#endif
