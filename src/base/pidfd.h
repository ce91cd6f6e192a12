/* pidfd wrappers (pidfd_open(2), pidfd_send_signal(2)) with the fallbacks urun uses on kernels that
 * lack them.  A pidfd pins one process, so a signal can never hit a recycled pid. */
#pragma once

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3 /* waitid(2) on a pidfd (Linux 5.4) */
#endif

static inline int pidfd_open_fd(pid_t pid)
{
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

static inline int pidfd_signal(int pidfd, pid_t pid, int sig)
{
    long r = pidfd >= 0 ? syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) : kill(pid, sig);
    return r < 0 ? -errno : 0;
}

/* Reap the process behind pidfd if it has exited and is the caller's child; nothing otherwise (not a
 * child: ECHILD; still running: WNOHANG).  Exactly that process: never another child that got its
 * pid. */
static inline void pidfd_reap_if_child(int pidfd)
{
    siginfo_t si;
    if (pidfd >= 0)
        waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
}
