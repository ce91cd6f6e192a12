/* urun-slirp: the long-lived network helper of one container, in the host's namespaces.  urun
 * (start.c) execs it with only its control socket open, sends the tap fd, the init's pidfd, the log
 * fd, the settings and (for published TCP ports) the container's user and network namespaces, and
 * waits for "ready".  It never enters the container's namespaces itself (its socket factory child
 * does, sockfactory.c), never outlives the container's init, and is sandboxed (sandbox.c) before it
 * handles any traffic. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "netns/common/proto.h"
#include "netns/helper/loop.h"
#include "netns/helper/sandbox.h"
#include "netns/helper/sockfactory.h"
#include "netns/helper/tcpfwd.h"

/* How long the socket factory may take to join the container's namespaces. */
#define FACTORY_TIMEOUT_MS 3000
/* fds kept beyond the spliced connections': libslirp's own sockets (the container's connections out),
 * the tap, the log, the pidfd, the listeners. */
#define FD_RESERVE 1024

/* The hello's fds by name (proto.h gives their order); -1: not sent. */
struct helper_fds {
    int tap, log, pidfd, netns, userns;
};

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

static bool valid_ip(int family, const char *s, size_t size)
{
    unsigned char bin[16];
    return memchr(s, '\0', size) && inet_pton(family, s, bin) == 1;
}

static int receive_hello(struct netns_hello *h, struct helper_fds *ret)
{
    int fds[NETNS_PROTO_MAX_FDS];
    size_t n_fds = NETNS_PROTO_MAX_FDS, i = 2;
    int r = netns_proto_recv(NETNS_HELPER_CTL_FD, h, sizeof(*h), fds, &n_fds);

    if (r < 0)
        return r;
    if (n_fds != 2u + (h->has_pidfd != 0) + (h->has_netns != 0) + (h->has_userns != 0) ||
        (h->has_userns && !h->has_netns) || h->config.mtu < NETNS_MTU_MIN || h->config.mtu > NETNS_MTU_MAX ||
        h->config.n_publish > NETNS_MAX_PUBLISH ||
        !valid_ip(AF_INET, h->config.guest_ip4, sizeof(h->config.guest_ip4)) ||
        !valid_ip(AF_INET6, h->config.guest_ip6, sizeof(h->config.guest_ip6))) {
        for (size_t k = 0; k < n_fds; k++)
            close(fds[k]);
        return -EBADMSG;
    }
    ret->tap = fds[0];
    ret->log = fds[1];
    ret->pidfd = h->has_pidfd ? fds[i++] : -1;
    ret->netns = h->has_netns ? fds[i++] : -1;
    ret->userns = h->has_userns ? fds[i++] : -1;
    return 0;
}

/* How many spliced connections at once: RLIMIT_NOFILE's soft limit is raised (up to the hard one) to
 * what TCPFWD_MAX_CONNS needs, and the limit is what fits.  Before the sandbox, which forbids setrlimit. */
static size_t tcp_conn_limit(void)
{
    rlim_t want = (rlim_t)TCPFWD_MAX_CONNS * TCPFWD_FDS_PER_CONN + FD_RESERVE;
    struct rlimit rl;
    size_t n;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 1;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    n = rl.rlim_cur > 2 * FD_RESERVE ? (size_t)(rl.rlim_cur - FD_RESERVE) / TCPFWD_FDS_PER_CONN
                                     : (size_t)rl.rlim_cur / (2 * TCPFWD_FDS_PER_CONN);
    return n > TCPFWD_MAX_CONNS ? TCPFWD_MAX_CONNS : n ? n : 1;
}

/* The socket factory for published TCP ports, forked now, before libslirp or anything else can make
 * a thread; the namespace fds are closed right after: the helper keeps none of the container's. */
static void factory_start(struct helper_fds *f, struct sockfactory *fac, struct urun_error *err)
{
    if (f->netns >= 0 && sockfactory_start(f->userns, f->netns, fac, err) < 0)
        *fac = SOCKFACTORY_NONE;
    closep(&f->netns);
    closep(&f->userns);
}

/* The running socket factory's pidfd, or -1: the helper sees it gone before it ends itself. */
static int factory_pidfd = -1;

/* The factory ends when its socket closes (slirp_loop_free), and is reaped by the kernel only while
 * the helper lives (SA_NOCLDWAIT): a factory still exiting when the helper is gone would be handed to
 * init or the caller's subreaper, and stay there as a zombie where that never reaps. */
static void wait_factory_gone(void)
{
    struct pollfd p = {.fd = factory_pidfd, .events = POLLIN};

    if (factory_pidfd < 0)
        return;
    while (poll(&p, 1, 2000) < 0 && errno == EINTR)
        ;
    closep(&factory_pidfd);
}

/* Published TCP ports are spliced once the factory is ready; else libslirp forwards them, as before. */
static void factory_use(struct slirp_loop *l, const struct netns_hello *h, struct sockfactory *fac,
                        struct urun_error *ferr)
{
    char msg[URUN_ERROR_MSG_MAX + 64];

    if (fac->sock >= 0 && sockfactory_wait_ready(fac, FACTORY_TIMEOUT_MS, ferr) >= 0) {
        int pidfd = pidfd_open_fd(fac->pid);
        factory_pidfd = pidfd >= 0 ? pidfd : -1;
        slirp_loop_splice_tcp(l, &h->config, TAKE_FD(fac->sock), tcp_conn_limit());
        /* Reaped by the kernel when it exits (SA_NOCLDWAIT, main). */
        *fac = SOCKFACTORY_NONE;
        return;
    }
    if (h->has_netns)
        log_warning("published TCP ports go through libslirp's TCP (slower): %s",
                    urun_error_format(ferr, msg, sizeof(msg)));
}

/* Everything up to "ready": the socket factory, libslirp, the published ports, the sandbox. */
static int setup(const struct netns_hello *h, struct helper_fds *f, struct slirp_loop **ret, struct urun_error *err)
{
    struct slirp_loop_args a = {
        .config = &h->config,
        .tap = f->tap,
        .pidfd = f->pidfd,
        .init_pid = h->init_pid,
        .init_start = h->init_start_time,
    };
    struct sockfactory fac = SOCKFACTORY_NONE;
    struct urun_error ferr = {0};
    struct slirp_loop *l = NULL;
    int r;

    factory_start(f, &fac, &ferr);
    r = slirp_loop_new(&a, &l, err);
    if (r >= 0)
        factory_use(l, h, &fac, &ferr);
    for (size_t i = 0; r >= 0 && i < h->config.n_publish; i++)
        r = slirp_loop_forward(l, &h->config.publish[i], err);
    if (r >= 0)
        r = sandbox_apply(err);
    if (r < 0) {
        sockfactory_stop(&fac);
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
    struct helper_fds fds;
    struct stat st;
    int r;

    (void)argc, (void)argv;
    if (fstat(NETNS_HELPER_CTL_FD, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        fprintf(stderr, "urun-slirp: the network helper of urun containers; urun starts it, not people\n");
        return 2;
    }
    close_extra_fds();
    /* libslirp writes to host sockets with plain send(2): a peer's reset must be EPIPE, not death. */
    signal(SIGPIPE, SIG_IGN);
    /* The socket factory, its only child, is reaped by the kernel: the sandbox has no wait4. */
    sigaction(SIGCHLD, &(struct sigaction){.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT}, NULL);
    /* No hello means urun went away before sending it: nothing to serve, nobody to tell. */
    if (receive_hello(&hello, &fds) < 0)
        return 1;
    /* The tap fd goes above every other: the kernel closes a dying process's fds in ascending order,
     * and closing the last fd of tap0 takes longer than the others (tap0 is persistent, tapdev.c, so
     * it is not unregistered then, but the queue is detached).  The log fd, often urun's stderr, which
     * a caller may wait on for end of file, is closed first that way, also when `delete` SIGKILLs the
     * helper. */
    int tap = fcntl(fds.tap, F_DUPFD_CLOEXEC, 64);
    if (tap >= 0) {
        close(fds.tap);
        fds.tap = tap;
    }
    urun_log_init_fd(fds.log, hello.log_json, hello.log_is_file, "urun-slirp: ");
    g_log_set_default_handler(glib_log, NULL);

    r = setup(&hello, &fds, &loop, &err);
    netns_reply_from(&reply, r < 0 ? &err : NULL);
    if (netns_proto_send(NETNS_HELPER_CTL_FD, &reply, sizeof(reply), NULL, 0) < 0 || r < 0) {
        slirp_loop_free(loop);
        wait_factory_gone();
        return 1;
    }
    close(NETNS_HELPER_CTL_FD);
    log_info("serving container init %d: tap0 mtu %u, %zu published port(s)%s", (int)hello.init_pid, hello.config.mtu,
             hello.config.n_publish, hello.config.allow_host_loopback ? ", host loopback allowed" : "");
    r = slirp_loop_run(loop);
    slirp_loop_free(loop); /* closes the factory's socket: it ends */
    wait_factory_gone();
    return r < 0 ? 1 : 0;
}
