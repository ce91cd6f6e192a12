/* Implementation of hooks.h.  One hook is one fork + chdir + execve; the parent then feeds stdin,
 * collects output and waits, all in one poll loop, so a hook that never reads stdin or fills its output
 * pipe cannot stall urun, and a timeout is enforced whatever the hook does.  No shell is ever involved,
 * and a hook's output reaches a message only escaped (escape.h). */
#include "runtime/hooks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/escape.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "base/util.h"
#include "spec/yamltree.h"

#define OUTPUT_MAX 512
#define POLL_FALLBACK_MS 50 /* without a pidfd, how often to look whether the hook has exited */

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* What the child tells the parent over the report pipe when it cannot run the hook (nothing at all
 * when execve succeeds: the pipe closes on exec). */
enum child_step {
    STEP_CHDIR,
    STEP_EXEC,
};

struct child_report {
    int step; /* enum child_step */
    int errnum;
};

/* One running hook, as the parent sees it. */
struct run {
    pid_t pid;
    int pidfd;       /* -1 when pidfd_open is missing */
    int in_fd;       /* write end of the hook's stdin, O_NONBLOCK; -1 once closed */
    int out_fd;      /* read end of the hook's stdout+stderr, O_NONBLOCK; -1 at EOF */
    int report_fd;   /* read end: a struct child_report when the hook did not run, EOF when it did */
    const char *dir; /* where the hook starts; NULL: the caller's cwd */
    const char *data;
    size_t len, off;
    char out[OUTPUT_MAX + 1];
    size_t out_len;
    bool truncated;
    char line[4 * OUTPUT_MAX + 1]; /* out as one escaped line, for the message */
};

/* ---- the child ---- */

/* fd number of a /proc/self/fd entry, or -1 for "." and "..". */
static int fd_name(const char *name)
{
    int fd = 0;

    if (!*name)
        return -1;
    for (; *name; name++) {
        if (*name < '0' || *name > '9' || fd > 100000000)
            return -1;
        fd = fd * 10 + (*name - '0');
    }
    return fd;
}

/* Every fd from 3 up closes on exec: the hook sees only 0, 1 and 2 (CVE-2024-21626 class).  Kernels
 * before 5.11 have no CLOSE_RANGE_CLOEXEC: then /proc/self/fd is walked with getdents64 (opendir
 * would allocate, which a forked child must not), and without /proc every fd below the hard
 * RLIMIT_NOFILE is marked (an fd may lie above a soft limit lowered after it was opened). */
static void cloexec_from_3(void)
{
    char buf[4096] __attribute__((aligned(8)));
    struct rlimit rl;
    long n = -1;
    int dir;

    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return;
    dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (dir >= 0 && (n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            const struct dirent64 *d = (const struct dirent64 *)(buf + off);
            int fd = fd_name(d->d_name);

            if (fd >= 3 && fd != dir)
                fcntl(fd, F_SETFD, FD_CLOEXEC);
            off += d->d_reclen;
        }
    }
    if (dir >= 0)
        close(dir);
    if (n == 0)
        return;
    rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_max : 0;
    max = max && max < (1u << 20) ? max : (1u << 20);
    for (int fd = 3; fd < (int)max; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* After fork: only async-signal-safe calls. */
_Noreturn static void child(char *const argv[], char *const envp[], const char *path, const char *dir, int in_r,
                            int out_w, int report_w)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    struct child_report rep = {.step = STEP_EXEC};
    sigset_t none;

    /* The caller may ignore or block signals (urun run blocks those it forwards); a hook starts clean. */
    for (int s = 1; s < NSIG; s++)
        sigaction(s, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Move both ends above 2 first, so that dup2 cannot overwrite one with the other. */
    in_r = fcntl(in_r, F_DUPFD_CLOEXEC, 3);
    out_w = fcntl(out_w, F_DUPFD_CLOEXEC, 3);
    if (in_r < 0 || out_w < 0 || dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
        goto fail;
    cloexec_from_3();
    if (dir && chdir(dir) < 0) {
        rep.step = STEP_CHDIR;
        goto fail;
    }
    execve(path, argv, envp);
fail:
    rep.errnum = errno;
    if (write(report_w, &rep, sizeof(rep)) < 0) {
        /* nothing left to tell anyone */
    }
    _exit(127);
}

/* ---- the parent ---- */

static void take_output(struct run *r)
{
    char buf[4096];
    ssize_t n;

    while (r->out_fd >= 0) {
        n = read(r->out_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) { /* EOF, or an error: either way nothing more will come */
            close(r->out_fd);
            r->out_fd = -1;
            return;
        }
        size_t keep = (size_t)n < OUTPUT_MAX - r->out_len ? (size_t)n : OUTPUT_MAX - r->out_len;
        memcpy(r->out + r->out_len, buf, keep);
        r->out_len += keep;
        r->truncated = r->truncated || keep < (size_t)n;
    }
}

static void feed_input(struct run *r)
{
    while (r->in_fd >= 0 && r->off < r->len) {
        ssize_t n = write(r->in_fd, r->data + r->off, r->len - r->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) /* EPIPE: the hook does not read its stdin, which is its right */
            break;
        r->off += (size_t)n;
    }
    if (r->in_fd >= 0) {
        close(r->in_fd);
        r->in_fd = -1;
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the hook, feeding and draining it.  *ret_timed_out when it was killed for the timeout. */
static int supervise(struct run *r, int timeout_s, int *ret_status, bool *ret_timed_out)
{
    int64_t deadline = timeout_s > 0 ? now_ms() + (int64_t)timeout_s * 1000 : -1;

    *ret_timed_out = false;
    for (;;) {
        pid_t w = waitpid(r->pid, ret_status, WNOHANG);
        if (w == r->pid)
            break;
        if (w < 0 && errno != EINTR)
            return -errno;
        int wait_ms = r->pidfd >= 0 ? -1 : POLL_FALLBACK_MS;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                pidfd_signal(r->pidfd, r->pid, SIGKILL);
                *ret_timed_out = true;
                while (waitpid(r->pid, ret_status, 0) < 0)
                    if (errno != EINTR)
                        return -errno;
                break;
            }
            if (wait_ms < 0 || left < wait_ms)
                wait_ms = (int)left;
        }
        struct pollfd p[3] = {{.fd = r->in_fd, .events = POLLOUT},
                              {.fd = r->out_fd, .events = POLLIN},
                              {.fd = r->pidfd, .events = POLLIN}};
        if (poll(p, 3, wait_ms) < 0 && errno != EINTR)
            return -errno;
        if (p[0].revents)
            feed_input(r);
        if (p[1].revents)
            take_output(r);
    }
    /* Whatever the hook wrote before it exited; its own children may keep the pipe open, so only
     * what is there now. */
    take_output(r);
    return 0;
}

/* The captured output as one line: line breaks and tabs become spaces, trailing blanks go, and every
 * other control character is escaped (escape.h): the hook may print what a container wrote. */
static const char *output_line(struct run *r)
{
    for (size_t i = 0; i < r->out_len; i++)
        if (r->out[i] == '\n' || r->out[i] == '\r' || r->out[i] == '\t' || r->out[i] == '\v' || r->out[i] == '\f')
            r->out[i] = ' ';
    while (r->out_len > 0 && r->out[r->out_len - 1] == ' ')
        r->out_len--;
    escape_text(r->out, r->out_len, r->line, sizeof(r->line));
    return r->line;
}

static int report(struct run *r, int status, bool timed_out, const char *what, const struct spec_hook *h,
                  struct urun_error *err)
{
    const char *out = output_line(r), *sep = *out ? ": " : "", *more = r->truncated ? " ..." : "";
    struct child_report rep = {0};
    bool not_run = read(r->report_fd, &rep, sizeof(rep)) == sizeof(rep);

    if (not_run && rep.step == STEP_CHDIR)
        return urun_error_set(err, rep.errnum, "%s %s: start in %s", what, h->path, r->dir);
    if (not_run)
        return urun_error_set(err, rep.errnum, "%s %s: exec", what, h->path);
    if (timed_out)
        return urun_error_set(err, ETIMEDOUT, "%s %s: timed out after %ds%s%s%s", what, h->path, h->timeout, sep, out,
                              more);
    if (WIFSIGNALED(status))
        return urun_error_set(err, 0, "%s %s: killed by signal %d (SIG%s)%s%s%s", what, h->path, WTERMSIG(status),
                              sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?", sep, out, more);
    if (WEXITSTATUS(status) != 0)
        return urun_error_set(err, 0, "%s %s: exited with status %d%s%s%s", what, h->path, WEXITSTATUS(status), sep,
                              out, more);
    return 0;
}

/* Pipes for the child: stdin, stdout+stderr, and the exec report.  [0] read end, [1] write end. */
static int make_pipes(int in[2], int out[2], int rep[2])
{
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
        return -errno;
    /* Only the parent's ends are non-blocking: O_NONBLOCK belongs to one open file description. */
    if (fcntl(in[1], F_SETFL, O_NONBLOCK) < 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 ||
        fcntl(rep[0], F_SETFL, O_NONBLOCK) < 0)
        return -errno;
    return 0;
}

static void close_pair(int p[2])
{
    closep(&p[0]);
    closep(&p[1]);
}

static int run_one(const struct spec_hook *h, const char *what, const char *dir, const char *state_json,
                   struct urun_error *err)
{
    char *default_argv[] = {h->path, NULL}, *empty_env[] = {NULL};
    char *const *argv = h->args && h->args[0] ? h->args : default_argv;
    char *const *envp = h->env ? h->env : empty_env;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, rep[2] = {-1, -1}, status = 0, rc;
    struct run r = {.pidfd = -1,
                    .in_fd = -1,
                    .out_fd = -1,
                    .report_fd = -1,
                    .data = state_json,
                    .len = strlen(state_json),
                    .dir = dir};
    bool timed_out;

    rc = make_pipes(in, out, rep);
    if (rc < 0) {
        rc = urun_error_set(err, -rc, "%s %s: pipe", what, h->path);
        goto out;
    }
    r.pid = fork();
    if (r.pid < 0) {
        rc = urun_error_errno(err, "%s %s: fork", what, h->path);
        goto out;
    }
    if (r.pid == 0)
        child(argv, envp, h->path, dir, in[0], out[1], rep[1]);
    r.in_fd = TAKE_FD(in[1]);
    r.out_fd = TAKE_FD(out[0]);
    r.report_fd = rep[0];
    close_pair(in);
    closep(&out[1]);
    closep(&rep[1]);
    int pfd = pidfd_open_fd(r.pid);
    r.pidfd = pfd >= 0 ? pfd : -1;
    rc = supervise(&r, h->has_timeout ? h->timeout : 0, &status, &timed_out);
    if (rc < 0)
        rc = urun_error_set(err, -rc, "%s %s: wait", what, h->path);
    else
        rc = report(&r, status, timed_out, what, h, err);
out:
    closep(&r.in_fd);
    closep(&r.out_fd);
    closep(&r.pidfd);
    close_pair(in);
    close_pair(out);
    close_pair(rep);
    return rc;
}

/* Where the hooks of kind_name start: the bundle that the state names, as runc and crun run them.
 * startContainer runs in the container after pivot_root, where that host path means nothing (or
 * whatever the container made of it), so it starts at the container's /.  NULL: no bundle named. */
static char *start_dir(const char *kind_name, const char *state_json)
{
    _cleanup_(ytree_freep) struct ynode *root = NULL;
    const char *bundle;

    if (strcmp(kind_name, spec_hook_name(SPEC_HOOK_START_CONTAINER)) == 0)
        return xstrdup("/");
    if (!state_json || ytree_parse(state_json, strlen(state_json), &root, NULL) < 0 ||
        ynode_string(ynode_get(root, "bundle"), "bundle", &bundle, NULL) < 0 || bundle[0] != '/')
        return NULL;
    return xstrdup(bundle);
}

/* Every hook of l in order; keep_going: a failing one is a warning and the rest still run. */
static int run_list(const struct spec_hook_list *l, const char *kind_name, const char *state_json, bool keep_going,
                    struct urun_error *err)
{
    _cleanup_free_ char *dir = NULL;
    sigset_t pipe_set, old_mask, pending;
    bool was_pending;
    int r = 0;

    /* A hook that exits without reading its stdin makes our write fail with EPIPE; SIGPIPE, which
     * would kill urun, is held back meanwhile, and swallowed unless it was already pending. */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    if (l->n)
        dir = start_dir(kind_name, state_json);

    for (size_t i = 0; i < l->n && r >= 0; i++) {
        char what[64], msg[URUN_ERROR_MSG_MAX + 64];
        snprintf(what, sizeof(what), "hooks.%s[%zu]", kind_name, i);
        r = run_one(&l->hooks[i], what, dir, state_json ? state_json : "", err);
        if (r < 0 && keep_going) {
            log_warning("%s (continuing with the next hook)", urun_error_format(err, msg, sizeof(msg)));
            r = 0;
        }
    }

    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    return r;
}

int hooks_run(const struct spec_hook_list *l, const char *kind_name, const char *state_json, struct urun_error *err)
{
    return run_list(l, kind_name, state_json, /* keep_going= */ false, err);
}

void hooks_run_all(const struct spec_hook_list *l, const char *kind_name, const char *state_json)
{
    struct urun_error err;
    run_list(l, kind_name, state_json, /* keep_going= */ true, &err);
}

bool hooks_has_create(const struct urun_spec *s)
{
    return s->hooks[SPEC_HOOK_PRESTART].n || s->hooks[SPEC_HOOK_CREATE_RUNTIME].n ||
           s->hooks[SPEC_HOOK_CREATE_CONTAINER].n;
}
