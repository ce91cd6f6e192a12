/* Implementation of nsjoin.h.  setns(2) and unshare(2) only; the init calls nsjoin_enter before it
 * touches any mount. */
#include "runtime/nsjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const int clone_flag[SPEC_NS__MAX] = {
    [SPEC_NS_PID] = CLONE_NEWPID,       [SPEC_NS_NETWORK] = CLONE_NEWNET, [SPEC_NS_MOUNT] = CLONE_NEWNS,
    [SPEC_NS_IPC] = CLONE_NEWIPC,       [SPEC_NS_UTS] = CLONE_NEWUTS,     [SPEC_NS_USER] = CLONE_NEWUSER,
    [SPEC_NS_CGROUP] = CLONE_NEWCGROUP, [SPEC_NS_TIME] = CLONE_NEWTIME,
};

static const char *const proc_names[SPEC_NS__MAX] = {
    [SPEC_NS_PID] = "pid", [SPEC_NS_NETWORK] = "net", [SPEC_NS_MOUNT] = "mnt",     [SPEC_NS_IPC] = "ipc",
    [SPEC_NS_UTS] = "uts", [SPEC_NS_USER] = "user",   [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

unsigned long nsjoin_clone_flag(enum spec_ns_type t)
{
    return (unsigned long)clone_flag[t];
}

const char *nsjoin_proc_name(enum spec_ns_type t)
{
    return proc_names[t];
}

bool nsjoin_is_own(int fd, enum spec_ns_type t)
{
    char self[64];
    struct stat a, b;
    snprintf(self, sizeof(self), "/proc/self/ns/%s", proc_names[t]);
    return fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static const char *type_of_flag(int flag)
{
    for (int t = 0; t < SPEC_NS__MAX; t++)
        if (clone_flag[t] == flag)
            return spec_ns_name((enum spec_ns_type)t);
    return "unknown";
}

int nsjoin_open(const struct spec_linux *lx, struct nsjoin *ret, struct urun_error *err)
{
    struct nsjoin j = {.any = false};

    for (int t = 0; t < SPEC_NS__MAX; t++)
        j.fd[t] = -1;
    for (size_t i = 0; lx && i < lx->n_namespaces; i++) {
        const struct spec_namespace *ns = &lx->namespaces[i];
        if (!ns->path)
            continue;
        int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int r = urun_error_errno(err, "linux.namespaces[%zu].path: %s", i, ns->path);
            nsjoin_close(&j);
            return r;
        }
        j.fd[ns->type] = fd;
        j.any = true;
        int type = ioctl(fd, NS_GET_NSTYPE);
        if (type < 0 || type != clone_flag[ns->type]) {
            int r = type < 0 ? urun_error_set(err, 0, "linux.namespaces[%zu].path: %s is not a namespace", i, ns->path)
                             : urun_error_set(err, 0, "linux.namespaces[%zu].path: %s is a %s namespace, not a %s one",
                                              i, ns->path, type_of_flag(type), spec_ns_name(ns->type));
            nsjoin_close(&j);
            return r;
        }
    }
    *ret = j;
    return 0;
}

unsigned long nsjoin_foreign_flags(const struct nsjoin *j)
{
    unsigned long flags = 0;

    for (int t = 0; t < SPEC_NS__MAX; t++)
        if (j->fd[t] >= 0 && !nsjoin_is_own(j->fd[t], (enum spec_ns_type)t))
            flags |= (unsigned long)clone_flag[t];
    return flags;
}

void nsjoin_release(const struct nsjoin *j)
{
    for (int t = 0; j && t < SPEC_NS__MAX; t++)
        if (j->fd[t] >= 0)
            close(j->fd[t]);
}

void nsjoin_close(struct nsjoin *j)
{
    for (int t = 0; t < SPEC_NS__MAX; t++)
        if (j->fd[t] >= 0) {
            close(j->fd[t]);
            j->fd[t] = -1;
        }
}

int nsjoin_enter(const struct nsjoin *j, unsigned long unshare_flags, struct urun_error *err)
{
    /* user first: it decides what the others may be joined or created with (user_namespaces(7)) */
    static const enum spec_ns_type order[] = {SPEC_NS_USER,   SPEC_NS_IPC, SPEC_NS_UTS,  SPEC_NS_NETWORK,
                                              SPEC_NS_CGROUP, SPEC_NS_PID, SPEC_NS_TIME, SPEC_NS_MOUNT};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        enum spec_ns_type t = order[i];
        if (j && j->fd[t] >= 0 && setns(j->fd[t], clone_flag[t]) < 0)
            return urun_error_errno(err, "join the %s namespace given in linux.namespaces", spec_ns_name(t));
    }
    if (unshare_flags && unshare((int)unshare_flags) < 0)
        return urun_error_errno(err, "create the container's namespaces inside the joined user namespace");
    return 0;
}

bool nsjoin_needs_respawn(const struct nsjoin *j, unsigned long unshare_flags)
{
    return j->fd[SPEC_NS_PID] >= 0 || j->fd[SPEC_NS_TIME] >= 0 || (unshare_flags & (CLONE_NEWPID | CLONE_NEWTIME));
}
