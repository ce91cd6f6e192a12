/* Namespaces a spec joins by path (linux.namespaces[].path): opening and type-checking them in urun,
 * and entering them in the container init.  A joined user namespace comes first, and the namespaces
 * the container creates are then made inside it (unshare after setns), so they belong to it. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "spec/spec.h"

struct nsjoin {
    int fd[SPEC_NS__MAX]; /* -1 where the spec joins nothing */
    bool any;
};
_Static_assert(SPEC_NS__MAX == 8, "NSJOIN_NONE lists one -1 for each namespace type");
#define NSJOIN_NONE ((struct nsjoin){.fd = {-1, -1, -1, -1, -1, -1, -1, -1}, .any = false})

/* Open every path, O_CLOEXEC, and check it is a namespace of the listed type (NS_GET_NSTYPE). */
int nsjoin_open(const struct spec_linux *lx, struct nsjoin *ret, struct urun_error *err);
void nsjoin_close(struct nsjoin *j);
/* CLONE_NEWNET for SPEC_NS_NETWORK, and so on: the one table of namespace types. */
unsigned long nsjoin_clone_flag(enum spec_ns_type t);
/* "net" for SPEC_NS_NETWORK: the name of a namespace type under /proc/PID/ns. */
const char *nsjoin_proc_name(enum spec_ns_type t);
/* Whether fd is a namespace of type t that the caller is in itself. */
bool nsjoin_is_own(int fd, enum spec_ns_type t);
/* The CLONE_NEW* flags of the joined namespaces that are not the caller's own: a container in such
 * a namespace may set its sysctls (podman joins a network namespace it made by path). */
unsigned long nsjoin_foreign_flags(const struct nsjoin *j);
/* In a child that has entered them: close the fds of its copy (j may be NULL). */
void nsjoin_release(const struct nsjoin *j);

/* In the init: setns into every joined namespace (j may be NULL), the user namespace first, then unshare
 * `unshare_flags`.  Joining or creating a pid or time namespace this way only affects children: the
 * caller must then fork (nsjoin_needs_respawn). */
int nsjoin_enter(const struct nsjoin *j, unsigned long unshare_flags, struct urun_error *err);
bool nsjoin_needs_respawn(const struct nsjoin *j, unsigned long unshare_flags);
