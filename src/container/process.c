/* Implementation of process.h.  The order of finalize follows capabilities(7): keep capabilities
 * across the uid change (PR_SET_KEEPCAPS), change gid before uid, then set the final sets. */
#include "container/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "container/seccomp_filter.h"

static const struct {
    const char *name;
    int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int process_rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimits); i++)
        if (strcmp(rlimits[i].name, name) == 0)
            return rlimits[i].resource;
    return -1;
}

static int apply_rlimits(const struct spec_process *p, struct urun_error *err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct spec_rlimit *rl = &p->rlimits[i];
        int res = process_rlimit_from_name(rl->type);
        struct rlimit v = {.rlim_cur = rl->soft, .rlim_max = rl->hard};
        if (res < 0)
            return urun_error_set(err, 0, "process.rlimits[%zu].type: unknown rlimit \"%s\"", i, rl->type);
        if (rl->soft > rl->hard)
            return urun_error_set(err, 0, "process.rlimits[%zu]: soft %llu is above hard %llu", i,
                                  (unsigned long long)rl->soft, (unsigned long long)rl->hard);
        /* Raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace. */
        if (setrlimit(res, &v) < 0)
            return urun_error_errno(err, "process.rlimits[%zu]: set %s to %llu/%llu", i, rl->type,
                                    (unsigned long long)rl->soft, (unsigned long long)rl->hard);
    }
    return 0;
}

int process_apply_oom_score_adj(const struct spec_process *p, struct urun_error *err)
{
    char v[16];
    if (!p->has_oom_score_adj)
        return 0;
    snprintf(v, sizeof(v), "%d", p->oom_score_adj);
    int r = write_file_str("/proc/self/oom_score_adj", v, err);
    if (r == -EACCES || r == -EPERM)
        return urun_error_set(err, -r,
                              "process.oomScoreAdj: %d is below the current value, and lowering it needs "
                              "CAP_SYS_RESOURCE on the host",
                              p->oom_score_adj);
    return r < 0 ? urun_error_wrap(err, r, "process.oomScoreAdj") : 0;
}

/* Every capability list names only capabilities libcap knows. */
static int check_caps(const struct spec_capabilities *c, struct urun_error *err)
{
    char **sets[] = {c->bounding, c->effective, c->inheritable, c->permitted, c->ambient};
    static const char *const names[] = {"bounding", "effective", "inheritable", "permitted", "ambient"};

    for (size_t s = 0; s < ARRAY_SIZE(sets); s++)
        for (size_t i = 0; sets[s] && sets[s][i]; i++) {
            cap_value_t v;
            if (cap_from_name(sets[s][i], &v) < 0)
                return urun_error_set(err, 0, "process.capabilities.%s[%zu]: unknown capability \"%s\"", names[s], i,
                                      sets[s][i]);
        }
    return 0;
}

int process_prepare(const struct spec_process *p, struct urun_error *err)
{
    int r = apply_rlimits(p, err);
    if (r >= 0 && p->capabilities)
        r = check_caps(p->capabilities, err);
    return r;
}

/* The capabilities a list names, as a bit mask (unknown names, which check_caps has refused, are
 * skipped).  Looked up once per list: testing each of the ~41 capabilities against each name of
 * four lists by name cost the init thousands of linear searches of libcap's name table. */
static uint64_t cap_mask(char **list)
{
    uint64_t m = 0;
    for (size_t i = 0; list && list[i]; i++) {
        cap_value_t c;
        if (cap_from_name(list[i], &c) == 0 && c >= 0 && c < 64)
            m |= UINT64_C(1) << c;
    }
    return m;
}

static bool in_mask(uint64_t m, cap_value_t v)
{
    return v >= 0 && v < 64 && (m & (UINT64_C(1) << v));
}

void process_drop_unraisable_ambient(struct spec_capabilities *c, const char *what)
{
    char skipped[1024] = "";
    size_t w = 0, len = 0;
    const uint64_t raisable = c ? cap_mask(c->permitted) & cap_mask(c->inheritable) : 0;

    for (size_t i = 0; c && c->ambient && c->ambient[i]; i++) {
        cap_value_t v;
        char *name = c->ambient[i];
        if (cap_from_name(name, &v) < 0 || in_mask(raisable, v)) {
            c->ambient[w++] = name; /* unknown names stay: check_caps reports them */
            continue;
        }
        int n = snprintf(skipped + len, sizeof(skipped) - len, "%s%s", len ? ", " : "", name);
        if (n > 0 && (size_t)n < sizeof(skipped) - len)
            len += (size_t)n;
        free(name);
    }
    if (c && c->ambient)
        c->ambient[w] = NULL;
    if (len)
        log_warning("%s: ambient capabilities %s skipped: an ambient capability must also be in the permitted and "
                    "inheritable sets",
                    what, skipped);
}

/* Dropping from the bounding set needs CAP_SETPCAP in the effective set, which a change to a
 * non-zero uid clears: so this runs before set_user (capabilities(7), "Effect of user ID changes"). */
static int drop_bounding(const struct spec_capabilities *c, struct urun_error *err)
{
    cap_value_t last = (cap_value_t)cap_max_bits() - 1;
    const uint64_t keep = cap_mask(c->bounding);
    for (cap_value_t v = 0; v <= last; v++)
        if (!in_mask(keep, v) && prctl(PR_CAPBSET_DROP, v, 0, 0, 0) < 0 && errno != EINVAL)
            return urun_error_errno(err, "process.capabilities.bounding: drop %s", cap_to_name(v));
    return 0;
}

/* After set_user: the permitted set survived thanks to PR_SET_KEEPCAPS; now make E/P/I exact. */
static int apply_caps(const struct spec_capabilities *c, struct urun_error *err)
{
    cap_value_t last = (cap_value_t)cap_max_bits() - 1;
    cap_t caps = cap_init();
    int r = 0;

    if (!caps)
        return urun_error_errno(err, "cap_init");
    const cap_flag_t flags[] = {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE};
    const uint64_t masks[] = {cap_mask(c->effective), cap_mask(c->permitted), cap_mask(c->inheritable)};
    for (cap_value_t v = 0; v <= last; v++) {
        for (size_t f = 0; f < ARRAY_SIZE(flags); f++)
            if (in_mask(masks[f], v))
                cap_set_flag(caps, flags[f], 1, &v, CAP_SET);
    }
    if (cap_set_proc(caps) < 0) {
        r = urun_error_errno(err, "process.capabilities: set effective/permitted/inheritable");
        goto out;
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (size_t i = 0; c->ambient && c->ambient[i]; i++) {
        cap_value_t v;
        cap_from_name(c->ambient[i], &v);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) < 0) {
            r = urun_error_errno(err,
                                 "process.capabilities.ambient: raise %s (it must be in permitted and "
                                 "inheritable)",
                                 c->ambient[i]);
            goto out;
        }
    }
out:
    cap_free(caps);
    return r;
}

static int set_user(const struct spec_user *u, struct urun_error *err)
{
    gid_t *gids = NULL;
    /* (uid_t)-1 means "leave unchanged" to setresuid/setresgid: never let it through. */
    if (u->uid == UINT32_MAX || u->gid == UINT32_MAX)
        return urun_error_set(err, EINVAL, "process.user: %u is not a valid ID",
                              u->uid == UINT32_MAX ? u->uid : u->gid);
    if (u->n_additional_gids) {
        gids = (gid_t *)u->additional_gids; /* uint32_t and gid_t are both 32-bit on Linux */
        if (setgroups(u->n_additional_gids, gids) < 0)
            return urun_error_errno(err, "process.user.additionalGids: setgroups (with a single-ID mapping the "
                                         "kernel denies setgroups; map more IDs)");
    } else if (setgroups(0, NULL) < 0 && errno != EPERM) {
        /* EPERM: /proc/self/setgroups is "deny" in a single-ID user namespace; there are none to drop. */
        return urun_error_errno(err, "setgroups");
    }
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return urun_error_errno(err, "process.user.gid: %u is not mapped in the container", u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return urun_error_errno(err, "process.user.uid: %u is not mapped in the container", u->uid);
    return 0;
}

/* Leave fds 0..2+preserve_fds to the process; every other fd closes on exec. */
static void seal_fds(int preserve_fds)
{
    int first = 3 + preserve_fds;
    if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = first; fd < 4096; fd++) {
            int fl = fcntl(fd, F_GETFD);
            if (fl >= 0)
                fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
        }
    }
    for (int fd = 3; fd < first; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0)
            fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
}

static int load_seccomp(const struct process_seccomp *sc, struct urun_error *err)
{
    int notify_fd = -1, r;

    r = urun_seccomp_load(sc->filter, &notify_fd, err);
    if (r < 0)
        return urun_error_wrap(err, r, "linux.seccomp");
    if (notify_fd >= 0) {
        r = urun_seccomp_listener_send(sc->listener_fd, notify_fd, sc->host_pid, sc->metadata, sc->state_json, err);
        close(notify_fd);
        close(sc->listener_fd);
        if (r < 0)
            return urun_error_wrap(err, r, "linux.seccomp.listenerPath");
    }
    return 0;
}

int process_finalize(const struct spec_process *p, int preserve_fds, const struct process_seccomp *sc,
                     struct urun_error *err)
{
    bool filter = sc && sc->filter;
    int r;

    if (filter && !p->no_new_privileges && (r = load_seccomp(sc, err)) < 0)
        return r;

    if (p->capabilities && (r = drop_bounding(p->capabilities, err)) < 0)
        return r;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return urun_error_errno(err, "keep capabilities");
    r = set_user(&p->user, err);
    if (r < 0)
        return r;
    umask(p->user.has_umask ? p->user.umask : 022);
    if (p->capabilities && (r = apply_caps(p->capabilities, err)) < 0)
        return r;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return urun_error_errno(err, "process.noNewPrivileges");
    seal_fds(preserve_fds);
    if (filter && p->no_new_privileges && (r = load_seccomp(sc, err)) < 0)
        return r;
    return 0;
}
