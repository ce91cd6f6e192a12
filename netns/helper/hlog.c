/* Implementation of hlog.h.  One write(2) per line, so lines never interleave with urun's own. */
#include "netns/helper/hlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static bool log_json, log_is_file;

void hlog_init(int fd, bool json, bool is_file)
{
    log_fd = fd;
    log_json = json;
    log_is_file = is_file;
}

static const char *level_name(enum hlog_level level)
{
    return level == HLOG_ERROR ? "error" : level == HLOG_WARNING ? "warning" : "info";
}

/* s as the inside of a JSON string: quotes, backslashes and control characters escaped. */
static size_t json_escape(const char *s, char *out, size_t size)
{
    size_t o = 0;
    for (; *s && o + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(out + o, size - o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

void hlog(enum hlog_level level, const char *fmt, ...)
{
    char msg[1024], esc[2048], stamp[64], line[4096];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int saved = errno, n;

    if (log_fd < 0 || (level == HLOG_INFO && !log_is_file))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = (int)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof(stamp) - (size_t)n, ".%09ldZ", ts.tv_nsec);
    if (log_json) {
        json_escape(msg, esc, sizeof(esc));
        n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"urun-slirp: %s\",\"time\":\"%s\"}\n",
                     level_name(level), esc, stamp);
    } else if (log_is_file) {
        n = snprintf(line, sizeof(line), "%s %s: urun-slirp: %s\n", stamp, level_name(level), msg);
    } else {
        n = snprintf(line, sizeof(line), "urun: %s: urun-slirp: %s\n", level_name(level), msg);
    }
    if (n > 0) {
        ssize_t unused = write(log_fd, line, strnlen(line, sizeof(line)));
        (void)unused;
    }
    errno = saved;
}
