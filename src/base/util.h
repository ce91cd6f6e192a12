/* Small file and string helpers shared by the runtime modules.  No policy lives here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/alloc.h"
#include "base/error.h"

/* Read a whole file (at most max bytes; more is an error) relative to dirfd. NUL-terminated. */
int read_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, struct urun_error *err);
/* The same for a file urun keeps itself (state files): opened with O_NOFOLLOW | O_NONBLOCK, and read
 * only when fstat says it is a regular file of at most max bytes, so a symlink, fifo, socket or
 * device planted in its place is an error naming it ("state.json: is a fifo, not a regular file"),
 * never a hang or a redirect. */
int read_regular_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_len, struct urun_error *err);
/* Write a file atomically: path.tmp, fsync (when durable), rename.  mode for the new file. */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode, bool durable,
                         struct urun_error *err);
/* write(2) all of it, retrying on EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);
/* Write a short string to a file that must already exist (procfs/sysfs style). */
int write_file_str(const char *path, const char *s, struct urun_error *err);
/* The login name of uid: /etc/passwd read directly (NSS would load its modules first, a tenth of
 * a millisecond of every create), then, for users that file does not have (LDAP, sssd), NSS through
 * getent(1), once per process and uid.  False when neither knows the uid. */
bool user_name_of(uid_t uid, char *buf, size_t size);
/* How long urun waits for a socket the caller names (--console-socket) to take a connection or data. */
#define UTIL_SOCKET_TIMEOUT_MS 5000
/* Connect a new AF_UNIX stream socket (close-on-exec) to path, giving up after timeout_ms: connect(2)
 * to a listener whose backlog is full blocks until it accepts, which one that never does would make
 * forever.  The socket keeps timeout_ms as its send timeout (SO_SNDTIMEO), so a later send to a peer
 * that never reads fails with EAGAIN instead of hanging.  Errors name the path: "connect PATH: no
 * connection accepted within 5 s" (ETIMEDOUT), "connect PATH: No such file or directory". */
int util_connect_unix(const char *path, int timeout_ms, int *ret_fd, struct urun_error *err);

/* One of urun's helper programs (urun-slirp, urun-image): next to the running urun first (a build
 * directory), else in libexecdir.  -ENOENT when neither is executable; buf then names the latter. */
int util_helper_path(const char *name, char *buf, size_t size);
