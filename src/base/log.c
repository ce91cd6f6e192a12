/* The runtime log (log.h).  Opened once by main; written by anyone for warnings and debug lines.
 * Each line is written with a single write(2) so concurrent urun processes never interleave. */
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/json.h"
#include "base/timefmt.h"

static int log_fd = -1;  /* -1: stderr */
static bool log_to_file; /* false: log_fd is (or stands for) urun's stderr */
static bool log_closed;  /* urun_log_close: nothing is written any more */
static bool log_json;
static bool log_debug_on;
static const char *log_prefix = ""; /* "urun-slirp: " in the network helper */

int urun_log_open(const char *path, bool json, bool debug, struct urun_error *err)
{
    log_json = json;
    log_debug_on = debug;
    if (!path || !*path)
        return 0;
    log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (log_fd < 0)
        return urun_error_errno(err, "open log file %s", path);
    log_to_file = true;
    return 0;
}

void urun_log_init_fd(int fd, bool json, bool is_file, const char *prefix)
{
    log_fd = fd;
    log_json = json;
    log_to_file = is_file;
    log_debug_on = false;
    log_closed = false;
    log_prefix = prefix ? prefix : "";
}

bool urun_log_is_json(void)
{
    return log_json;
}

bool urun_log_is_stderr(void)
{
    return !log_to_file;
}

void urun_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    log_to_file = false;
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
    char msg[2048], stamp[TIMEFMT_RFC3339_MAX], line[4096];
    va_list ap;
    int saved = errno, n;

    if (log_closed || (level == URUN_LOG_DEBUG && !log_debug_on))
        return;
    /* Info lines only go to an explicit log file: on a terminal they would be noise. */
    if (level == URUN_LOG_INFO && !log_to_file && !log_debug_on)
        return;
    n = snprintf(msg, sizeof(msg), "%s", log_prefix);
    if (n < 0 || (size_t)n >= sizeof(msg))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    va_end(ap);
    timefmt_rfc3339_now(stamp, sizeof(stamp));

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
    } else if (log_to_file) {
        snprintf(line, sizeof(line), "%s %s: %s\n", stamp, level_name(level), msg);
    } else {
        snprintf(line, sizeof(line), "urun: %s: %s\n", level_name(level), msg);
    }
    ssize_t unused = write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, strlen(line));
    (void)unused;
    errno = saved;
}
