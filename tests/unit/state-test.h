/* Helpers shared by the state module's unit tests (test_state.c, test_state_file.c): a private
 * temporary directory and small file helpers. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/id.h"
#include "runtime/state.h"
#include "runtime/status.h"
#include "tap.h"
static char tmp[64]; /* the test's private directory */

/* Make tmp, set the umask, and bound the run (a lock bug must fail the test, not hang it).  -1 after
 * a TAP "Bail out!" line. */
static inline int state_test_begin(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/urun-test-state-XXXXXX");
    if (!mkdtemp(tmp)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    umask(022);
    alarm(120);
    return 0;
}

static inline char *tpath(const char *rel)
{
    static char buf[4][512];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, rel);
    return buf[i];
}

static inline int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static inline void rm_rf(const char *p)
{
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline bool exists_at(int dirfd, const char *name)
{
    struct stat st;

    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static inline int open_root(const char *rel, struct state_root *r)
{
    struct urun_error err = {0};
    int k = state_root_open(tpath(rel), false, r, &err);

    if (k < 0)
        printf("# open root %s: %s\n", rel, err.msg);
    return k;
}

/* A child blocked in state_container_open(LOCK_EX) while we remove the container it waits for. */
static inline int write_file(int dirfd, const char *name, const char *content)
{
    int fd = openat(dirfd, name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = write(fd, content, strlen(content));
    close(fd);
    return n == (ssize_t)strlen(content) ? 0 : -1;
}

/* state_read fails, with a message that starts with the file's whole path and then want. */
