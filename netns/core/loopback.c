/* Implementation of loopback.h with one SIOCSIFFLAGS ioctl: cheaper at start-up than a netlink
 * round trip, and lo needs no address configuration (the kernel assigns 127.0.0.1/::1 on up). */
#include "netns/core/loopback.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int loopback_up(struct urun_error *err)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int r = 0;

    if (fd < 0)
        return urun_error_errno(err, "bring up lo: socket");
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        r = urun_error_errno(err, "bring up lo: get flags");
    else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
            r = urun_error_errno(err, "bring up lo");
    }
    close(fd);
    return r;
}
