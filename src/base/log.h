/* Runtime log: --log FILE (default stderr) in text or JSON lines ({"level","msg","time"}), the format
 * podman and conmon read back.  Warnings and debug lines go here; the final error is printed by main. */
#pragma once

#include <stdbool.h>

#include "base/error.h"

enum urun_log_level {
    URUN_LOG_ERROR,
    URUN_LOG_WARNING,
    URUN_LOG_INFO,
    URUN_LOG_DEBUG,
};

/* path NULL: stderr. json: one JSON object a line. */
int urun_log_open(const char *path, bool json, bool debug, struct urun_error *err);
/* Instead of urun_log_open, in a program urun starts (the urun-slirp helper): log to fd, which is owned
 * by the log from now on, in urun's formats.  is_file false: fd stands for urun's stderr, so lines read
 * "urun: level: msg" and info lines are left out, as urun's own are.  prefix (or NULL) starts every
 * message: "urun-slirp: ".  No debug lines. */
void urun_log_init_fd(int fd, bool json, bool is_file, const char *prefix);
void urun_log(enum urun_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool urun_log_is_stderr(void);
bool urun_log_is_json(void);
int urun_log_fd(void); /* -1 when stderr */
/* A container process that is about to resolve the container's paths: it lets go of the log file
 * (an fd of the host) and logs nothing from then on; its errors travel back over the sync socket. */
void urun_log_close(void);

#define log_error(...) urun_log(URUN_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) urun_log(URUN_LOG_WARNING, __VA_ARGS__)
#define log_info(...) urun_log(URUN_LOG_INFO, __VA_ARGS__)
#define log_debug(...) urun_log(URUN_LOG_DEBUG, __VA_ARGS__)
