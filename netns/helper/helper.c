/* urun-slirp: the long-lived network helper of one container, in the host's namespaces.  urun
 * (start.c) execs it with only its control socket open, sends the tap fd, the init's pidfd, the log
 * fd and the settings, and waits for "ready".  It never enters the container's namespaces, never
 * outlives the container's init, and is sandboxed (sandbox.c) before it handles any traffic. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/log.h"
#include "netns/common/proto.h"
#include "netns/helper/loop.h"
#include "netns/helper/sandbox.h"

/* GLib's (and so libslirp's) warnings and criticals go to the runtime log; its debug chatter does not. */
static void glib_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
    (void)data;
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        log_error("%s: %s", domain ? domain : "glib", msg);
    else if (level & G_LOG_LEVEL_WARNING)
        log_warning("%s: %s", domain ? domain : "glib", msg);
}

/* Only the control socket may be open beyond stdio; urun's exec path guarantees it, this makes sure
 * for anyone else who starts the helper. */
static void close_extra_fds(void)
{
    if (syscall(SYS_close_range, NETNS_HELPER_CTL_FD + 1, ~0u, 0) == 0)
        return;
    for (int fd = NETNS_HELPER_CTL_FD + 1; fd < 65536; fd++)
        close(fd);
}

static int receive_hello(struct netns_hello *h, int *fds, size_t *n_fds)
{
    *n_fds = NETNS_PROTO_MAX_FDS;
    int r = netns_proto_recv(NETNS_HELPER_CTL_FD, h, sizeof(*h), fds, n_fds);
    if (r < 0)
        return r;
    if (*n_fds != (h->has_pidfd ? 3u : 2u) || h->config.mtu < NETNS_MTU_MIN || h->config.mtu > NETNS_MTU_MAX ||
        h->config.n_publish > NETNS_MAX_PUBLISH) {
        for (size_t i = 0; i < *n_fds; i++)
            close(fds[i]);
        return -EBADMSG;
    }
    return 0;
}

/* Everything up to "ready": libslirp, the published ports, the sandbox. */
static int setup(const struct netns_hello *h, int tap, int pidfd, struct slirp_loop **ret, struct urun_error *err)
{
    struct slirp_loop_args a = {
        .config = &h->config,
        .tap = tap,
        .pidfd = pidfd,
        .init_pid = h->init_pid,
        .init_start = h->init_start_time,
    };
    struct slirp_loop *l = NULL;
    int r = slirp_loop_new(&a, &l, err);

    for (size_t i = 0; r >= 0 && i < h->config.n_publish; i++)
        r = slirp_loop_forward(l, &h->config.publish[i], err);
    if (r >= 0)
        r = sandbox_apply(err);
    if (r < 0) {
        slirp_loop_free(l);
        return r;
    }
    *ret = l;
    return 0;
}

int main(int argc, char **argv)
{
    struct netns_hello hello;
    struct netns_reply reply;
    struct urun_error err = {0};
    struct slirp_loop *loop = NULL;
    struct stat st;
    int fds[NETNS_PROTO_MAX_FDS];
    size_t n_fds;
    int r;

    (void)argc, (void)argv;
    if (fstat(NETNS_HELPER_CTL_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "urun-slirp: the network helper of urun containers; urun starts it, not people\n");
        return 2;
    }
    close_extra_fds();
    /* libslirp writes to host sockets with plain send(2): a peer's reset must be EPIPE, not death. */
    signal(SIGPIPE, SIG_IGN);
    /* No hello means urun went away before sending it: nothing to serve, nobody to tell. */
    if (receive_hello(&hello, fds, &n_fds) < 0)
        return 1;
    /* The tap fd goes above every other: the kernel closes a dying process's fds in ascending order,
     * and closing the last fd of tap0 takes longer than the others (tap0 is persistent, tapdev.c, so
     * it is not unregistered then, but the queue is detached).  The log fd, often urun's stderr, which
     * a caller may wait on for end of file, is closed first that way, also when `delete` SIGKILLs the
     * helper. */
    int tap = fcntl(fds[0], F_DUPFD_CLOEXEC, 64);
    if (tap >= 0) {
        close(fds[0]);
        fds[0] = tap;
    }
    urun_log_init_fd(fds[1], hello.log_json, hello.log_is_file, "urun-slirp: ");
    g_log_set_default_handler(glib_log, NULL);

    r = setup(&hello, fds[0], hello.has_pidfd ? fds[2] : -1, &loop, &err);
    netns_reply_from(&reply, r < 0 ? &err : NULL);
    if (netns_proto_send(NETNS_HELPER_CTL_FD, &reply, sizeof(reply), NULL, 0) < 0 || r < 0) {
        slirp_loop_free(loop);
        return 1;
    }
    close(NETNS_HELPER_CTL_FD);
    log_info("serving container init %d: tap0 mtu %u, %zu published port(s)%s", (int)hello.init_pid, hello.config.mtu,
             hello.config.n_publish, hello.config.allow_host_loopback ? ", host loopback allowed" : "");
    r = slirp_loop_run(loop);
    slirp_loop_free(loop);
    return r < 0 ? 1 : 0;
}
