/* Unit tests for src/container/seccomp_filter.c: building filters from hand-made linux.seccomp structs (every kind of
 * mistake, with its exact message), then loading them in forked children (with no_new_privs, so no
 * privilege is needed) and watching what each action and argument operator does to real syscalls;
 * last, a SCMP_ACT_NOTIFY filter end to end through a listener socket. */
#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/seccomp_filter.h"
#include "tap.h"

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})
#define RULES(...) ((struct spec_seccomp_syscall[]){__VA_ARGS__})
#define ARGS(...) ((struct spec_seccomp_arg[]){__VA_ARGS__})
#define N_OF(arr) (sizeof(arr) / sizeof((arr)[0]))

static char tmp[64];

/* ---- building ---- */

static void expect_error(const struct spec_seccomp *s, const char *want, const char *what)
{
    struct urun_seccomp *f = (struct urun_seccomp *)&tmp; /* must stay untouched */
    struct urun_error err = {0};
    int r = urun_seccomp_build(s, &f, &err);

    TAP_OK(r < 0 && f == (struct urun_seccomp *)&tmp, "refused: %s", what);
    TAP_STREQ(err.msg, want, "message: %s", what);
}

/* Refused top-level fields: actions, errnos, architectures, flags, listenerPath. */
static void test_bad_top(void)
{
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_NOPE"},
                 "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"", "unknown default action");
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_NOTIFY", .listener_path = "/x"},
                 "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action", "default NOTIFY");
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW",
                                        .has_default_errno_ret = true,
                                        .default_errno_ret = 1},
                 "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
                 "SCMP_ACT_ALLOW",
                 "defaultErrnoRet with ALLOW");
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ERRNO",
                                        .has_default_errno_ret = true,
                                        .default_errno_ret = 4096},
                 "linux.seccomp.defaultErrnoRet: 4096 is out of range (0-4095)", "defaultErrnoRet too big");
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW",
                                        .architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX")},
                 "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"", "unknown arch");
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .flags = NAMES("SECCOMP_FILTER_FLAG_NOPE")},
                 "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\"", "unknown flag");
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .listener_path = ""},
                 "linux.seccomp.listenerPath: must be 1 to 107 bytes long", "empty listenerPath");
}

/* Refused rules: each error names its syscalls[] entry and field. */
static void test_bad_rules(void)
{
    struct spec_seccomp_syscall ok_rule = {.names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO"};
    struct spec_seccomp_syscall bad_action[] = {ok_rule, ok_rule, {.names = NAMES("mkdir"), .action = "SCMP_ACT_FOO"}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = bad_action, .n_syscalls = 3},
                 "linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_FOO\"", "unknown rule action");

    struct spec_seccomp_syscall bad_index[] = {
        {.names = NAMES("umask"),
         .action = "SCMP_ACT_ERRNO",
         .args = ARGS({.index = 0, .value = 1, .op = "SCMP_CMP_EQ"}, {.index = 6, .value = 1, .op = "SCMP_CMP_EQ"}),
         .n_args = 2}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = bad_index, .n_syscalls = 1},
                 "linux.seccomp.syscalls[0].args[1].index: 6 is out of range (0-5)", "arg index 6");

    struct spec_seccomp_syscall bad_op[] = {ok_rule,
                                            {.names = NAMES("umask"),
                                             .action = "SCMP_ACT_ERRNO",
                                             .args = ARGS({.index = 0, .value = 1, .op = "SCMP_CMP_ALMOST"}),
                                             .n_args = 1}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = bad_op, .n_syscalls = 2},
                 "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_ALMOST\"", "unknown op");

    struct spec_seccomp_syscall notify[] = {{.names = NAMES("mkdir"), .action = "SCMP_ACT_NOTIFY"}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = notify, .n_syscalls = 1},
                 "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath",
                 "NOTIFY without listenerPath");

    struct spec_seccomp_syscall notify_sendmsg[] = {{.names = NAMES("mkdir", "sendmsg"), .action = "SCMP_ACT_NOTIFY"}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW",
                                        .listener_path = "/run/l.sock",
                                        .syscalls = notify_sendmsg,
                                        .n_syscalls = 1},
                 "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY on sendmsg is not supported: urun needs "
                 "sendmsg to pass the listener its fd",
                 "NOTIFY on sendmsg");

    struct spec_seccomp_syscall kill_errno[] = {
        {.names = NAMES("getppid"), .action = "SCMP_ACT_KILL", .has_errno_ret = true, .errno_ret = 1}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = kill_errno, .n_syscalls = 1},
                 "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not "
                 "SCMP_ACT_KILL",
                 "errnoRet with KILL");

    struct spec_seccomp_syscall big_errno[] = {
        {.names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 70000}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = big_errno, .n_syscalls = 1},
                 "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (0-4095)", "errnoRet too big");

    struct spec_seccomp_syscall big_trace[] = {
        {.names = NAMES("getppid"), .action = "SCMP_ACT_TRACE", .has_errno_ret = true, .errno_ret = 65536}};
    expect_error(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = big_trace, .n_syscalls = 1},
                 "linux.seccomp.syscalls[0].errnoRet: 65536 is out of range (0-65535)", "TRACE errnoRet too big");
}

static void test_bad_flags(void)
{
    bool waitkill = false;
    for (size_t i = 0; urun_seccomp_flags[i]; i++)
        waitkill = waitkill || strcmp(urun_seccomp_flags[i], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0;
    if (!waitkill) { /* libseccomp older than 2.6 */
        struct urun_seccomp *f = NULL;
        struct urun_error err = {0};
        const char *want = "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6 or "
                           "later, urun was built with 2.";
        int r = urun_seccomp_build(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW",
                                                          .flags = NAMES("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")},
                                   &f, &err);
        TAP_OK(r < 0 && !f && strncmp(err.msg, want, strlen(want)) == 0,
               "WAIT_KILLABLE_RECV with an old libseccomp: %s", err.msg);
    }
}

static void test_good(void)
{
    /* Something like a container engine's default profile: every action, every op, three arches. */
    struct spec_seccomp_syscall rules[] = {
        {.names = NAMES("read", "write", "exit_group"), .action = "SCMP_ACT_ALLOW"},
        {.names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 38},
        {.names = NAMES("getpgrp"), .action = "SCMP_ACT_KILL"},
        {.names = NAMES("getpgid"), .action = "SCMP_ACT_KILL_THREAD"},
        {.names = NAMES("getsid"), .action = "SCMP_ACT_KILL_PROCESS"},
        {.names = NAMES("uname"), .action = "SCMP_ACT_TRAP"},
        {.names = NAMES("getuid"), .action = "SCMP_ACT_TRACE", .has_errno_ret = true, .errno_ret = 7},
        {.names = NAMES("getgid"), .action = "SCMP_ACT_LOG"},
        {.names = NAMES("personality"),
         .action = "SCMP_ACT_ALLOW",
         .args = ARGS({.index = 0, .value = 0, .op = "SCMP_CMP_EQ"}),
         .n_args = 1},
        {.names = NAMES("umask"),
         .action = "SCMP_ACT_ALLOW",
         .args = ARGS({.index = 0, .value = 1, .op = "SCMP_CMP_NE"}),
         .n_args = 1},
        {.names = NAMES("socket"),
         .action = "SCMP_ACT_ALLOW",
         .args = ARGS({.index = 0, .value = 10, .op = "SCMP_CMP_LT"}, {.index = 1, .value = 3, .op = "SCMP_CMP_LE"},
                      {.index = 2, .value = 0, .op = "SCMP_CMP_GE"}),
         .n_args = 3},
        {.names = NAMES("clone"),
         .action = "SCMP_ACT_ALLOW",
         .args = ARGS({.index = 0, .value = 0x7E020000, .value_two = 0, .op = "SCMP_CMP_MASKED_EQ"}),
         .n_args = 1},
        {.names = NAMES("kill"),
         .action = "SCMP_ACT_ALLOW",
         .args = ARGS({.index = 1, .value = 0, .op = "SCMP_CMP_GT"}),
         .n_args = 1},
        /* same action as the default: dropped, not an error */
        {.names = NAMES("getcwd"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 1},
    };
    struct spec_seccomp s = {
        .default_action = "SCMP_ACT_ERRNO",
        .has_default_errno_ret = true,
        .default_errno_ret = 1,
        .architectures = NAMES("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"),
        .flags = NAMES("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
        .syscalls = rules,
        .n_syscalls = N_OF(rules),
    };
    struct urun_seccomp *f = NULL;
    struct urun_error err = {0};
    const char *const *w;

    TAP_OK(urun_seccomp_build(&s, &f, &err) == 0 && f, "a full profile builds (%s)", err.msg);
    TAP_OK(f && urun_seccomp_warnings(f, &w) == 0, "no warnings for known syscalls");
    TAP_OK(f && !urun_seccomp_needs_listener(f), "no listener without NOTIFY rules");
    urun_seccomp_free(f);
    urun_seccomp_free(NULL);
}

/* Unknown syscall names, NOTIFY rules, and the tables the features document lists. */
static void test_good_edges(void)
{
    struct urun_seccomp *f = NULL;
    struct urun_error err = {0};
    const char *const *w;

    struct spec_seccomp_syscall unknown[] = {
        {.names = NAMES("getppid", "no_such_syscall", "getpgrp"), .action = "SCMP_ACT_ERRNO"}};
    TAP_OK(urun_seccomp_build(
               &(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = unknown, .n_syscalls = 1}, &f,
               &err) == 0,
           "an unknown syscall name is not an error");
    TAP_OK(f && urun_seccomp_warnings(f, &w) == 1, "one warning for it");
    if (f && urun_seccomp_warnings(f, &w) == 1)
        TAP_STREQ(w[0],
                  "linux.seccomp.syscalls[0].names[1]: unknown syscall \"no_such_syscall\" on this architecture, "
                  "skipped",
                  "warning text");
    urun_seccomp_free(f);

    struct spec_seccomp_syscall notify[] = {{.names = NAMES("mkdir"), .action = "SCMP_ACT_NOTIFY"}};
    f = NULL;
    TAP_OK(urun_seccomp_build(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW",
                                                     .listener_path = "/run/l.sock",
                                                     .syscalls = notify,
                                                     .n_syscalls = 1},
                              &f, &err) == 0 &&
               urun_seccomp_needs_listener(f),
           "NOTIFY with listenerPath builds and needs a listener");
    urun_seccomp_free(f);

    bool found = false;
    for (size_t i = 0; urun_seccomp_actions[i]; i++)
        found = found || strcmp(urun_seccomp_actions[i], "SCMP_ACT_KILL_PROCESS") == 0;
    TAP_OK(found && urun_seccomp_ops[6] && strcmp(urun_seccomp_ops[6], "SCMP_CMP_MASKED_EQ") == 0 &&
               !urun_seccomp_ops[7],
           "feature tables list actions and all seven ops");
    TAP_OK(urun_seccomp_archs[0] && urun_seccomp_flags[0], "feature tables list archs and flags");
}

/* ---- loading, in a child ---- */

/* Build s, fork; the child sets no_new_privs, loads, and returns body()'s value as exit status.
 * Returns the raw wait status, or -1 when the filter did not build. */
static int in_child(const struct spec_seccomp *s, int (*body)(void))
{
    struct urun_seccomp *f = NULL;
    struct urun_error err = {0};
    int status = -1;

    if (urun_seccomp_build(s, &f, &err) < 0) {
        printf("# build: %s (%s)\n", err.msg, strerror(err.errnum));
        return -1;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = -2;
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS dumps core by default */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || urun_seccomp_load(f, &fd, &err) < 0) {
            printf("# load: %s (%s)\n", err.msg, strerror(err.errnum));
            fflush(stdout);
            _exit(100);
        }
        _exit(fd == -1 ? body() : 101);
    }
    urun_seccomp_free(f);
    waitpid(pid, &status, 0);
    return status;
}

static bool exited(int status, int code)
{
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static bool killed_by(int status, int sig)
{
    return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static int body_mkdir(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/denied", tmp);
    if (mkdir(path, 0755) == 0)
        return 1;
    return errno == EPERM ? 0 : 2;
}

static int body_getcwd(void)
{
    char buf[256];
    syscall(SYS_getcwd, buf, sizeof(buf));
    return 0;
}

static int body_getppid_errno(void)
{
    long r = syscall(SYS_getppid);
    return r == -1 ? errno : 0;
}

static int body_getppid_ok(void)
{
    return syscall(SYS_getppid) > 0 ? 0 : 1;
}

static int body_getpid_default(void)
{
    /* default ERRNO(EACCES), getppid allowed */
    return (syscall(SYS_getpid) == -1 && errno == EACCES ? 0 : 1) | (syscall(SYS_getppid) > 0 ? 0 : 2);
}

/* Bit k set when umask(values[k]) was refused with EPERM.  umask never fails by itself. */
static const unsigned umask_values[] = {021, 022, 023, 002, 027, 077};
static int body_umask(void)
{
    int bits = 0;
    for (size_t k = 0; k < N_OF(umask_values); k++)
        if (syscall(SYS_umask, umask_values[k]) == -1 && errno == EPERM)
            bits |= 1 << k;
    return bits;
}

static int body_getpriority(void)
{
    int bits = 0;
    if (syscall(SYS_getpriority, 0 /* PRIO_PROCESS */, 0) == -1)
        bits |= 1;
    if (syscall(SYS_getpriority, 0, getpid()) == -1)
        bits |= 2;
    if (syscall(SYS_getpriority, 1 /* PRIO_PGRP */, 0) == -1)
        bits |= 4;
    return bits;
}

static void test_actions(void)
{
    struct spec_seccomp_syscall deny_mkdir[] = {{.names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_ERRNO"}};
    int st =
        in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = deny_mkdir, .n_syscalls = 1},
                 body_mkdir);
    TAP_OK(exited(st, 0), "ERRNO without errnoRet: mkdir fails with EPERM (status %#x)", st);

    struct spec_seccomp_syscall kill_getcwd[] = {{.names = NAMES("getcwd"), .action = "SCMP_ACT_KILL_PROCESS"}};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = kill_getcwd, .n_syscalls = 1},
                  body_getcwd);
    TAP_OK(killed_by(st, SIGSYS), "KILL_PROCESS on getcwd: killed by SIGSYS (status %#x)", st);

    struct spec_seccomp_syscall kill_thread[] = {{.names = NAMES("getcwd"), .action = "SCMP_ACT_KILL"}};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = kill_thread, .n_syscalls = 1},
                  body_getcwd);
    TAP_OK(killed_by(st, SIGSYS), "KILL (thread) on getcwd: a single-threaded process dies of SIGSYS (status %#x)", st);

    struct spec_seccomp_syscall errno38[] = {
        {.names = NAMES("getppid"), .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 38}};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = errno38, .n_syscalls = 1},
                  body_getppid_errno);
    TAP_OK(exited(st, 38), "ERRNO with errnoRet 38: getppid fails with 38 (status %#x)", st);

    struct spec_seccomp_syscall trace[] = {{.names = NAMES("getppid"), .action = "SCMP_ACT_TRACE"}};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = trace, .n_syscalls = 1},
                  body_getppid_errno);
    TAP_OK(exited(st, ENOSYS), "TRACE without a tracer: ENOSYS (status %#x)", st);

    struct spec_seccomp_syscall log[] = {{.names = NAMES("getppid"), .action = "SCMP_ACT_LOG"}};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = log, .n_syscalls = 1},
                  body_getppid_ok);
    TAP_OK(exited(st, 0), "LOG: the syscall runs (status %#x)", st);

    struct spec_seccomp_syscall trap[] = {{.names = NAMES("getppid"), .action = "SCMP_ACT_TRAP"}};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = trap, .n_syscalls = 1},
                  body_getppid_ok);
    TAP_OK(killed_by(st, SIGSYS), "TRAP: SIGSYS (status %#x)", st);

    /* An allow-list: everything else fails with defaultErrnoRet. */
    struct spec_seccomp_syscall allow[] = {
        /* sigaltstack: ASan looks at the signal stack before every noreturn call such as _exit */
        {.names = NAMES("getppid", "exit", "exit_group", "rt_sigreturn", "write", "sigaltstack"),
         .action = "SCMP_ACT_ALLOW"}};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ERRNO",
                                         .has_default_errno_ret = true,
                                         .default_errno_ret = EACCES,
                                         .syscalls = allow,
                                         .n_syscalls = 1},
                  body_getpid_default);
    TAP_OK(exited(st, 0), "defaultAction ERRNO with defaultErrnoRet: getpid EACCES, getppid allowed (status %#x)", st);
}

/* umask_values: 021 022 023 002 027 077 -> bit 0..5 */
static void test_ops(void)
{
    static const struct {
        const char *op;
        uint64_t value, value_two;
        int denied;
    } cases[] = {
        {"SCMP_CMP_NE", 022, 0, 0x3d},                                         /* all but 022 */
        {"SCMP_CMP_LT", 022, 0, 0x09},                                         /* 021 002 */
        {"SCMP_CMP_LE", 022, 0, 0x0b},                                         /* 021 022 002 */
        {"SCMP_CMP_EQ", 022, 0, 0x02},          {"SCMP_CMP_GE", 022, 0, 0x36}, /* 022 023 027 077 */
        {"SCMP_CMP_GT", 022, 0, 0x34},                                         /* 023 027 077 */
        {"SCMP_CMP_MASKED_EQ", 070, 020, 0x17},                                /* (v & 070) == 020: 021 022 023 027 */
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct spec_seccomp_arg a = {
            .index = 0, .value = cases[i].value, .value_two = cases[i].value_two, .op = (char *)cases[i].op};
        struct spec_seccomp_syscall r = {.names = NAMES("umask"), .action = "SCMP_ACT_ERRNO", .args = &a, .n_args = 1};
        int st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = &r, .n_syscalls = 1},
                          body_umask);
        TAP_OK(exited(st, cases[i].denied), "%s: umask denied exactly for the matching values (status %#x, want %#x)",
               cases[i].op, st, cases[i].denied << 8);
    }

    /* Two args on different indexes: AND. */
    struct spec_seccomp_syscall and_rule = {
        .names = NAMES("getpriority"),
        .action = "SCMP_ACT_ERRNO",
        .args = ARGS({.index = 0, .value = 0, .op = "SCMP_CMP_EQ"}, {.index = 1, .value = 0, .op = "SCMP_CMP_EQ"}),
        .n_args = 2};
    int st =
        in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = &and_rule, .n_syscalls = 1},
                 body_getpriority);
    TAP_OK(exited(st, 1), "args on different indexes are ANDed (status %#x)", st);

    /* Two args on the same index: split into two rules, ORed (as runc does). */
    struct spec_seccomp_syscall or_rule = {
        .names = NAMES("umask"),
        .action = "SCMP_ACT_ERRNO",
        .args = ARGS({.index = 0, .value = 022, .op = "SCMP_CMP_EQ"}, {.index = 0, .value = 077, .op = "SCMP_CMP_EQ"}),
        .n_args = 2};
    st = in_child(&(struct spec_seccomp){.default_action = "SCMP_ACT_ALLOW", .syscalls = &or_rule, .n_syscalls = 1},
                  body_umask);
    TAP_OK(exited(st, 0x22), "args on the same index become separate rules, ORed (status %#x)", st);
}

/* ---- NOTIFY through a listener ---- */

static int recv_fd_and_text(int conn, char *buf, size_t size, int *ret_fd)
{
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, size - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    size_t len;
    struct cmsghdr *c;

    *ret_fd = -1;
    if (n <= 0)
        return -1;
    c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
    for (len = (size_t)n; len < size - 1 && (n = read(conn, buf + len, size - 1 - len)) > 0;)
        len += (size_t)n;
    buf[len] = '\0';
    return 0;
}

static void test_notify(void)
{
    char sock_path[128], dir[128], text[1024], want[1024];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct spec_seccomp_syscall notify[] = {{.names = NAMES("mkdir", "mkdirat"), .action = "SCMP_ACT_NOTIFY"}};
    struct spec_seccomp s = {.default_action = "SCMP_ACT_ALLOW",
                             .listener_path = sock_path,
                             .listener_metadata = "MKNOD=/dev/null",
                             .syscalls = notify,
                             .n_syscalls = 1};
    struct urun_seccomp *f = NULL;
    struct urun_error err = {0};
    int lfd, conn, nfd = -1, status = -1;

    snprintf(sock_path, sizeof(sock_path), "%s/listener.sock", tmp);
    snprintf(dir, sizeof(dir), "%s/notified", tmp);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
        TAP_OK(false, "listener socket: %s", strerror(errno));
        return;
    }
    TAP_OK(urun_seccomp_build(&s, &f, &err) == 0, "NOTIFY filter builds (%s)", err.msg);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int sock = -1, fd = -1;
        if (urun_seccomp_listener_connect(sock_path, &sock, &err) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            urun_seccomp_load(f, &fd, &err) < 0 || fd < 0 ||
            urun_seccomp_listener_send(sock, fd, getpid(), s.listener_metadata,
                                       "{\"id\":\"c1\",\"status\":\"creating\"}", &err) < 0) {
            printf("# child: %s (%s)\n", err.msg, strerror(err.errnum));
            fflush(stdout);
            _exit(100);
        }
        close(sock);
        close(fd);
        /* The listener answers ELOOP instead of letting mkdir run. */
        _exit(mkdir(dir, 0755) < 0 && errno == ELOOP ? 0 : 1);
    }
    urun_seccomp_free(f);
    conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    TAP_OK(conn >= 0 && recv_fd_and_text(conn, text, sizeof(text), &nfd) == 0 && nfd >= 0,
           "the listener receives an fd with the state");
    snprintf(want, sizeof(want),
             "{\"ociVersion\":\"1.2.0\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":\"MKNOD=/dev/null\","
             "\"state\":{\"id\":\"c1\",\"status\":\"creating\"}}",
             (int)pid);
    TAP_STREQ(text, want, "containerProcessState document");

    struct seccomp_notif req;
    memset(&req, 0, sizeof(req));
    bool got = nfd >= 0 && ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0;
    TAP_OK(got && req.pid == (__u32)pid && (req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat),
           "the notify fd reports the child's mkdir");
    if (got) {
        struct seccomp_notif_resp resp = {.id = req.id, .error = -ELOOP};
        ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    waitpid(pid, &status, 0);
    TAP_OK(exited(status, 0), "the child sees the listener's answer (status %#x)", status);
    struct stat stt;
    TAP_OK(stat(dir, &stt) < 0, "mkdir never ran");
    if (nfd >= 0)
        close(nfd);
    if (conn >= 0)
        close(conn);
    close(lfd);
    unlink(sock_path);

    int sock = -1;
    TAP_OK(urun_seccomp_listener_connect(sock_path, &sock, &err) < 0 && err.errnum == ENOENT && sock == -1,
           "connect to a missing listener fails");
    snprintf(want, sizeof(want), "linux.seccomp.listenerPath: connect to %s", sock_path);
    TAP_STREQ(err.msg, want, "connect message");
}

int main(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/urun-test-seccomp.XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_bad_top();
    test_bad_rules();
    test_bad_flags();
    test_good();
    test_good_edges();
    test_actions();
    test_ops();
    test_notify();
    rmdir(tmp);
    return tap_done();
}
