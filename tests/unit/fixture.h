/* A fixture of tests/unit/fixtures/ (FIXTURES, set by tests/meson.build) as a string: at most 16 KiB,
 * in a static buffer that the next call reuses; NULL when it cannot be read. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static inline char *read_fixture(const char *name)
{
    char path[512];
    static char buf[16384];
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return buf;
}
