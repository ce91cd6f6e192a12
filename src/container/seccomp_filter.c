/* Implementation of seccomp_filter.h with libseccomp.  The spec's names are mapped through the tables below
 * (kept as data, so `features` reports exactly what is accepted); nothing here logs, and only
 * urun_seccomp_load changes the calling process. */
#include "container/seccomp_filter.h"

#include <errno.h>
/* libseccomp's header, by full path: <seccomp.h> would find this module's own src/seccomp.h. */
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/util.h"

#define OCI_VERSION "1.2.0"
#define MAX_ERRNO 4095 /* the kernel caps SECCOMP_RET_ERRNO data at MAX_ERRNO */
#define MAX_ARG_INDEX 5

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define HAVE_WAITKILL 1
#endif

struct urun_seccomp {
    scmp_filter_ctx ctx;
    bool needs_listener;
    char **warnings;
    size_t n_warnings;
};

/* ---- tables ---- */

enum action_kind {
    ACT_ALLOW,
    ACT_ERRNO,
    ACT_KILL,
    ACT_KILL_THREAD,
    ACT_KILL_PROCESS,
    ACT_TRAP,
    ACT_TRACE,
    ACT_LOG,
    ACT_NOTIFY
};

#define ACTIONS(X) X(ALLOW) X(ERRNO) X(KILL) X(KILL_THREAD) X(KILL_PROCESS) X(TRAP) X(TRACE) X(LOG) X(NOTIFY)
#define ACTION_NAME(a) "SCMP_ACT_" #a,
#define ACTION_KIND(a) ACT_##a,
const char *const urun_seccomp_actions[] = {ACTIONS(ACTION_NAME) NULL};
static const enum action_kind action_kinds[] = {ACTIONS(ACTION_KIND)};

#define OPS(X) X(NE) X(LT) X(LE) X(EQ) X(GE) X(GT) X(MASKED_EQ)
#define OP_NAME(o) "SCMP_CMP_" #o,
#define OP_VALUE(o) SCMP_CMP_##o,
const char *const urun_seccomp_ops[] = {OPS(OP_NAME) NULL};
static const enum scmp_compare op_values[] = {OPS(OP_VALUE)};

#ifdef SCMP_ARCH_LOONGARCH64
#define ARCHS_NEW(X) X(LOONGARCH64)
#else
#define ARCHS_NEW(X)
#endif
/* A table of architectures, kept as written. */
/* clang-format off */
#define ARCHS(X) \
    X(X86) X(X86_64) X(X32) X(ARM) X(AARCH64) X(MIPS) X(MIPS64) X(MIPS64N32) X(MIPSEL) X(MIPSEL64) \
    X(MIPSEL64N32) X(PPC) X(PPC64) X(PPC64LE) X(S390) X(S390X) X(PARISC) X(PARISC64) X(RISCV64) ARCHS_NEW(X)
/* clang-format on */
#define ARCH_NAME(a) "SCMP_ARCH_" #a,
#define ARCH_TOKEN(a) SCMP_ARCH_##a,
const char *const urun_seccomp_archs[] = {ARCHS(ARCH_NAME) NULL};
static const uint32_t arch_tokens[] = {ARCHS(ARCH_TOKEN)};

/* The seccomp(2) filter flags the spec names, and the libseccomp attribute that sets each. */
#ifdef HAVE_WAITKILL
#define FLAGS_NEW(X) X(WAIT_KILLABLE_RECV, SCMP_FLTATR_CTL_WAITKILL)
#else
#define FLAGS_NEW(X)
#endif
#define FLAGS(X) \
    X(TSYNC, SCMP_FLTATR_CTL_TSYNC) X(LOG, SCMP_FLTATR_CTL_LOG) X(SPEC_ALLOW, SCMP_FLTATR_CTL_SSB) FLAGS_NEW(X)
#define FLAG_NAME(f, attr) "SECCOMP_FILTER_FLAG_" #f,
#define FLAG_ATTR(f, attr) attr,
const char *const urun_seccomp_flags[] = {FLAGS(FLAG_NAME) NULL};
static const enum scmp_filter_attr flag_attrs[] = {FLAGS(FLAG_ATTR)};

static int lookup(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* ---- building ---- */

/* An action with its errnoRet, as found at `field` (e.g. "linux.seccomp.syscalls[2]"). */
struct action_in {
    const char *name;
    bool has_errno_ret;
    uint32_t errno_ret;
    const char *action_field;
    const char *errno_field;
};

static int parse_action(const struct action_in *in, uint32_t *ret_action, enum action_kind *ret_kind,
                        struct urun_error *err)
{
    int i = lookup(urun_seccomp_actions, in->name);
    uint32_t e = in->has_errno_ret ? in->errno_ret : EPERM;

    if (i < 0)
        return urun_error_set(err, 0, "%s: unknown action \"%s\"", in->action_field, in->name);
    *ret_kind = action_kinds[i];
    if (in->has_errno_ret && *ret_kind != ACT_ERRNO && *ret_kind != ACT_TRACE)
        return urun_error_set(err, 0, "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not %s",
                              in->errno_field, in->name);
    if (*ret_kind == ACT_ERRNO && e > MAX_ERRNO)
        return urun_error_set(err, 0, "%s: %u is out of range (0-%d)", in->errno_field, e, MAX_ERRNO);
    if (*ret_kind == ACT_TRACE && e > 0xffff)
        return urun_error_set(err, 0, "%s: %u is out of range (0-65535)", in->errno_field, e);
    switch (*ret_kind) {
    case ACT_ALLOW:
        *ret_action = SCMP_ACT_ALLOW;
        break;
    case ACT_ERRNO:
        *ret_action = SCMP_ACT_ERRNO(e);
        break;
    case ACT_KILL:
    case ACT_KILL_THREAD:
        *ret_action = SCMP_ACT_KILL_THREAD;
        break;
    case ACT_KILL_PROCESS:
        *ret_action = SCMP_ACT_KILL_PROCESS;
        break;
    case ACT_TRAP:
        *ret_action = SCMP_ACT_TRAP;
        break;
    case ACT_TRACE:
        *ret_action = SCMP_ACT_TRACE(e);
        break;
    case ACT_LOG:
        *ret_action = SCMP_ACT_LOG;
        break;
    case ACT_NOTIFY:
        *ret_action = SCMP_ACT_NOTIFY;
        break;
    }
    return 0;
}

static void add_warning(struct urun_seccomp *f, char *msg)
{
    f->warnings = xreallocarray(f->warnings, f->n_warnings + 1, sizeof(*f->warnings));
    f->warnings[f->n_warnings++] = msg;
}

static int set_options(struct urun_seccomp *f, const struct spec_seccomp *s, struct urun_error *err)
{
    int r;

    /* The runtime decides about no_new_privs (process.noNewPrivileges), not libseccomp. */
    if ((r = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
        return urun_error_set(err, -r, "linux.seccomp: turn off libseccomp's no_new_privs");
    /* Report the kernel's errno from seccomp_load instead of libseccomp's generic ECANCELED. */
    if ((r = seccomp_attr_set(f->ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
        return urun_error_set(err, -r, "linux.seccomp: ask libseccomp for raw error codes");
    for (size_t i = 0; s->architectures && s->architectures[i]; i++) {
        int a = lookup(urun_seccomp_archs, s->architectures[i]);
        if (a < 0)
            return urun_error_set(err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
                                  s->architectures[i]);
        r = seccomp_arch_add(f->ctx, arch_tokens[a]);
        if (r < 0 && r != -EEXIST) /* EEXIST: the native one, or listed twice */
            return urun_error_set(err, -r, "linux.seccomp.architectures[%zu]: add %s", i, s->architectures[i]);
    }
    for (size_t i = 0; s->flags && s->flags[i]; i++) {
        int fl = lookup(urun_seccomp_flags, s->flags[i]);
        if (fl < 0 && strcmp(s->flags[i], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
            return urun_error_set(err, EOPNOTSUPP,
                                  "linux.seccomp.flags[%zu]: %s needs libseccomp 2.6 or later, "
                                  "urun was built with %d.%d.%d",
                                  i, s->flags[i], SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
        if (fl < 0)
            return urun_error_set(err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
        if ((r = seccomp_attr_set(f->ctx, flag_attrs[fl], 1)) < 0)
            return urun_error_set(err, -r,
                                  "linux.seccomp.flags[%zu]: %s is not supported by this kernel or "
                                  "libseccomp",
                                  i, s->flags[i]);
    }
    if (s->listener_path &&
        (!*s->listener_path || strlen(s->listener_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)))
        return urun_error_set(err, 0, "linux.seccomp.listenerPath: must be 1 to %zu bytes long",
                              sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
    return 0;
}

/* The rule's argument conditions; *ret_split when two test the same index (see seccomp_filter.h). */
static int parse_args(const struct spec_seccomp_syscall *sc, size_t ri, struct scmp_arg_cmp *out, bool *ret_split,
                      struct urun_error *err)
{
    unsigned seen = 0;

    *ret_split = false;
    for (size_t i = 0; i < sc->n_args; i++) {
        const struct spec_seccomp_arg *a = &sc->args[i];
        int op = lookup(urun_seccomp_ops, a->op);
        if (a->index > MAX_ARG_INDEX)
            return urun_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range (0-%d)", ri,
                                  i, a->index, MAX_ARG_INDEX);
        if (op < 0)
            return urun_error_set(err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"", ri, i,
                                  a->op);
        /* MASKED_EQ: (arg & value) == valueTwo; libseccomp takes the mask first. */
        out[i] =
            (struct scmp_arg_cmp){.arg = a->index, .op = op_values[op], .datum_a = a->value, .datum_b = a->value_two};
        if (seen & (1u << a->index))
            *ret_split = true;
        seen |= 1u << a->index;
    }
    return 0;
}

static int add_one(struct urun_seccomp *f, size_t ri, const char *name, uint32_t action,
                   const struct scmp_arg_cmp *args, size_t n_args, bool split, struct urun_error *err)
{
    int nr = seccomp_syscall_resolve_name(name), r = 0;

    if (nr == __NR_SCMP_ERROR)
        return 1;
    if (!split)
        r = seccomp_rule_add_array(f->ctx, action, nr, (unsigned)n_args, args);
    for (size_t i = 0; split && i < n_args && r >= 0; i++)
        r = seccomp_rule_add_array(f->ctx, action, nr, 1, &args[i]);
    if (r < 0)
        return urun_error_set(err, -r, "linux.seccomp.syscalls[%zu]: add a rule for %s", ri, name);
    return 0;
}

static int add_rule(struct urun_seccomp *f, const struct spec_seccomp *s, size_t ri, uint32_t def_action,
                    struct urun_error *err)
{
    const struct spec_seccomp_syscall *sc = &s->syscalls[ri];
    char field[64], efield[80];
    _cleanup_free_ struct scmp_arg_cmp *args = NULL;
    enum action_kind kind;
    uint32_t action;
    bool split;
    int r;

    snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].action", ri);
    snprintf(efield, sizeof(efield), "linux.seccomp.syscalls[%zu].errnoRet", ri);
    struct action_in in = {sc->action, sc->has_errno_ret, sc->errno_ret, field, efield};
    if ((r = parse_action(&in, &action, &kind, err)) < 0)
        return r;
    if (kind == ACT_NOTIFY && !s->listener_path)
        return urun_error_set(err, 0, "%s: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath", field);
    if (sc->n_args)
        args = xcalloc(sc->n_args, sizeof(*args));
    if ((r = parse_args(sc, ri, args, &split, err)) < 0)
        return r;
    for (size_t j = 0; sc->names && sc->names[j]; j++) {
        /* The init sends the notify fd with sendmsg after loading: notifying it would wait forever. */
        if (kind == ACT_NOTIFY && strcmp(sc->names[j], "sendmsg") == 0)
            return urun_error_set(err, 0,
                                  "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY on sendmsg is "
                                  "not supported: urun needs sendmsg to pass the listener its fd",
                                  ri, j);
        if (action == def_action)
            continue; /* the default does the same: libseccomp refuses such a rule */
        r = add_one(f, ri, sc->names[j], action, args, sc->n_args, split, err);
        if (r < 0)
            return r;
        if (r > 0)
            add_warning(f, xasprintf("linux.seccomp.syscalls[%zu].names[%zu]: unknown syscall \"%s\" on this "
                                     "architecture, skipped",
                                     ri, j, sc->names[j]));
        if (r == 0 && kind == ACT_NOTIFY)
            f->needs_listener = true;
    }
    return 0;
}

int urun_seccomp_build(const struct spec_seccomp *s, struct urun_seccomp **ret, struct urun_error *err)
{
    _cleanup_(urun_seccomp_freep) struct urun_seccomp *f = NULL;
    struct action_in in = {s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                           "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet"};
    enum action_kind kind;
    uint32_t def;
    int r;

    if ((r = parse_action(&in, &def, &kind, err)) < 0)
        return r;
    if (kind == ACT_NOTIFY)
        return urun_error_set(err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
    f = xcalloc(1, sizeof(*f));
    if (!(f->ctx = seccomp_init(def)))
        return urun_error_set(err, EINVAL, "linux.seccomp.defaultAction: libseccomp refused %s", s->default_action);
    if ((r = set_options(f, s, err)) < 0)
        return r;
    for (size_t i = 0; i < s->n_syscalls; i++)
        if ((r = add_rule(f, s, i, def, err)) < 0)
            return r;
    *ret = TAKE_PTR(f);
    return 0;
}

size_t urun_seccomp_warnings(const struct urun_seccomp *f, const char *const **ret)
{
    *ret = (const char *const *)f->warnings;
    return f->n_warnings;
}

bool urun_seccomp_needs_listener(const struct urun_seccomp *f)
{
    return f->needs_listener;
}

void urun_seccomp_free(struct urun_seccomp *f)
{
    if (!f)
        return;
    if (f->ctx)
        seccomp_release(f->ctx);
    for (size_t i = 0; i < f->n_warnings; i++)
        free(f->warnings[i]);
    free(f->warnings);
    free(f);
}

/* ---- loading and the listener ---- */

int urun_seccomp_load(struct urun_seccomp *f, int *ret_notify_fd, struct urun_error *err)
{
    int r = seccomp_load(f->ctx), fd = -1;

    if (r < 0)
        return urun_error_set(err, -r, "linux.seccomp: load the filter%s",
                              r == -EACCES ? " (it needs no_new_privs or CAP_SYS_ADMIN)" : "");
    if (f->needs_listener) {
        /* libseccomp asked for SECCOMP_FILTER_FLAG_NEW_LISTENER; the kernel made the fd O_CLOEXEC. */
        fd = seccomp_notify_fd(f->ctx);
        if (fd < 0)
            return urun_error_set(err, -fd, "linux.seccomp: get the notify fd");
    }
    *ret_notify_fd = fd;
    return 0;
}

int urun_seccomp_listener_connect(const char *path, int *ret_fd, struct urun_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    _cleanup_close_ int fd = -1;

    if (strlen(path) >= sizeof(sa.sun_path))
        return urun_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath: %s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return urun_error_errno(err, "linux.seccomp.listenerPath: socket");
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        if (errno != EINTR)
            return urun_error_errno(err, "linux.seccomp.listenerPath: connect to %s", path);
    *ret_fd = TAKE_FD(fd);
    return 0;
}

/* The containerProcessState document, with state_json spliced in as the last member. */
static char *process_state_json(pid_t pid, const char *metadata, const char *state_json)
{
    struct json_writer w;
    _cleanup_free_ char *head = NULL;
    size_t len;

    json_init(&w, false);
    json_begin_object(&w);
    json_kv_string(&w, "ociVersion", OCI_VERSION);
    json_key(&w, "fds");
    json_begin_array(&w);
    json_string(&w, "seccompFd");
    json_end_array(&w);
    json_kv_int(&w, "pid", pid);
    if (metadata)
        json_kv_string(&w, "metadata", metadata);
    json_end_object(&w);
    head = json_steal(&w, &len);
    if (!head || len < 1 || head[len - 1] != '}')
        return NULL;
    head[len - 1] = '\0';
    return xasprintf("%s,\"state\":%s}", head, state_json ? state_json : "null");
}

int urun_seccomp_listener_send(int sock, int notify_fd, pid_t pid, const char *metadata, const char *state_json,
                               struct urun_error *err)
{
    _cleanup_free_ char *doc = process_state_json(pid, metadata, state_json);
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl = {0};
    struct iovec iov;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    size_t len, off = 0;
    ssize_t n;

    if (!doc)
        return urun_error_set(err, EINVAL, "linux.seccomp.listenerPath: build the container process state");
    len = strlen(doc);
    iov = (struct iovec){.iov_base = doc, .iov_len = len};
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
    /* The fd rides on the first byte sent; a stream socket may take the rest in further sends. */
    while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0)
        if (errno != EINTR)
            return urun_error_errno(err, "linux.seccomp.listenerPath: send the notify fd");
    for (off = (size_t)n; off < len; off += (size_t)n)
        while ((n = send(sock, doc + off, len - off, MSG_NOSIGNAL)) < 0)
            if (errno != EINTR)
                return urun_error_errno(err, "linux.seccomp.listenerPath: send the container process state");
    return 0;
}
