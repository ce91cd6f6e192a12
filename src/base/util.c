/* Implementation of util.h: plain file I/O helpers.  Nothing here knows about containers. */
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "config.h"

int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Everything in fd, at most max bytes (more is an error naming path).  NUL-terminated. */
static int read_fd_bounded(int fd, const char *path, size_t max, char **ret, size_t *ret_len, struct urun_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 0;

    for (;;) {
        if (len == cap) {
            /* at most max + 1 bytes: one past the limit tells "too large" from "exactly max" */
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > max + 1)
                ncap = max + 1;
            buf = xreallocarray(buf, ncap + 1, 1);
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return urun_error_errno(err, "%s: cannot read", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return urun_error_set(err, 0, "%s: larger than %zu bytes", path, max);
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, struct urun_error *err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return urun_error_errno(err, "open %s", path);
    return read_fd_bounded(fd, path, max, ret, ret_len, err);
}

static const char *file_type_name(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR:
        return "a directory";
    case S_IFLNK:
        return "a symlink";
    case S_IFIFO:
        return "a fifo";
    case S_IFSOCK:
        return "a socket";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    }
    return "not a regular file";
}

/* What open(2) refused, named: a symlink (O_NOFOLLOW gives ELOOP) or a socket (ENXIO) says what it is. */
static int open_refused(int dirfd, const char *path, int e, struct urun_error *err)
{
    struct stat st;

    if ((e == ELOOP || e == ENXIO) && fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
        return urun_error_set(err, 0, "%s: is %s, not a regular file", path, file_type_name(st.st_mode));
    return urun_error_set(err, e, "%s: cannot open", path);
}

int read_regular_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, struct urun_error *err)
{
    /* O_NONBLOCK: opening a fifo must not wait for a writer (nor a device for its carrier); on a
     * regular file it changes nothing.  O_NOFOLLOW: a symlink planted here is refused, not followed. */
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;

    if (fd < 0)
        return open_refused(dirfd, path, errno, err);
    if (fstat(fd, &st) < 0)
        return urun_error_errno(err, "%s: cannot stat", path);
    if (!S_ISREG(st.st_mode))
        return urun_error_set(err, 0, "%s: is %s, not a regular file", path, file_type_name(st.st_mode));
    if (st.st_size < 0 || (uint64_t)st.st_size > max)
        return urun_error_set(err, 0, "%s: larger than %zu bytes", path, max);
    return read_fd_bounded(fd, path, max, ret, ret_len, err);
}

int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode, bool durable,
                         struct urun_error *err)
{
    _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    int r;

    if (fd < 0)
        return urun_error_errno(err, "create %s", tmp);
    r = write_all(fd, data, len);
    if (r == 0 && durable && fsync(fd) < 0)
        r = -errno;
    if (r == 0 && renameat(dirfd, tmp, dirfd, path) < 0)
        r = -errno;
    if (r < 0) {
        unlinkat(dirfd, tmp, 0);
        return urun_error_set(err, -r, "write %s", path);
    }
    return 0;
}

int write_file_str(const char *path, const char *s, struct urun_error *err)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    int r;

    if (fd < 0)
        return urun_error_errno(err, "open %s", path);
    r = write_all(fd, s, strlen(s));
    if (r < 0)
        return urun_error_set(err, -r, "write %s", path);
    return 0;
}

static bool passwd_file_name(uid_t uid, char *buf, size_t size)
{
    _cleanup_free_ char *text = NULL;
    size_t len;

    if (read_file_at(AT_FDCWD, "/etc/passwd", 1 << 24, &text, &len, NULL) < 0)
        return false;
    for (char *line = text, *next; line && *line; line = next) {
        char *name = line, *f;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        /* name:password:uid:... */
        if (!(f = strchr(name, ':')) || !(f = strchr(f + 1, ':')))
            continue;
        char *end;
        unsigned long v = strtoul(f + 1, &end, 10);
        if (end == f + 1 || *end != ':' || v != (unsigned long)uid || name[0] == '+' || name[0] == '-')
            continue;
        size_t n = (size_t)(strchr(name, ':') - name);
        if (n == 0 || n >= size)
            continue;
        memcpy(buf, name, n);
        buf[n] = '\0';
        return true;
    }
    return false;
}

static int64_t monotonic_ms(void);

/* How long a directory service may take to name a user before urun goes on with the number. */
#define NSS_TIMEOUT_MS 10000

/* The name getent(1) gives uid: NSS (LDAP, sssd, systemd's userdb) asked of a program of the system.
 * urun itself is linked statically, and a static glibc that loads the system's NSS modules crashes
 * (seen with libnss_systemd for any uid /etc/passwd lacks); getent runs them in a process of its
 * own, dynamically linked as they need. */
static bool nss_name(uid_t uid, char *buf, size_t size)
{
    static const char *const paths[] = {"/usr/bin/getent", "/bin/getent"};
    char num[16], out[1024];
    size_t len = 0;
    int p[2], status = 0; /* stays 0 if SIGCHLD is ignored and the child was reaped for us */
    pid_t pid = -1;

    snprintf(num, sizeof(num), "%u", (unsigned)uid);
    char *const argv[] = {(char *)"getent", (char *)"passwd", num, NULL};
    char *const envp[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    if (pipe2(p, O_CLOEXEC) < 0)
        return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* none of the caller's fds (--preserve-fds) */
    for (size_t i = 0; i < ARRAY_SIZE(paths) && pid < 0; i++)
        if (access(paths[i], X_OK) == 0 && posix_spawn(&pid, paths[i], &fa, NULL, argv, envp) != 0)
            pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    bool timed_out = false;
    int64_t deadline = monotonic_ms() + NSS_TIMEOUT_MS;
    while (pid > 0) { /* to EOF: what does not fit (a long GECOS field) is read and dropped */
        char scratch[256];
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        int64_t left = deadline - monotonic_ms();
        if (left <= 0 || poll(&pf, 1, (int)left) == 0) {
            timed_out = true; /* an unreachable directory server: the number will do */
            kill(pid, SIGKILL);
            break;
        }
        bool room = len < sizeof(out) - 1;
        ssize_t n = room ? read(p[0], out + len, sizeof(out) - 1 - len) : read(p[0], scratch, sizeof(scratch));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (room)
            len += (size_t)n;
    }
    close(p[0]);
    if (pid < 0)
        return false;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    out[len] = '\0';
    /* name:password:uid:... for exactly this uid */
    char *colon = strchr(out, ':'), *f = colon ? strchr(colon + 1, ':') : NULL;
    if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !colon || colon == out || !f ||
        strtoul(f + 1, NULL, 10) != (unsigned long)uid || (size_t)(colon - out) >= size)
        return false;
    memcpy(buf, out, (size_t)(colon - out));
    buf[colon - out] = '\0';
    return true;
}

bool user_name_of(uid_t uid, char *buf, size_t size)
{
    /* one lookup per process and uid: getent is a program to start */
    static uid_t cached_uid = (uid_t)-1;
    static char cached[256];
    static bool cached_found;

    if (passwd_file_name(uid, buf, size))
        return true;
    if (uid != cached_uid) {
        cached_found = nss_name(uid, cached, sizeof(cached));
        cached_uid = uid;
    }
    if (!cached_found || strlen(cached) >= size)
        return false;
    memcpy(buf, cached, strlen(cached) + 1);
    return true;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* unix_stream_connect() waits for room in the listener's backlog for the socket's send timeout, and
 * fails with EAGAIN when it runs out (net/unix/af_unix.c), so SO_SNDTIMEO is the connect timeout.  A
 * signal ends the wait with EINTR and leaves the socket unconnected: connect again for what is left. */
int util_connect_unix(const char *path, int timeout_ms, int *ret_fd, struct urun_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int64_t deadline = monotonic_ms() + timeout_ms;
    _cleanup_close_ int fd = -1, dirfd = -1;

    /* A path too long for sun_path (a deep home or runtime directory) is reached through its
     * directory's fd: /proc/self/fd/N/NAME, as conmon does for its own sockets. */
    if (strlen(path) >= sizeof(sa.sun_path)) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : NULL;
        if (dir)
            dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            return urun_error_set(err, dir ? errno : 0, "connect %s: path longer than %zu bytes", path,
                                  sizeof(sa.sun_path) - 1);
        int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd, slash + 1);
        if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
            return urun_error_set(err, 0, "connect %s: its name is longer than a socket address allows", path);
    } else {
        memcpy(sa.sun_path, path, strlen(path));
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return urun_error_errno(err, "connect %s: socket", path);
    for (;;) {
        int64_t left = deadline - monotonic_ms();
        struct timeval tv = {.tv_sec = left > 0 ? left / 1000 : 0, .tv_usec = left > 0 ? left % 1000 * 1000 : 1};

        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
            return urun_error_errno(err, "connect %s: set a timeout", path);
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        if (errno == EINTR && left > 0)
            continue;
        if ((errno == EAGAIN || errno == EINTR) && timeout_ms % 1000 == 0)
            return urun_error_set(err, ETIMEDOUT, "connect %s: no connection accepted within %d s", path,
                                  timeout_ms / 1000);
        if (errno == EAGAIN || errno == EINTR)
            return urun_error_set(err, ETIMEDOUT, "connect %s: no connection accepted within %d ms", path, timeout_ms);
        return urun_error_errno(err, "connect %s", path);
    }
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000};
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
        return urun_error_errno(err, "connect %s: set a timeout", path);
    *ret_fd = TAKE_FD(fd);
    return 0;
}

int util_helper_path(const char *name, char *buf, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, size, "%s/%s", exe, name);
            if (access(buf, X_OK) == 0)
                return 0;
        }
    }
    snprintf(buf, size, "%s/%s", URUN_LIBEXECDIR, name);
    return access(buf, X_OK) == 0 ? 0 : -ENOENT;
}
