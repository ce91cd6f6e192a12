/* Implementation of spawn.h.  Runs in freshly forked children of urun: plain syscalls, and no
 * logging once the container's paths are being resolved (errors travel back to urun instead). */
#include "container/spawn.h"

#include "base/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container/process.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* close_range(2), kernel 5.9; before that, one close per possible fd up to the soft limit. */
static void close_between(unsigned lo, unsigned hi)
{
    if (lo > hi)
        return;
    if (syscall(SYS_close_range, lo, hi, 0) == 0)
        return;
    struct rlimit rl;
    unsigned max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1U << 20 ? (unsigned)rl.rlim_cur : 1U << 20;
    for (unsigned fd = lo; fd <= hi && fd < max; fd++)
        close((int)fd);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void spawn_seal_fds(const struct spawn_child *c, const int *keep_in, size_t n_keep)
{
    int keep[32];
    size_t n = 0;
    unsigned next = 3U + (unsigned)(c->preserve_fds > 0 ? c->preserve_fds : 0);

    for (size_t i = 0; i < n_keep && n < sizeof(keep) / sizeof(keep[0]); i++)
        if (keep_in[i] >= (int)next)
            keep[n++] = keep_in[i];
    qsort(keep, n, sizeof(keep[0]), cmp_int);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)keep[i] > next)
            close_between(next, (unsigned)keep[i] - 1);
        next = (unsigned)keep[i] + 1;
    }
    close_between(next, ~0U);
}

/* Become root of the (new or joined) user namespace and drop the caller's supplementary groups.  An
 * unprivileged caller already is root there when its own ID is mapped to 0, but a caller whose ID is
 * not in the map (real root running a userns spec, or a map whose root is a subordinate ID) would
 * otherwise create files with an unmapped fsuid (EOVERFLOW, user_namespaces(7)) and keep host groups
 * that decide access through group bits.  setgroups EPERM: denied in a single-ID map, where the
 * groups are the caller's own anyway. */
static int become_root(struct urun_error *err)
{
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return urun_error_errno(err, "become root in the user namespace (is container ID 0 mapped?)");
    if (setgroups(0, NULL) < 0 && errno != EPERM)
        return urun_error_errno(err, "drop supplementary groups");
    return 0;
}

int spawn_enter(struct spawn_child *c, const struct spawn_entry *e, struct urun_error *err)
{
    int r = 0;

    if ((e->join && e->join->any) || e->unshare_flags)
        r = nsjoin_enter(e->join, e->unshare_flags, err);
    nsjoin_release(e->join);
    if (r >= 0 && e->become_root)
        r = become_root(err);
    if (r >= 0 && e->respawn)
        r = sync_step_respawn(&c->sync, e->respawn_what, err);
    return r;
}

int spawn_chdir(const char *cwd, const char *field, struct urun_error *err)
{
    char buf[PATH_MAX];

    if (chdir(cwd) < 0)
        return urun_error_errno(err, "%s %s", field, cwd);
    /* glibc turns the kernel's "(unreachable)/..." into ENOENT (getcwd(3)). */
    bool inside = getcwd(buf, sizeof(buf)) && buf[0] == '/';
    if (!inside && errno != ENOENT)
        return urun_error_errno(err, "%s %s: getcwd", field, cwd);
    if (!inside)
        return urun_error_set(err, 0, "%s %s: resolves to a directory outside the container", field, cwd);
    return 0;
}

/* Find args[0] the way execvp would, but with the container's PATH, inside the container.  Doing
 * it before READY makes "executable file not found" a create-time error, as runc reports it. */
int spawn_find_executable(const struct spec_process *p, char *out, size_t size, struct urun_error *err)
{
    const char *arg0 = p->args[0], *path = DEFAULT_PATH;
    struct stat st;

    /* runc's wording, lower case: engines map "no such file or directory" and "executable file not
     * found" to 127, "permission denied" to 126 (docker's CLI matches these strings). */
    if (strchr(arg0, '/')) {
        if (stat(arg0, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
            return urun_error_set(err, 0, "exec: \"%s\": no such file or directory", arg0);
        if (stat(arg0, &st) < 0)
            return urun_error_errno(err, "exec: \"%s\"", arg0);
        if (!S_ISREG(st.st_mode) || access(arg0, X_OK) < 0)
            return urun_error_set(err, 0, "exec: \"%s\": permission denied", arg0);
        snprintf(out, size, "%s", arg0);
        return 0;
    }
    for (char **e = p->env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    for (const char *dir = path; dir;) {
        const char *colon = strchr(dir, ':');
        size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
        snprintf(out, size, "%.*s%s%s", (int)len, dir, len ? "/" : "", arg0);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        dir = colon ? colon + 1 : NULL;
    }
    return urun_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
}

int spawn_prepare(const struct spec_process *p, const char *cwd_field, char *exe, size_t exe_size,
                  struct urun_error *err)
{
    int r = spawn_chdir(p->cwd, cwd_field, err);
    if (r >= 0)
        r = process_prepare(p, err);
    if (r >= 0)
        r = spawn_find_executable(p, exe, exe_size, err);
    return r;
}

/* The container's terminal: a pty from the container's own devpts (so the process sees a /dev/pts/N
 * of its own), bound onto /dev/console as runc does.  Runs after pivot_root. */
int spawn_terminal_open(const struct spec_process *p, bool bind_console, int *ret_master, int *ret_slave,
                        struct urun_error *err)
{
    char name[64];
    int master, slave, fd;

    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return urun_error_errno(err, "process.terminal: open /dev/ptmx (is devpts mounted at /dev/pts?)");
    if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0) {
        close(master);
        return urun_error_errno(err, "process.terminal: set up pty");
    }
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        close(master);
        return urun_error_errno(err, "process.terminal: open %s", name);
    }
    if (p->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short)p->console_height, .ws_col = (unsigned short)p->console_width};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (!bind_console)
        goto done;
    fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (fd < 0 || mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0) {
        close(master);
        close(slave);
        return urun_error_errno(err, "process.terminal: bind %s onto /dev/console", name);
    }
done:
    *ret_master = master;
    *ret_slave = slave;
    return 0;
}

/* Make the pty slave the process's controlling terminal and its stdio. */
int spawn_terminal_attach(int slave, struct urun_error *err)
{
    if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
        return urun_error_errno(err, "process.terminal: make the pty the controlling terminal");
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(slave, fd) < 0)
            return urun_error_errno(err, "process.terminal: attach stdio");
    if (slave > 2)
        close(slave);
    return 0;
}

int spawn_ready(struct spawn_child *c, int master, struct urun_error *err)
{
    int r = sync_step(&c->sync, SYNC_SIDE_INIT, SYNC_PHASE_READY, &master, err);
    if (master >= 0)
        close(master);
    return r;
}

/* process.env, plus LISTEN_FDS/LISTEN_PID=1 when socket-activation fds are passed on (runc's way:
 * the process is pid 1 of its namespace, or at least the one the fds are for). */
static char **process_env(const struct spec_process *p, int n_listen_fds)
{
    static char listen_fds[32], listen_pid[] = "LISTEN_PID=1", *empty[] = {NULL};
    char **env = p->env;
    size_t n = 0;

    while (env && env[n])
        n++;
    if (!n_listen_fds)
        return env ? env : empty;
    char **out = xcalloc(n + 3, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        out[i] = env[i];
    snprintf(listen_fds, sizeof(listen_fds), "LISTEN_FDS=%d", n_listen_fds);
    out[n] = listen_fds;
    out[n + 1] = listen_pid;
    return out;
}

_Noreturn void spawn_exec(struct spawn_child *c, const struct spec_process *p, const char *exe,
                          const struct process_seccomp *sc)
{
    struct urun_error err = {0};
    sigset_t none;

    if (process_finalize(p, c->preserve_fds, sc, &err) < 0)
        spawn_fail(c, &err);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(exe, p->args, process_env(p, c->listen_fds));
    urun_error_errno(&err, "exec %s", exe);
    spawn_fail(c, &err);
}

_Noreturn void spawn_fail(struct spawn_child *c, struct urun_error *err)
{
    char msg[URUN_ERROR_MSG_MAX + 128];

    if (c->sync.fd >= 0 && sync_send(c->sync.fd, SYNC_ERROR, err) == 0)
        _exit(1);
    /* After READY (exec) or the go-ahead (create) nobody listens on the sync socket any more:
     * `start` reads the report from the exec fifo; only when that is gone too is stderr all there is. */
    if (c->report_fd >= 0 && sync_fifo_report(c->report_fd, err) == 0)
        _exit(127);
    fprintf(stderr, "urun: %s: %s\n", c->who, urun_error_format(err, msg, sizeof(msg)));
    _exit(127);
}
