/* Unit tests for src/runtime/hooks.c, with /bin/sh scripts written into a private temporary directory and
 * with this very binary as a hook (`test_hooks --dump FILE`, which records its argv, environment, fds,
 * signal state and stdin): order, stdin, args and env, exit status, signals, timeouts, a missing
 * program, bounded output capture, and that no fd of ours reaches a hook. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "tap.h"

extern char **environ;

#define NAMES(...) ((char *[]){__VA_ARGS__, NULL})

static char tmp[64];
static char self[PATH_MAX];

static char *tpath(const char *rel)
{
    static char buf[8][512];
    static int i;

    i = (i + 1) % 8;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, rel);
    return buf[i];
}

static char *script(const char *name, const char *body)
{
    char *p = tpath(name);
    FILE *f = fopen(p, "we");

    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    chmod(p, 0755);
    return p;
}

static char *slurp(const char *path)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

    buf[n < 0 ? 0 : n] = '\0';
    if (fd >= 0)
        close(fd);
    return buf;
}

/* ---- the hook side: `test_hooks --dump FILE` ---- */

static int dump(const char *out_path, int argc, char **argv)
{
    char fds[256] = "", stdin_buf[4096], line[256];
    size_t len = 0;
    ssize_t n;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    /* fds first, before this program opens anything of its own */
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
            snprintf(fds + strlen(fds), sizeof(fds) - strlen(fds), "%s ", e->d_name);
    if (d)
        closedir(d);
    while (len < sizeof(stdin_buf) - 1 && (n = read(0, stdin_buf + len, sizeof(stdin_buf) - 1 - len)) > 0)
        len += (size_t)n;
    stdin_buf[len] = '\0';

    FILE *o = fopen(out_path, "we");
    if (!o)
        return 1;
    fprintf(o, "argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        fprintf(o, "argv[%d]=%s\n", i, argv[i]);
    for (char **v = environ; *v; v++)
        fprintf(o, "env=%s\n", *v);
    fprintf(o, "fds=%s\n", fds);
    FILE *st = fopen("/proc/self/status", "re");
    while (st && fgets(line, sizeof(line), st))
        if (strncmp(line, "SigBlk:", 7) == 0 || strncmp(line, "SigIgn:", 7) == 0)
            fputs(line, o);
    if (st)
        fclose(st);
    fprintf(o, "stdin=%s\n", stdin_buf);
    fclose(o);
    return 0;
}

/* ---- the tests ---- */

static int run(struct spec_hook *h, size_t n, const char *kind, const char *state, struct urun_error *err)
{
    struct spec_hook_list l = {.hooks = h, .n = n};
    memset(err, 0, sizeof(*err));
    return hooks_run(&l, kind, state, err);
}

static void test_order_and_stdin(void)
{
    char body1[256], body2[256];
    struct urun_error err;

    snprintf(body1, sizeof(body1), "echo one >> %s; cat > %s", tpath("order"), tpath("stdin1"));
    snprintf(body2, sizeof(body2), "echo two >> %s", tpath("order"));
    struct spec_hook h[] = {{.path = script("h1", body1)}, {.path = script("h2", body2)}};
    int r = run(h, 2, "prestart", "{\"ociVersion\":\"1.2.0\",\"id\":\"x\"}", &err);
    TAP_OK(r == 0, "two hooks succeed (%s)", err.msg);
    TAP_STREQ(slurp(tpath("order")), "one\ntwo\n", "hooks run in order");
    TAP_STREQ(slurp(tpath("stdin1")), "{\"ociVersion\":\"1.2.0\",\"id\":\"x\"}", "stdin is exactly the state JSON");

    struct spec_hook_list empty = {0};
    TAP_OK(hooks_run(&empty, "poststop", "{}", &err) == 0, "an empty list succeeds");
}

static void test_args_env_fds(void)
{
    struct urun_error err;
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_usr1;
    sigset_t block, old_mask;
    int leak = open("/dev/null", O_RDONLY); /* deliberately not O_CLOEXEC */
    int pfd[2];

    if (pipe(pfd) < 0)
        pfd[0] = pfd[1] = -1;
    sigaction(SIGUSR1, &ign, &old_usr1);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old_mask);

    struct spec_hook h = {.path = self,
                          .args = NAMES("custom-argv0", "--dump", tpath("dump1"), "a b"),
                          .env = NAMES("FOO=bar", "EMPTY=")};
    int r = run(&h, 1, "createRuntime", "state-text", &err);
    TAP_OK(r == 0, "the dump hook succeeds (%s)", err.msg);
    char *d = slurp(tpath("dump1"));
    TAP_OK(strstr(d, "argc=4\nargv[0]=custom-argv0\nargv[1]=--dump\n") != NULL, "args are argv, argv[0] included");
    TAP_OK(strstr(d, "argv[3]=a b\n") != NULL, "an argument with a space stays one argument");
    TAP_OK(strstr(d, "env=FOO=bar\nenv=EMPTY=\nfds=") != NULL && !strstr(d, "env=PATH"),
           "env is exactly the hook's env");
    TAP_OK(strstr(d, "fds=0 1 2 \n") != NULL, "only fds 0 1 2 reach the hook (our fds %d %d %d are not inherited)",
           leak, pfd[0], pfd[1]);
    TAP_OK(strstr(d, "SigBlk:\t0000000000000000\n") != NULL, "the hook's signal mask is empty");
    TAP_OK(strstr(d, "SigIgn:\t0000000000000000\n") != NULL, "the hook ignores no signal");
    TAP_OK(strstr(d, "stdin=state-text\n") != NULL, "the dump hook read the state");

    h = (struct spec_hook){.path = self};
    r = run(&h, 1, "createRuntime", "", &err);
    TAP_OK(r < 0, "without args argv is [path] (our main sees no --dump and fails)");
    TAP_OK(strstr(err.msg, "exited with status 3: test_hooks needs --dump FILE") != NULL, "... message: %s", err.msg);

    h = (struct spec_hook){.path = self, .args = NAMES(self, "--dump", tpath("dump2"))};
    r = run(&h, 1, "createRuntime", "", &err);
    TAP_OK(r == 0 && strstr(slurp(tpath("dump2")), "env=") == NULL, "without env the environment is empty");

    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGUSR1, &old_usr1, NULL);
    close(leak);
    close(pfd[0]);
    close(pfd[1]);
}

static void test_failures(void)
{
    struct urun_error err;
    char want[1024], body[256];

    struct spec_hook fail = {.path = script("fail", "echo some output; echo 'on stderr' >&2; exit 3")};
    struct spec_hook h[] = {{.path = script("ok", "exit 0")}, fail};
    TAP_OK(run(h, 2, "prestart", "{}", &err) < 0, "a hook exiting 3 fails the list");
    snprintf(want, sizeof(want), "hooks.prestart[1] %s: exited with status 3: some output on stderr", fail.path);
    TAP_STREQ(err.msg, want, "message with status and output");

    snprintf(body, sizeof(body), "touch %s", tpath("after-ran"));
    struct spec_hook stop[] = {fail, {.path = script("after", body)}};
    run(stop, 2, "createContainer", "{}", &err);
    TAP_OK(access(tpath("after-ran"), F_OK) < 0, "the list stops at the first failure");

    struct spec_hook missing = {.path = "/nonexistent/hook"};
    TAP_OK(run(&missing, 1, "poststop", "{}", &err) < 0 && err.errnum == ENOENT, "a missing hook fails with ENOENT");
    TAP_STREQ(err.msg, "hooks.poststop[0] /nonexistent/hook: exec", "missing hook message");

    struct spec_hook noexec = {.path = tpath("order")}; /* a plain file, mode 0644 */
    TAP_OK(run(&noexec, 1, "poststop", "{}", &err) < 0 && err.errnum == EACCES, "a non-executable hook: EACCES");

    struct spec_hook sig = {.path = script("sig", "kill -TERM $$")};
    TAP_OK(run(&sig, 1, "startContainer", "{}", &err) < 0, "a hook killed by a signal fails");
    snprintf(want, sizeof(want), "hooks.startContainer[0] %s: killed by signal 15 (SIGTERM)", sig.path);
    TAP_STREQ(err.msg, want, "signal message");

    struct spec_hook slow = {.path = script("slow", "exec sleep 10"), .has_timeout = true, .timeout = 1};
    time_t t0 = time(NULL);
    TAP_OK(run(&slow, 1, "poststart", "{}", &err) < 0 && err.errnum == ETIMEDOUT, "a slow hook times out");
    TAP_OK(time(NULL) - t0 < 5, "... after about its timeout (%ds)", (int)(time(NULL) - t0));
    snprintf(want, sizeof(want), "hooks.poststart[0] %s: timed out after 1s", slow.path);
    TAP_STREQ(err.msg, want, "timeout message");

    struct spec_hook fast = {.path = script("fast", "exit 0"), .has_timeout = true, .timeout = 5};
    TAP_OK(run(&fast, 1, "poststart", "{}", &err) == 0, "a quick hook with a timeout succeeds");

    struct spec_hook loud = {.path = script("loud", "i=0; while [ $i -lt 100 ]; do printf 'xxxxxxxxxxxxxxxxxxxx\\n'; "
                                                    "i=$((i+1)); done; exit 1")};
    TAP_OK(run(&loud, 1, "prestart", "{}", &err) < 0, "a hook with 2000 bytes of output fails");
    size_t xs = 0;
    for (const char *p = strchr(err.msg, ':'); p && *p; p++)
        xs += *p == 'x';
    TAP_OK(xs > 400 && xs <= 512, "at most 512 bytes of output are kept (%zu x)", xs);
    TAP_OK(strlen(err.msg) > 5 && strcmp(err.msg + strlen(err.msg) - 4, " ...") == 0, "truncation is marked");
    TAP_OK(strchr(err.msg, '\n') == NULL, "the message is one line");
}

/* A hook that exits without reading a large stdin: EPIPE for us, never SIGPIPE. */
static void test_unread_stdin(void)
{
    struct urun_error err;
    size_t big = 1 << 20;
    char *state = malloc(big + 1);
    sigset_t pending;

    memset(state, 'a', big);
    state[big] = '\0';
    struct spec_hook h = {.path = script("noread", "exit 0")};
    TAP_OK(run(&h, 1, "prestart", state, &err) == 0, "a hook that ignores a 1 MiB stdin succeeds (%s)", err.msg);
    sigpending(&pending);
    TAP_OK(!sigismember(&pending, SIGPIPE), "no SIGPIPE is left pending");

    struct spec_hook reader = {.path = script("reader", "wc -c")};
    reader.has_timeout = true;
    reader.timeout = 10;
    struct spec_hook fail_reader = {.path = script("freader", "wc -c; exit 9")};
    TAP_OK(run(&fail_reader, 1, "prestart", state, &err) < 0 && strstr(err.msg, "exited with status 9: 1048576"),
           "a hook reading a 1 MiB stdin gets all of it (%s)", err.msg);
    TAP_OK(run(&reader, 1, "prestart", state, &err) == 0, "reading hook succeeds");
    free(state);
}

static int rm_tree(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    return system(cmd);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--dump") == 0 && argc >= 3)
        return dump(argv[2], argc, argv);
    /* Run as a hook without args and env (argv is just [path]): say so and fail. */
    if (argc >= 2 || !environ[0]) {
        fprintf(stderr, "test_hooks needs --dump FILE\n");
        return 3;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0) {
        perror("readlink /proc/self/exe");
        return 1;
    }
    self[n] = '\0';
    snprintf(tmp, sizeof(tmp), "/tmp/urun-test-hooks.XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_order_and_stdin();
    test_args_env_fds();
    test_failures();
    test_unread_stdin();
    rm_tree();
    return tap_done();
}
