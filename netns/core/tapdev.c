/* The tap child's work (tapdev.h): join the container init's user and network namespaces, create tap0
 * there and configure it.  It runs only in a short-lived forked child of urun, never in urun itself:
 * setns(2) into a user namespace cannot be undone.  It does not join the mount namespace, so the
 * /dev/net/tun it opens is the host's, never one the container's rootfs could provide. */
#include "netns/core/tapdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "netns/core/netlink.h"
#include "netns/netns.h"

/* User namespace first: its capabilities are what allow configuring a network namespace it owns
 * (user_namespaces(7)); setns(2) into a user namespace needs a single-threaded caller, as this child is. */
static int join_namespaces(const struct netns_target *t, struct urun_error *err)
{
    if (t->userns_fd >= 0 && setns(t->userns_fd, CLONE_NEWUSER) < 0)
        return urun_error_errno(err, "join the user namespace of container init %d", (int)t->pid);
    if (setns(t->netns_fd, CLONE_NEWNET) < 0)
        return urun_error_errno(err, "join the network namespace of container init %d", (int)t->pid);
    return 0;
}

/* A tap device belongs to the network namespace current when /dev/net/tun was opened (the kernel's
 * tun_chr_open takes current's netns), so this must come after join_namespaces. */
static int open_tap(struct urun_error *err)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        int e = errno;
        return urun_error_set(err, e, "open /dev/net/tun%s",
                              e == EACCES   ? " (slirp needs it mode 0666, as "
                                              "distributions ship it)"
                              : e == ENOENT ? " (is the tun module loaded?)"
                                            : "");
    }
    memset(&ifr, 0, sizeof(ifr));
    /* IFF_VNET_HDR: a virtio-net header before each frame, by which urun-slirp marks the checksums
     * libslirp computed as needing no check (helper/tapio.h).  No offloads are enabled (TUNSETOFFLOAD),
     * so the container's kernel still sends whole frames with their checksums. */
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(ifr.ifr_name, NETNS_TAP_NAME, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return urun_error_set(err, e, "create %s", NETNS_TAP_NAME);
    }
    /* Persistent: closing the last fd (the helper's, when it exits with the container) then leaves the
     * device alone instead of unregistering it, which waits for RCU grace periods (~15 ms, and the
     * caller of `run` or `delete` waits for the helper's exit).  The device goes when the namespace
     * does: the kernel deletes a namespace's tun devices in its asynchronous cleanup (drivers/net/tun.c,
     * tun_link_ops; net/core/dev.c, default_device_exit_batch). */
    if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
        int e = errno;
        close(fd);
        return urun_error_set(err, e, "make %s persistent", NETNS_TAP_NAME);
    }
    return fd;
}

int tap_setup(const struct netns_target *t, const struct netns_config *c, int *ret_fd, struct urun_error *err)
{
    _cleanup_close_ int fd = -1;
    unsigned idx;
    int r;

    r = join_namespaces(t, err);
    if (r < 0)
        return r;
    fd = open_tap(err);
    if (fd < 0)
        return fd;
    idx = if_nametoindex(NETNS_TAP_NAME);
    if (idx == 0)
        return urun_error_errno(err, "find %s", NETNS_TAP_NAME);
    r = netlink_configure_tap((int)idx, c, err);
    if (r < 0)
        return r;
    *ret_fd = TAKE_FD(fd);
    return 0;
}
