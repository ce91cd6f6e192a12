/* A created container's namespaces, for `exec`, `ps` and `kill --all` while its init still waits for
 * `start`.  That init is urun's own code and non-dumpable (CVE-2019-5736: /proc/PID/exe would hand
 * the container the runtime binary), so nobody can open its /proc/PID/ns.  Instead it opens its
 * namespaces itself and hands them over a unix socket in the 0700 state directory, which only the
 * container's owner can reach: nothing of the container ever sees the socket, and the init stays
 * non-dumpable.  It answers from a SIGIO handler while it blocks on the exec fifo, and stops for
 * good when it execs the user's process (after that /proc/PID/ns works again). */
#pragma once

#include "base/error.h"
#include "runtime/nsjoin.h"

/* urun, at create: bind and listen on the socket in the container's state directory (STATE_NS_SOCKET). */
int nsshare_listen(int dirfd, int *ret_fd, struct urun_error *err);

/* The init, once its namespaces are final and while proc_fd is the host's /proc: open them, and get
 * ready to answer connections on listen_fd (SIGIO, held back until nsshare_answer). */
int nsshare_serve(int listen_fd, int proc_fd, struct urun_error *err);

/* The init, as it starts to wait on the exec fifo: answer whoever is waiting, and from now on every
 * connection, from the SIGIO handler. */
void nsshare_answer(void);

/* The init, just before it execs: stop answering and close everything nsshare_serve kept. */
void nsshare_stop(void);

/* exec/ps: the namespaces of the created container whose state directory is dirfd, one fd per type
 * (-1 for a type the kernel lacks); ret->any is left false. */
int nsshare_fetch(int dirfd, struct nsjoin *ret, struct urun_error *err);
