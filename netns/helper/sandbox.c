/* The urun-slirp helper's sandbox (sandbox.h), applied once libslirp is set up and the published
 * ports are bound.  Steps, in order:
 *   1. no_new_privs: nothing it could exec would gain privileges (prctl(2)); required for step 2;
 *   2. a seccomp allow-list (seccomp(2), through libseccomp) of what libslirp's loop and GLib's
 *      allocator use; any other system call fails with EPERM.  No exec, no fork, no bind or listen
 *      (the forwarded ports are already listening), no opening files for writing.
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

/* Allowed without conditions.  Names the running architecture does not have are skipped. */
static const char *const allowed[] = {
    /* the loop: tap, host sockets, pidfd, log */
    "read",
    "write",
    "readv",
    "writev",
    "close",
    "poll",
    "ppoll",
    "recvfrom",
    "sendto",
    "recvmsg",
    "sendmsg",
    "connect",
    "accept",
    "accept4",
    "shutdown",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "fcntl",
    "lseek",
    /* libslirp reads /etc/resolv.conf again when it changes (opening it is restricted below) */
    "fstat",
    "newfstatat",
    "stat",
    "lstat",
    "statx",
    /* memory and time (GLib's allocator, libslirp's timers) */
    "brk",
    "munmap",
    "mremap",
    "madvise",
    "clock_gettime",
    "clock_nanosleep",
    "nanosleep",
    "gettimeofday",
    "time",
    "futex",
    "getrandom",
    "getpid",
    "gettid",
    "sched_yield",
    /* signals and ending */
    "rt_sigreturn",
    "rt_sigprocmask",
    "restart_syscall",
    "exit",
    "exit_group",
#if defined(__SANITIZE_ADDRESS__)
    /* ASan/LSan in sanitizer builds: reports, the leak checker's tracer thread */
    "sigaltstack",
    "prctl",
    "readlink",
    "readlinkat",
    "getppid",
    "sched_getaffinity",
    "clone",
    "clone3",
    "ptrace",
    "wait4",
    "waitid",
    "open",
    "openat",
    "mprotect",
    "mmap",
    "rt_sigaction",
    "pipe",
    "pipe2",
    "getdents",
    "getdents64",
    "tgkill",
    "kill",
    "uname",
    "dup",
    "dup2",
    "dup3",
    "setrlimit",
    "getrlimit",
    "prlimit64",
#endif
};

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
    /* ioctl: FIONREAD (libslirp sizes UDP datagrams with it) and FIONBIO only. */
    {"ioctl", 1, SCMP_CMP_EQ, FIONREAD, 0},
    {"ioctl", 1, SCMP_CMP_EQ, FIONBIO, 0},
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

static int add_rules(scmp_filter_ctx ctx, struct urun_error *err)
{
    int r;

    for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        if (r < 0)
            return urun_error_set(err, -r, "seccomp: allow %s", allowed[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(cond_rules); i++) {
        const struct cond_rule *c = &cond_rules[i];
        int nr = seccomp_syscall_resolve_name(c->name);
        struct scmp_arg_cmp cmp = {.arg = c->arg, .op = c->op, .datum_a = c->mask_or_value, .datum_b = c->value};
        if (nr == __NR_SCMP_ERROR)
            continue;
        r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
        /* -EEXIST: the sanitizer list above already allows it unconditionally. */
        if (r < 0 && r != -EEXIST)
            return urun_error_set(err, -r, "seccomp: allow %s with a condition", c->name);
    }
    /* tgkill to itself only: abort() raising SIGABRT, so a crash is still a crash. */
    int nr = seccomp_syscall_resolve_name("tgkill");
    r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_EQ, (uint64_t)getpid()));
    if (r < 0 && r != -EEXIST)
        return urun_error_set(err, -r, "seccomp: allow tgkill");
    return 0;
}

int sandbox_apply(struct urun_error *err)
{
    _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
    int r;

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return urun_error_errno(err, "sandbox: set no_new_privs");
    ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx)
        return urun_error_set(err, ENOMEM, "sandbox: seccomp_init");
    r = add_rules(ctx, err);
    if (r < 0)
        return r;
    r = seccomp_load(ctx);
    if (r < 0)
        return urun_error_set(err, -r, "sandbox: load the seccomp filter");
    return 0;
}
