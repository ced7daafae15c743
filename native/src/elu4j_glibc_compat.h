/*
 * elu4j native helper: keeps the library loadable on glibc 2.17 (RHEL/CentOS 7, Amazon Linux 2)
 * when it is built on a newer glibc. Include it instead of <pthread.h> in every library source
 * that calls pthread_create, pthread_join or pthread_once. Nothing here is exported.
 *
 * glibc 2.34 moved libpthread into libc and gave the moved functions a new default version:
 * linked on glibc >= 2.34, a call of pthread_create binds to pthread_create@GLIBC_2.34, a version
 * that no older glibc defines, so their dynamic linker refuses the library ("version `GLIBC_2.34'
 * not found") and the Java side silently loses the helper. glibc >= 2.34 still exports the old
 * versions of those symbols (compatibility symbols, the same code at the same address), so the
 * .symver directives below make the references ask for the x86-64 base version GLIBC_2.2.5
 * instead:
 *
 *   - built on glibc >= 2.34, the linker finds pthread_create@GLIBC_2.2.5 in libc.so.6 and records
 *     "libc.so.6 needs GLIBC_2.2.5"; at run time there it binds to libc's compatibility symbol.
 *   - on glibc 2.17 .. 2.33 the version node GLIBC_2.2.5 exists in libc.so.6 (its base version),
 *     which is all the loader checks per needed file; the symbol itself is looked up by name and
 *     version in the library's whole scope, where libpthread.so.0 defines
 *     pthread_create@@GLIBC_2.2.5. libpthread.so.0 is made a DT_NEEDED entry of the library
 *     (CMakeLists.txt: linked with --no-as-needed), so it is in that scope even in a process that
 *     did not load it (a JVM always has: libjvm.so needs it).
 *   - built on glibc < 2.34 the directives name the symbols' default version: nothing changes.
 *
 * The other pthread functions the helper calls (mutex, condition variable) kept their versions
 * (GLIBC_2.2.5, GLIBC_2.3.2) in 2.34. The highest version the library needs is then
 * clock_gettime@GLIBC_2.17 (it moved from librt to libc in 2.17), the floor. .ci/glibc-floor
 * checks the built library: no GLIBC_ version above 2.17.
 *
 * Only x86-64 glibc: another architecture has another base version (aarch64: GLIBC_2.17) and is
 * left as the toolchain links it; musl and other C libraries have no symbol versions.
 */
#ifndef ELU4J_GLIBC_COMPAT_H
#define ELU4J_GLIBC_COMPAT_H

#include <pthread.h> /* also <features.h>, which defines __GLIBC__ */

#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver pthread_create, pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join, pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_once, pthread_once@GLIBC_2.2.5");
#endif

#endif /* ELU4J_GLIBC_COMPAT_H */
