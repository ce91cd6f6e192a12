/* The live status of a container (from its recorded pid and start time, read in /proc) and the OCI
 * state document.  Reads /proc and the user database; never changes anything. */
#include "state.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup.h"
#include "cleanup.h"
#include "id.h"
#include "json.h"
#include "util.h"
#include "yamltree.h"

/* ---- live status ------------------------------------------------------------------------- */

/* Digits only, no sign, no overflow. */
static int parse_u64(const char *s, size_t len, uint64_t *ret)
{
    uint64_t v = 0;

    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *ret = v;
    return 0;
}

int proc_stat_parse(const char *line, char *ret_state, uint64_t *ret_start_time)
{
    /* "pid (comm) S f4 ... f22 ...": comm may hold spaces and ')', so it ends at the LAST ')'. */
    const char *open = strchr(line, '('), *p = strrchr(line, ')');
    uint64_t start = 0;
    char state;

    if (!open || !p || p < open || p[1] != ' ' || !p[2] || (p[3] != ' ' && p[3] != '\0'))
        return -EINVAL;
    state = p[2];
    if (!((state >= 'A' && state <= 'Z') || (state >= 'a' && state <= 'z')))
        return -EINVAL;
    p += 3;
    for (int field = 4; field <= 22; field++) {
        const char *tok;

        if (*p != ' ')
            return -EINVAL;
        tok = ++p;
        while (*p && *p != ' ' && *p != '\n')
            p++;
        if (p == tok)
            return -EINVAL;
        if (field == 22 && parse_u64(tok, (size_t)(p - tok), &start) < 0)
            return -EINVAL;
    }
    *ret_state = state;
    *ret_start_time = start;
    return 0;
}

int proc_stat_read(pid_t pid, char *ret_state, uint64_t *ret_start_time)
{
    char path[64], buf[4096];
    _cleanup_close_ int fd = -1;
    size_t len = 0;

    if (pid <= 0)
        return -ESRCH;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH ? -ESRCH : -errno;
    while (len < sizeof(buf) - 1) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ESRCH ? -ESRCH : -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return proc_stat_parse(buf, ret_state, ret_start_time);
}

enum urun_status state_status(int dirfd, const struct urun_state *st)
{
    uint64_t start;
    char state;

    if (st->pid <= 0)
        return URUN_STATUS_STOPPED;
    /* A different start time means the pid was reused by an unrelated process. */
    if (proc_stat_read(st->pid, &state, &start) < 0 || start != st->start_time || state == 'Z' || state == 'X')
        return URUN_STATUS_STOPPED;
    /* the freezer first: a created container can be paused too */
    if (st->cgroup && cgroup_frozen(st->cgroup))
        return URUN_STATUS_PAUSED;
    if (faccessat(dirfd, STATE_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return URUN_STATUS_CREATED;
    return URUN_STATUS_RUNNING;
}

const char *urun_status_name(enum urun_status s)
{
    switch (s) {
    case URUN_STATUS_CREATING: return "creating";
    case URUN_STATUS_CREATED: return "created";
    case URUN_STATUS_RUNNING: return "running";
    case URUN_STATUS_STOPPED: return "stopped";
    case URUN_STATUS_PAUSED: return "paused";
    }
    return "unknown";
}

/* ---- the OCI state document -------------------------------------------------------------- */

/* The user name of uid, or the uid in decimal when it has none (e.g. inside a user namespace). */
static void owner_name(uid_t uid, char *buf, size_t size)
{
    if (!user_name_of(uid, buf, size))
        snprintf(buf, size, "%u", (unsigned)uid);
}

char *state_to_json(const struct urun_state *st, enum urun_status status, bool pretty)
{
    struct json_writer w;
    char owner[256];

    owner_name(st->owner, owner, sizeof(owner));
    json_init(&w, pretty);
    json_begin_object(&w);
    json_kv_string(&w, "ociVersion", STATE_OCI_VERSION);
    json_kv_string(&w, "id", st->id);
    json_kv_int(&w, "pid", status == URUN_STATUS_STOPPED ? 0 : st->pid);
    json_kv_string(&w, "status", urun_status_name(status));
    json_kv_string(&w, "bundle", st->bundle);
    json_kv_string(&w, "rootfs", st->rootfs);
    json_kv_string(&w, "created", st->created);
    json_kv_string(&w, "owner", owner);
    json_key(&w, "annotations");
    json_begin_object(&w);
    for (size_t i = 0; i < st->n_annotations; i++)
        json_kv_string(&w, st->annotations[i].key, st->annotations[i].value);
    json_end_object(&w);
    json_end_object(&w);
    return json_steal(&w, NULL);
}
