/* Implementation of helper.h: the shared pieces of urun-image. */
#include "image/helper/helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"

static volatile sig_atomic_t cancelled;

static void on_signal(int sig)
{
    (void)sig;
    cancelled = 1;
}

void helper_catch_signals(void)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

bool helper_cancelled(void)
{
    return cancelled != 0;
}

static struct {
    bool on;
    const char *what;
    uint64_t total, done;
    unsigned step, steps;
    struct timespec last;
} progress;

static void progress_print(bool force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - progress.last.tv_sec) * 1000 + (now.tv_nsec - progress.last.tv_nsec) / 1000000;
    if (!force && ms < 100)
        return;
    progress.last = now;
    fprintf(stderr, "\r%s: layer %u/%u, %.1f/%.1f MB\033[K", progress.what, progress.step, progress.steps,
            (double)progress.done / 1e6, (double)progress.total / 1e6);
}

void helper_progress_begin(const char *what, uint64_t total_bytes, unsigned n_steps)
{
    progress.on = isatty(STDERR_FILENO);
    progress.what = what;
    progress.total = total_bytes;
    progress.steps = n_steps;
    progress.done = 0;
    progress.step = 0;
}

void helper_progress_step(unsigned step)
{
    progress.step = step;
    if (progress.on)
        progress_print(true);
}

void helper_progress_add(uint64_t bytes)
{
    progress.done += bytes;
    if (progress.on)
        progress_print(false);
}

void helper_progress_end(void)
{
    if (progress.on && progress.step)
        fprintf(stderr, "\r\033[K");
    progress.on = false;
}

int open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
    struct open_how how = {.flags = (uint64_t)flags,
                           .mode = mode,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

static int empty_tree(int fd, int depth, struct urun_error *err)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    int r = 0;

    if (!d) {
        close(fd);
        return urun_error_errno(err, "list a directory to remove");
    }
    while (r >= 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0)
            continue;
        if (errno != EISDIR && errno != EPERM)
            r = urun_error_errno(err, "remove %s", de->d_name);
        else if (depth > 4096)
            r = urun_error_set(err, 0, "remove: nested too deep");
        else {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            r = sub < 0 ? urun_error_errno(err, "open %s to remove it", de->d_name) : empty_tree(sub, depth + 1, err);
            if (r >= 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0)
                r = urun_error_errno(err, "remove %s", de->d_name);
        }
    }
    closedir(d);
    return r;
}

int helper_rm_tree(int dirfd, const char *name, struct urun_error *err)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == ENOTDIR || errno == ELOOP)
            return unlinkat(dirfd, name, 0) < 0 ? urun_error_errno(err, "remove %s", name) : 0;
        return urun_error_errno(err, "open %s to remove it", name);
    }
    int r = empty_tree(fd, 0, err);
    if (r >= 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
        r = urun_error_errno(err, "remove %s", name);
    return r;
}

int helper_tmpdir(int storefd, const char *prefix, char ret_name[64], int *ret_fd, struct urun_error *err)
{
    for (int tries = 0; tries < 100; tries++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(ret_name, 64, "tmp/%s.%d.%lx", prefix, (int)getpid(), (unsigned long)(ts.tv_nsec ^ tries));
        if (mkdirat(storefd, ret_name, 0700) < 0) {
            if (errno == EEXIST)
                continue;
            ret_name[0] = '\0';
            return urun_error_errno(err, "image store: make a temporary directory");
        }
        *ret_fd = openat(storefd, ret_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (*ret_fd < 0)
            return urun_error_errno(err, "image store: open %s", ret_name);
        return 0;
    }
    ret_name[0] = '\0';
    return urun_error_set(err, EEXIST, "image store: make a temporary directory");
}

int helper_clean_tmp(int storefd, struct urun_error *err)
{
    int fd = openat(storefd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? (errno == ENOENT ? 0 : urun_error_errno(err, "image store: open tmp/")) : empty_tree(fd, 0, err);
}

int helper_clean_path(const char *in, size_t len, char **ret)
{
    _cleanup_free_ char *out = xmalloc(len + 1);
    size_t o = 0;

    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && in[j] != '/')
            j++;
        size_t c = j - i;
        if (c == 2 && in[i] == '.' && in[i + 1] == '.')
            return -EINVAL;
        if (c > 0 && !(c == 1 && in[i] == '.')) {
            if (o)
                out[o++] = '/';
            memcpy(out + o, in + i, c);
            o += c;
        }
        i = j + 1;
    }
    out[o] = '\0';
    *ret = TAKE_PTR(out);
    return (int)o;
}
