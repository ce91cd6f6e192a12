/* The runtime log (log.h).  Opened once by main; written by anyone for warnings and debug lines.
 * Each line is written with a single write(2) so concurrent urun processes never interleave. */
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"

static int log_fd = -1;  /* -1: stderr */
static bool log_closed;  /* urun_log_close: nothing is written any more */
static bool log_json;
static bool log_debug_on;

int urun_log_open(const char *path, bool json, bool debug, struct urun_error *err)
{
    log_json = json;
    log_debug_on = debug;
    if (!path || !*path)
        return 0;
    log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (log_fd < 0)
        return urun_error_errno(err, "open log file %s", path);
    return 0;
}

bool urun_log_is_json(void)
{
    return log_json;
}

bool urun_log_is_stderr(void)
{
    return log_fd < 0;
}

void urun_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    log_closed = true;
}

int urun_log_fd(void)
{
    return log_fd;
}

static const char *level_name(enum urun_log_level level)
{
    switch (level) {
    case URUN_LOG_ERROR:
        return "error";
    case URUN_LOG_WARNING:
        return "warning";
    case URUN_LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

void urun_log(enum urun_log_level level, const char *fmt, ...)
{
    char msg[2048], stamp[64], line[4096];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    int saved = errno, n;

    if (log_closed || (level == URUN_LOG_DEBUG && !log_debug_on))
        return;
    /* Info lines only go to an explicit log file: on a terminal they would be noise. */
    if (level == URUN_LOG_INFO && log_fd < 0 && !log_debug_on)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = (int)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + n, sizeof(stamp) - (size_t)n, ".%09ldZ", ts.tv_nsec);

    if (log_json) {
        struct json_writer w;
        json_init(&w, false);
        json_begin_object(&w);
        json_kv_string(&w, "level", level_name(level));
        json_kv_string(&w, "msg", msg);
        json_kv_string(&w, "time", stamp);
        json_end_object(&w);
        size_t len;
        char *s = json_steal(&w, &len);
        if (s) {
            snprintf(line, sizeof(line), "%s\n", s);
            free(s);
        } else {
            line[0] = '\0';
        }
        json_free(&w);
    } else if (log_fd >= 0) {
        snprintf(line, sizeof(line), "%s %s: %s\n", stamp, level_name(level), msg);
    } else {
        snprintf(line, sizeof(line), "urun: %s: %s\n", level_name(level), msg);
    }
    ssize_t unused = write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, strlen(line));
    (void)unused;
    errno = saved;
}
