/* Implementation of spawn.h. */
#include "runtime/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/pidfd.h"
#include "base/util.h"
#include "idmap/idmap.h"
#include "runtime/cgroup.h"

/* The kernel refused a user namespace: say why and what would allow it. */
static int userns_refused(int e, struct urun_error *err)
{
    struct idmap_userns_facts facts;
    char why[400];

    idmap_userns_facts_read(&facts);
    idmap_userns_advice(&facts, why, sizeof(why));
    if (!why[0])
        return urun_error_set(err, e, "create namespaces (clone)");
    return urun_error_set(err, e, "create namespaces (clone): the kernel refused a new user namespace; %s", why);
}

int spawn_start(const struct spawn_req *rq, struct spawn *sp, struct urun_error *err)
{
    int sv[2];

    *sp = SPAWN_NONE;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return urun_error_errno(err, "socketpair");
    /* born in the container's cgroup, so its limits, freezer and kill reach the process at once */
    pid_t pid = cgroup_clone(rq->clone_flags, rq->cgroup_fd, rq->want_pidfd ? &sp->pidfd : NULL);
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        if ((rq->clone_flags & CLONE_NEWUSER) && (e == EPERM || e == EACCES || e == ENOSPC || e == EUSERS))
            return userns_refused(e, err);
        return urun_error_set(err, e, "create namespaces (clone)");
    }
    sp->sync = (struct sync_chan){.fd = pid == 0 ? sv[1] : sv[0], .phases = rq->phases};
    close(pid == 0 ? sv[0] : sv[1]);
    if (pid == 0) {
        sp->pidfd = -1;
        return 0;
    }
    sp->pid = pid;
    return 1;
}

int spawn_write_maps(struct spawn *sp, const struct idmap *m, const struct idmap_user *u,
                     int (*between)(struct spawn *sp, void *data, struct urun_error *err), void *data,
                     struct urun_error *err)
{
    int r = idmap_write(sp->pid, m, u, err);
    if (r >= 0)
        r = sync_step(&sp->sync, SYNC_SIDE_PARENT, SYNC_PHASE_UNSHARED, NULL, err);
    if (r >= 0 && between)
        r = between(sp, data, err);
    if (r >= 0)
        r = sync_step(&sp->sync, SYNC_SIDE_PARENT, SYNC_PHASE_MAPS, NULL, err);
    return r;
}

int spawn_await_pid(struct spawn *sp, struct urun_error *err)
{
    int child = -1;
    int r = sync_step(&sp->sync, SYNC_SIDE_PARENT, SYNC_PHASE_PID, &child, err);

    if (!(sp->sync.phases & SYNC_PHASE_PID))
        return r;
    /* the first process exits once it has reported its child */
    while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return r;
    sp->pid = child;
    if (sp->pidfd >= 0) {
        close(sp->pidfd);
        sp->pidfd = pidfd_open_fd(child);
    }
    return 0;
}

int spawn_await_ready(struct spawn *sp, int console_fd, int *ret_master, struct urun_error *err)
{
    int master = -1;
    int r = sync_step(&sp->sync, SYNC_SIDE_PARENT, SYNC_PHASE_READY, &master, err);

    *ret_master = -1;
    if (r < 0)
        return r;
    if (master >= 0 && console_fd >= 0) {
        r = send_fd_named(console_fd, master, "/dev/ptmx");
        close(master);
        if (r < 0)
            return urun_error_set(err, -r, "--console-socket: send the terminal");
        return 0;
    }
    *ret_master = master;
    return 0;
}

int spawn_connect_console(const char *path, int *ret_fd, struct urun_error *err)
{
    int r = util_connect_unix(path, UTIL_SOCKET_TIMEOUT_MS, ret_fd, err);

    return r < 0 ? urun_error_wrap(err, r, "--console-socket") : 0;
}

int spawn_pid_file(const char *path, pid_t pid, struct urun_error *err)
{
    _cleanup_free_ char *abs = path[0] == '/' ? xstrdup(path) : NULL;
    char data[32];
    int r;

    if (!abs) {
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
            return urun_error_errno(err, "--pid-file: getcwd");
        abs = xasprintf("%s/%s", cwd, path);
    }
    int n = snprintf(data, sizeof(data), "%d", (int)pid);
    r = write_file_atomic_at(AT_FDCWD, abs, data, (size_t)n, 0644, /* durable= */ true, err);
    return r < 0 ? urun_error_wrap(err, r, "--pid-file") : 0;
}

void spawn_release(struct spawn *sp)
{
    closep(&sp->sync.fd);
    closep(&sp->pidfd);
}

void spawn_abort(struct spawn *sp)
{
    if (sp->pid > 0) {
        kill(sp->pid, SIGKILL);
        while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    spawn_release(sp);
}
