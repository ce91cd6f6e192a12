/* The urun-slirp helper's log: the runtime log urun hands it, in urun's own formats (text lines, or
 * JSON lines {"level","msg","time"} as podman and conmon read them).  Deliberately tiny and separate
 * from src/base/log.c: the helper links nothing of urun's but netns/. */
#pragma once

#include <stdbool.h>

enum hlog_level {
    HLOG_ERROR,
    HLOG_WARNING,
    HLOG_INFO,
};

/* fd: where to write (owned by the log from now on).  is_file: false when fd is urun's stderr, where
 * lines read "urun: level: msg" and info lines are left out, as urun does. */
void hlog_init(int fd, bool json, bool is_file);
void hlog(enum hlog_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
