/*
 * asan_preinit.c: preloaded into postgres right after the AddressSanitizer
 * runtime (scripts/fuzz.sh), makes ASan initialize before the first
 * bindtextdomain().
 *
 * postgres is not built with ASan, so the runtime initializes lazily, on the
 * first malloc.  That malloc comes from libgpg-error's constructor, inside
 * bindtextdomain() with glibc's gettext lock held for writing; ASan's
 * initialization calls dlerror(), which takes the same lock for reading and
 * corrupts it, and postgres then hangs in its own bindtextdomain().  This
 * wrapper initializes ASan first, outside the lock.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

extern void __asan_init(void);
extern char *bindtextdomain(const char *domainname, const char *dirname);

/* glibc's bindtextdomain, once ASan is up. */
char *
bindtextdomain(const char *domainname, const char *dirname)
{
	static char *(*real) (const char *, const char *);

	if (real == 0)
	{
		__asan_init();
		real = (char *(*) (const char *, const char *)) dlsym(RTLD_NEXT, "bindtextdomain");
	}
	return real(domainname, dirname);
}
