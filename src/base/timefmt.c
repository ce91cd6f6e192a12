/* Implementation of timefmt.h.  Pure but for reading the clock: no allocation, no locale (strftime's
 * numeric conversions do not depend on it), so the network helper can call it inside its sandbox. */
#include "base/timefmt.h"

#include <stdio.h>
#include <time.h>

void timefmt_rfc3339_now(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    if (size == 0)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n == 0) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}
