/* The urun-slirp helper's sandbox (sandbox.h), applied once libslirp is set up and the published
 * ports are bound, and its socket factory's (sockfactory.c), applied once that is in the container's
 * namespaces.  Steps, in order:
 *   1. no_new_privs: nothing it could exec would gain privileges (prctl(2)); required for step 2;
 *   2. a seccomp allow-list (seccomp(2), through libseccomp): for the helper, what libslirp's loop, the
 *      spliced TCP forwarding and GLib's allocator use; for the factory, making TCP sockets and passing
 *      them on.  Any other system call fails with EPERM.  No exec, no fork, no bind or listen (the
 *      forwarded ports are already listening), no opening files for writing.
 * Closing the fds it does not need happens earlier, in helper.c, before anything else runs. */
#include "netns/helper/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include NETNS_LIBSECCOMP_H /* libseccomp's <seccomp.h>; src/seccomp.h shadows that name */
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan/LSan in sanitizer builds: reports, the leak checker's tracer thread */
#define SANITIZER_SYSCALLS                                                                                         \
    "sigaltstack", "prctl", "readlink", "readlinkat", "getppid", "sched_getaffinity", "clone", "clone3", "ptrace", \
        "wait4", "waitid", "open", "openat", "mprotect", "mmap", "rt_sigaction", "pipe", "pipe2", "getdents",      \
        "getdents64", "tgkill", "kill", "uname", "dup", "dup2", "dup3", "setrlimit", "getrlimit", "prlimit64",
#else
#define SANITIZER_SYSCALLS
#endif

/* Allowed without conditions.  Names the running architecture does not have are skipped. */
static const char *const allowed[] = {
    /* the loop: tap, host sockets, pidfd, log */
    "read", "write", "readv", "writev", "close", "poll", "ppoll", "recvfrom", "sendto", "recvmsg", "sendmsg", "connect",
    "accept", "accept4", "shutdown", "getsockopt", "setsockopt", "getsockname", "getpeername", "fcntl", "lseek",
    /* published TCP ports: a pipe per direction, bytes moved with splice(2) (tcpfwd.c) */
    "pipe2", "splice",
    /* libslirp reads /etc/resolv.conf again when it changes (opening it is restricted below) */
    "fstat", "newfstatat", "stat", "lstat", "statx",
    /* memory and time (GLib's allocator, libslirp's timers) */
    "brk", "munmap", "mremap", "madvise", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
    "futex", "getrandom", "getpid", "gettid", "sched_yield",
    /* signals and ending */
    "rt_sigreturn", "rt_sigprocmask", "restart_syscall", "exit", "exit_group", SANITIZER_SYSCALLS};

/* The socket factory's: its socketpair, and ending.  socket(2) has rules of its own (factory_rules). */
static const char *const factory_allowed[] = {"recvmsg",      "sendmsg", "close",      "restart_syscall",
                                              "rt_sigreturn", "exit",    "exit_group", SANITIZER_SYSCALLS};

/* Rules with argument conditions, as data: allow NAME when argument ARG masked with MASK equals VALUE. */
struct cond_rule {
    const char *name;
    unsigned arg;
    enum scmp_compare op;
    uint64_t mask_or_value;
    uint64_t value;
};

#define O_TMPFILE_BIT 020000000ull /* __O_TMPFILE: O_TMPFILE without O_DIRECTORY */
#define OPEN_WRITE_FLAGS ((uint64_t)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND) | O_TMPFILE_BIT)

static const struct cond_rule cond_rules[] = {
    /* Sockets towards the outside world only: IPv4 and IPv6, never netlink, packet or unix sockets. */
    {"socket", 0, SCMP_CMP_EQ, AF_INET, 0},
    {"socket", 0, SCMP_CMP_EQ, AF_INET6, 0},
    /* ioctl: FIONREAD (libslirp sizes UDP datagrams with it), FIONBIO and SIOCATMARK (tcpfwd.c's
     * urgent data) only. */
    {"ioctl", 1, SCMP_CMP_EQ, FIONREAD, 0},
    {"ioctl", 1, SCMP_CMP_EQ, FIONBIO, 0},
    {"ioctl", 1, SCMP_CMP_EQ, SIOCATMARK, 0},
    /* Files: read-only opens (/etc/resolv.conf). */
    {"openat", 2, SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0},
    {"open", 1, SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0},
    /* Memory: never executable. */
    {"mmap", 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0},
    {"mprotect", 2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0},
};

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

static int allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n, struct urun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;
        int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        /* -EEXIST: named twice (the sanitizer list repeats some) */
        if (r < 0 && r != -EEXIST)
            return urun_error_set(err, -r, "seccomp: allow %s", names[i]);
    }
    return 0;
}

/* tgkill to itself only: abort() raising SIGABRT, so a crash is still a crash. */
static int allow_tgkill_self(scmp_filter_ctx ctx, struct urun_error *err)
{
    int nr = seccomp_syscall_resolve_name("tgkill");
    int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_EQ, (uint64_t)getpid()));
    if (r < 0 && r != -EEXIST)
        return urun_error_set(err, -r, "seccomp: allow tgkill");
    return 0;
}

static int helper_rules(scmp_filter_ctx ctx, struct urun_error *err)
{
    int r = allow_names(ctx, allowed, ARRAY_SIZE(allowed), err);

    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(cond_rules); i++) {
        const struct cond_rule *c = &cond_rules[i];
        int nr = seccomp_syscall_resolve_name(c->name);
        struct scmp_arg_cmp cmp = {.arg = c->arg, .op = c->op, .datum_a = c->mask_or_value, .datum_b = c->value};
        if (nr == __NR_SCMP_ERROR)
            continue;
        r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
        /* -EEXIST: the sanitizer list above already allows it unconditionally. */
        if (r < 0 && r != -EEXIST)
            return urun_error_set(err, -r, "seccomp: allow %s with a condition", c->name);
        r = 0;
    }
    return r < 0 ? r : allow_tgkill_self(ctx, err);
}

/* The factory makes TCP sockets of the two families and nothing else: socket(AF_INET or AF_INET6,
 * SOCK_STREAM with only SOCK_NONBLOCK and SOCK_CLOEXEC added, protocol 0). */
static int factory_rules(scmp_filter_ctx ctx, struct urun_error *err)
{
    static const int families[] = {AF_INET, AF_INET6};
    int r = allow_names(ctx, factory_allowed, ARRAY_SIZE(factory_allowed), err);

    for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(families); i++) {
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3, SCMP_A0(SCMP_CMP_EQ, (uint64_t)families[i]),
                             SCMP_A1(SCMP_CMP_MASKED_EQ, (uint32_t) ~(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM),
                             SCMP_A2(SCMP_CMP_EQ, 0));
        if (r < 0)
            return urun_error_set(err, -r, "seccomp: allow socket");
    }
    return r < 0 ? r : allow_tgkill_self(ctx, err);
}

static int apply(int (*rules)(scmp_filter_ctx, struct urun_error *), struct urun_error *err)
{
    _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
    int r;

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return urun_error_errno(err, "sandbox: set no_new_privs");
    ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return urun_error_set(err, ENOMEM, "sandbox: seccomp_init");
    r = rules(ctx, err);
    if (r < 0)
        return r;
    r = seccomp_load(ctx);
    if (r < 0)
        return urun_error_set(err, -r, "sandbox: load the seccomp filter");
    return 0;
}

int sandbox_apply(struct urun_error *err)
{
    return apply(helper_rules, err);
}

int sandbox_apply_factory(struct urun_error *err)
{
    return apply(factory_rules, err);
}
