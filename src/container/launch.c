/* Implementation of launch.h.  Runs in freshly forked children: plain syscalls only. */
#include "container/launch.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>


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

void launch_close_fds(const struct launch_fds *f)
{
    int keep[32];
    size_t n = 0;
    unsigned next = 3U + (unsigned)(f->n_pass > 0 ? f->n_pass : 0);

    for (size_t i = 0; i < f->n_keep && n < sizeof(keep) / sizeof(keep[0]); i++)
        if (f->keep[i] >= (int)next)
            keep[n++] = f->keep[i];
    qsort(keep, n, sizeof(keep[0]), cmp_int);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)keep[i] > next)
            close_between(next, (unsigned)keep[i] - 1);
        next = (unsigned)keep[i] + 1;
    }
    close_between(next, ~0U);
}

int launch_chdir(const char *cwd, const char *what, struct urun_error *err)
{
    char buf[PATH_MAX];

    if (chdir(cwd) < 0)
        return urun_error_errno(err, "%s %s", what, cwd);
    /* glibc turns the kernel's "(unreachable)/..." into ENOENT (getcwd(3)). */
    bool inside = getcwd(buf, sizeof(buf)) && buf[0] == '/';
    if (!inside && errno != ENOENT)
        return urun_error_errno(err, "%s %s: getcwd", what, cwd);
    if (!inside)
        return urun_error_set(err, 0, "%s %s: resolves to a directory outside the container", what, cwd);
    return 0;
}
