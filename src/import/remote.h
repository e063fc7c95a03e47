/* A remote repository that imports and mirrors talk to: its URL split from
 * its credentials, vetted by the outbound policy, and the git options that
 * make a fetch or push reach exactly the vetted address.
 *
 * Credentials never travel in argv: git asks for them through GIT_ASKPASS,
 * which names the kura binary itself; the username and password sit in two
 * environment variables set only in that git child (remote_askpass_main
 * prints them). URLs kept, logged or returned are the clean form, without
 * userinfo. */
#ifndef KURA_REMOTE_H
#define KURA_REMOTE_H
#include <stdint.h>

#include "core/buf.h"

struct gitproc;
struct outbound_allow;

#define REMOTE_URL_MAX 2048
#define REMOTE_SECRET_MAX 1024

struct remote {
	char *url;		/* scheme://host[:port]/path, no userinfo */
	char *host;		/* as in the URL; IPv6 literals keep their brackets */
	char *port;		/* always set: the scheme's default when absent */
	char *username;		/* NULL: none */
	char *password;		/* NULL: none; wiped on release */
	char *resolve;		/* host:port:address for http.curloptResolve, after vetting */
};

#define REMOTE_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

/* Parses url: http or https, a host, no query or fragment, no control bytes
 * or spaces; userinfo moves into username/password (percent-decoded) and
 * wins over username and password given separately. ERR_INVALID with one sentence
 * that never repeats the userinfo. */
int remote_parse(struct remote *out, const char *url, const char *username,
		 const char *password, struct buf *err);
/* Resolves the host now, refuses it unless every address passes the
 * outbound policy, and pins the first one for git (http.curloptResolve), so
 * DNS rebinding between this check and git's connection changes nothing.
 * ERR_INVALID (unresolvable) or ERR_DENIED, with one sentence. */
int remote_vet(struct remote *r, const struct outbound_allow *allow, struct buf *err);
void remote_release(struct remote *r);

/* The "-c" options and environment every git child talking to r gets:
 * only http and https transports, no redirects, no credential helpers, the
 * pinned address, and the askpass route for the credentials. Call before
 * the subcommand's own arguments. */
void remote_git_setup(struct gitproc *p, const struct remote *r);

/* GitLab's masked form of a URL with credentials, the userinfo replaced by five stars twice
 * when credentials exist, else the clean URL. */
void remote_url_masked(struct buf *out, const struct remote *r);

/* Removes anything that looks like a URL's userinfo from git's stderr before
 * it is shown or stored: "scheme://user:pass@" becomes "scheme://". */
void remote_scrub(struct buf *text);

/* kura run as git's askpass program: prints the username or password for
 * the prompt in argv[1] from the environment. The exit status. */
int remote_askpass_main(int argc, char **argv);
/* Is this process git's askpass child (KURA_ASKPASS set by remote_git_setup)? */
int remote_is_askpass(void);

#endif
