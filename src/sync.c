/* Implementation of sync.h.  The wire format is one struct per datagram: never parsed from text. */
#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

struct sync_msg {
    uint32_t type;
    int32_t errnum;
    char msg[URUN_ERROR_MSG_MAX];
};

int sync_send(int fd, enum sync_type type, const struct urun_error *payload)
{
    struct sync_msg m = {.type = type};
    size_t len = offsetof(struct sync_msg, msg);

    if (payload) {
        m.errnum = payload->errnum;
        size_t l = strnlen(payload->msg, sizeof(m.msg) - 1);
        memcpy(m.msg, payload->msg, l);
        len += l + 1;
    }
    for (;;) {
        ssize_t n = send(fd, &m, len, MSG_NOSIGNAL);
        if (n >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int sync_expect(int fd, enum sync_type expected, struct urun_error *err)
{
    struct sync_msg m;
    ssize_t n;

    do
        n = recv(fd, &m, sizeof(m), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return urun_error_errno(err, "read from container init");
    if (n == 0)
        return urun_error_set(err, 0, "container init exited during setup");
    if ((size_t)n < offsetof(struct sync_msg, msg))
        return urun_error_set(err, EPROTO, "short message from container init");
    if (m.type == SYNC_ERROR) {
        m.msg[sizeof(m.msg) - 1] = '\0';
        if ((size_t)n == offsetof(struct sync_msg, msg))
            m.msg[0] = '\0';
        return urun_error_set(err, m.errnum, "%s", m.msg);
    }
    if (m.type != (uint32_t)expected)
        return urun_error_set(err, EPROTO, "unexpected message %u from container init", m.type);
    return 0;
}
