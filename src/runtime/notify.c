/* Implementation of notify.h.  Sockets are bound through /proc/self/fd/N/... so that the state
 * directory's length (IDs may be 1024 bytes) never meets the 108-byte sun_path limit. */
#include "runtime/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

int notify_prepare(const struct state_root *root, const char *id, int dirfd, struct urun_spec *s,
                   struct urun_error *err)
{
    size_t n_env = 0;

    if (!secure_getenv("NOTIFY_SOCKET"))
        return 0;
    /* 0711: container root may be another host ID; it only needs to reach the socket */
    if (mkdirat(dirfd, STATE_NOTIFY_DIR, 0711) < 0 || fchmodat(dirfd, STATE_NOTIFY_DIR, 0711, 0) < 0)
        return urun_error_errno(err, "NOTIFY_SOCKET: create the notify directory");

    /* Read-only: the container may connect to the socket (connect(2) and sendto(2) on a socket file
     * need no writable mount, unix(7)) but make nothing here, so whatever it could leave behind in
     * urun's state directory (a chowned 0700 tree that delete cannot remove) never exists. */
    _cleanup_free_ char *source = state_container_path(root, id, STATE_NOTIFY_DIR);
    spec_append_bind(s, NOTIFY_CONTAINER_DIR, source, /* ro= */ true);

    while (s->process->env && s->process->env[n_env])
        n_env++;
    char **env = xreallocarray(s->process->env, n_env + 2, sizeof(char *));
    env[n_env] = xasprintf("NOTIFY_SOCKET=" NOTIFY_CONTAINER_DIR "/" STATE_NOTIFY_SOCKET_NAME);
    env[n_env + 1] = NULL;
    s->process->env = env;
    return 0;
}

int notify_bind(int dirfd, int *ret_sock, struct urun_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    *ret_sock = -1;
    if (!secure_getenv("NOTIFY_SOCKET") || faccessat(dirfd, STATE_NOTIFY_DIR, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
        return 0;
    unlinkat(dirfd, STATE_NOTIFY_SOCKET, 0);
    if (state_fd_path(dirfd, STATE_NOTIFY_SOCKET, sa.sun_path, sizeof(sa.sun_path)) < 0)
        return urun_error_set(err, ENAMETOOLONG, "NOTIFY_SOCKET: the container's socket: path");
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        fchmodat(dirfd, STATE_NOTIFY_SOCKET, 0777, 0) < 0) {
        int r = urun_error_errno(err, "NOTIFY_SOCKET: bind the container's socket");
        if (fd >= 0)
            close(fd);
        return r;
    }
    *ret_sock = fd;
    return 0;
}

static int tell_caller(pid_t pid, struct urun_error *err)
{
    const char *path = secure_getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char msg[64];
    socklen_t len;

    if (strlen(path) >= sizeof(sa.sun_path))
        return urun_error_set(err, 0, "NOTIFY_SOCKET: %s is longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
    strcpy(sa.sun_path, path);
    if (path[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace, as systemd writes it */
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + (path[0] == '@' ? 0 : 1));
    int n = snprintf(msg, sizeof(msg), "MAINPID=%d\nREADY=1\n", (int)pid);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
        return urun_error_errno(err, "NOTIFY_SOCKET: notify %s", path);
    return 0;
}

int notify_wait_ready(int sock, int pidfd, pid_t pid, struct urun_error *err)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return urun_error_errno(err, "NOTIFY_SOCKET: wait for READY=1");
        }
        if (p[0].revents & POLLIN) {
            char buf[4096];
            ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
            if (n <= 0)
                continue;
            buf[n] = '\0';
            for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
                if (strcmp(line, "READY=1") == 0)
                    return tell_caller(pid, err);
            continue;
        }
        if (p[1].revents & POLLIN)
            return urun_error_set(err, 0, "the container exited before it sent READY=1 to NOTIFY_SOCKET");
    }
}
