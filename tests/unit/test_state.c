/* Unit tests for the state module's directories (src/runtime/state.c), run against a private
 * temporary directory: the state root's creation and refusals, container directories and their
 * locks, the names and paths in them, listing and removal.  What is in the files: test_state_file.c. */
#include "state-test.h"

static void expect_root_error(const char *path, const char *want, const char *what)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    int k = state_root_open(path, false, &r, &err);

    TAP_OK(k < 0 && r.fd == -1, "root refused: %s", what);
    TAP_STREQ(err.msg, want, "message: %s", what);
    state_root_close(&r);
}

static void test_root_create(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    char cwd[512], want[600];
    struct stat st;
    int k;

    k = state_root_open(tpath("p1/p2/root"), false, &r, &err);
    TAP_OK(k == 0 && r.fd >= 0, "root with missing parents is created (%s)", err.msg);
    TAP_STREQ(r.path, tpath("p1/p2/root"), "root path is kept");
    TAP_OK(stat(tpath("p1/p2/root"), &st) == 0 && (st.st_mode & 07777) == 0700, "root has mode 0700");
    TAP_OK(stat(tpath("p1"), &st) == 0 && (st.st_mode & 07777) == 0700, "missing parent has mode 0700");
    state_root_close(&r);
    TAP_OK(r.fd == -1 && r.path == NULL, "state_root_close resets the root");
    state_root_close(&r);

    k = state_root_open(tpath("p1/p2/root/"), false, &r, &err);
    TAP_OK(k == 0 && strcmp(r.path, tpath("p1/p2/root")) == 0, "existing root opens, trailing slash dropped");
    state_root_close(&r);

    if (!getcwd(cwd, sizeof(cwd)) || chdir(tmp) < 0)
        return;
    k = state_root_open("rel/root", false, &r, &err);
    snprintf(want, sizeof(want), "%s/rel/root", tmp);
    TAP_OK(k == 0, "relative root opens (%s)", err.msg);
    TAP_STREQ(r.path, want, "relative root is made absolute");
    state_root_close(&r);
    if (chdir(cwd) < 0)
        return;

    k = state_root_open("", false, &r, &err);
    TAP_OK(k < 0, "empty --root is refused");
}

static void test_root_refusals(void)
{
    char want[700];
    int fd;

    if (mkdir(tpath("real"), 0700) < 0 || symlink(tpath("real"), tpath("link")) < 0)
        return;
    snprintf(want, sizeof(want), "state root %s: is a symlink, refusing to use it", tpath("link"));
    expect_root_error(tpath("link"), want, "symlink");

    mkdir(tpath("wide"), 0700);
    chmod(tpath("wide"), 0777);
    snprintf(want, sizeof(want),
             "state root %s: mode 0777 is group/world-writable; refusing to use it (choose another state directory "
             "with --root DIR)",
             tpath("wide"));
    expect_root_error(tpath("wide"), want, "0777 root");

    mkdir(tpath("gw"), 0700);
    chmod(tpath("gw"), 0770);
    snprintf(want, sizeof(want),
             "state root %s: mode 0770 is group/world-writable; refusing to use it (choose another state directory "
             "with --root DIR)",
             tpath("gw"));
    expect_root_error(tpath("gw"), want, "group-writable root");

    fd = open(tpath("file"), O_CREAT | O_WRONLY, 0600);
    if (fd >= 0)
        close(fd);
    snprintf(want, sizeof(want), "state root %s: not a directory, refusing to use it", tpath("file"));
    expect_root_error(tpath("file"), want, "regular file");

    if (geteuid() != 0) { /* "/" is root's: enough to see the refusal without chown */
        snprintf(want, sizeof(want),
                 "state root /: owned by uid 0 (root), not you (uid %u); refusing to use it "
                 "(choose another state directory with --root DIR)",
                 (unsigned)geteuid());
        expect_root_error("/", want, "root owned by another user");
        return;
    }
    mkdir(tpath("theirs"), 0700);
    if (chown(tpath("theirs"), 65534, 65534) < 0)
        return;
    char label[64];
    struct passwd *pw = getpwuid(65534);
    snprintf(label, sizeof(label), pw ? "uid 65534 (%s)" : "uid 65534", pw ? pw->pw_name : "");
    snprintf(want, sizeof(want),
             "state root %s: owned by %s, not you (uid 0); refusing to use it (choose another "
             "state directory with --root DIR)",
             tpath("theirs"), label);
    expect_root_error(tpath("theirs"), want, "root owned by another user");
    /* a command that serves other users' containers (state, kill, delete, list, ps) may open it */
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    TAP_OK(state_root_open(tpath("theirs"), true, &r, &err) == 0 && r.foreign && r.owner == 65534,
           "uid 0 may serve another user's root, marked foreign");
    state_root_close(&r);
    chmod(tpath("theirs"), 0777);
    TAP_OK(state_root_open(tpath("theirs"), true, &r, &err) < 0 && strstr(err.msg, "world-writable"),
           "a world-writable root is still refused when serving");
    state_root_close(&r);
}

/* state_root_open(NULL) with XDG_RUNTIME_DIR set to xdg (NULL: unset); returns the chosen path. */
static char *default_root_with(const char *xdg)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    char *path = NULL;

    if (xdg)
        setenv("XDG_RUNTIME_DIR", xdg, 1);
    else
        unsetenv("XDG_RUNTIME_DIR");
    if (state_root_open(NULL, false, &r, &err) == 0)
        path = strdup(r.path);
    else
        printf("# state_root_open(NULL): %s\n", err.msg);
    state_root_close(&r);
    return path;
}

static void test_root_default(void)
{
    char fallback[64], *p;
    struct stat st;
    bool had_fallback;

    /* /run/user/$UID/urun where that directory is ours (pam_systemd's), else /tmp/urun-$UID */
    char run_user[64];
    snprintf(run_user, sizeof(run_user), "/run/user/%u", (unsigned)geteuid());
    if (stat(run_user, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022))
        snprintf(fallback, sizeof(fallback), "%s/urun", run_user);
    else
        snprintf(fallback, sizeof(fallback), "/tmp/urun-%u", (unsigned)geteuid());
    had_fallback = lstat(fallback, &st) == 0;

    p = default_root_with(NULL);
    TAP_STREQ(p, fallback, "XDG_RUNTIME_DIR unset: /run/user/$UID/urun if ours, else /tmp/urun-$UID");
    free(p);
    p = default_root_with("relative/dir");
    TAP_STREQ(p, fallback, "relative XDG_RUNTIME_DIR: fallback");
    free(p);
    p = default_root_with(tpath("no-such-xdg"));
    TAP_STREQ(p, fallback, "missing XDG_RUNTIME_DIR: fallback");
    free(p);
    p = default_root_with(tpath("wide"));
    TAP_STREQ(p, fallback, "world-writable XDG_RUNTIME_DIR: fallback");
    free(p);
    if (geteuid() == 0) {
        p = default_root_with(tpath("theirs"));
        TAP_STREQ(p, fallback, "XDG_RUNTIME_DIR owned by another user: fallback");
        free(p);
    } else {
        p = default_root_with("/");
        TAP_STREQ(p, fallback, "XDG_RUNTIME_DIR owned by another user: fallback");
        free(p);
    }

    mkdir(tpath("xdg"), 0700);
    p = default_root_with(tpath("xdg"));
    TAP_STREQ(p, tpath("xdg/urun"), "usable XDG_RUNTIME_DIR: $XDG_RUNTIME_DIR/urun");
    TAP_OK(stat(tpath("xdg/urun"), &st) == 0 && (st.st_mode & 07777) == 0700, "$XDG_RUNTIME_DIR/urun is 0700");
    free(p);
    unsetenv("XDG_RUNTIME_DIR");
    if (!had_fallback)
        rmdir(fallback);
}

static void test_removed_while_waiting(struct state_root *r)
{
    struct urun_error err = {0};
    int fd = -1, status = 0, p[2];
    pid_t child;
    char c;

    if (state_container_create(r, "gone", &fd, &err) < 0 || pipe(p) < 0)
        return;
    child = fork();
    if (child == 0) {
        int cfd = -1, k;

        close(p[0]);
        close(fd); /* the inherited copy shares the parent's lock: drop it, or we wait on ourselves */
        alarm(20);
        if (write(p[1], "x", 1) != 1)
            _exit(3);
        k = state_container_open(r, "gone", LOCK_EX, &cfd, &err);
        _exit(k == -ENOENT && err.errnum == 0 && strstr(err.msg, " does not exist") &&
                      strncmp(err.msg, "container ", 10) == 0
                  ? 0
                  : 1);
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
        c = 0;
    close(p[0]);
    usleep(200 * 1000); /* let the child reach flock() */
    state_container_remove(r, "gone", fd, &err);
    close(fd);
    waitpid(child, &status, 0);
    TAP_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "container removed while waiting for its lock: does not exist");
}

static void test_containers(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    int fd = -1, fd2 = -1, other, k;
    struct stat st;

    if (open_root("croot", &r) < 0)
        return;
    k = state_container_create(&r, "c1", &fd, &err);
    TAP_OK(k == 0 && fd >= 0, "container directory created (%s)", err.msg);
    TAP_OK(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700, "container directory is 0700");
    other = openat(r.fd, "c1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    TAP_OK(other >= 0 && flock(other, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK, "create holds LOCK_EX");

    k = state_container_create(&r, "c1", &fd2, &err);
    TAP_OK(k == -EEXIST && err.errnum == 0 && fd2 == -1, "second create fails");
    TAP_STREQ(err.msg, "container c1 already exists", "second create: message");

    k = state_container_open(&r, "c1", LOCK_SH | LOCK_NB, &fd2, &err);
    TAP_OK(k == -EWOULDBLOCK, "open with a conflicting lock reports the flock error");
    k = state_container_open(&r, "c1", 0, &fd2, &err);
    TAP_OK(k == 0 && fd2 >= 0, "open without a lock while locked");
    close(fd2);
    close(fd);
    k = state_container_open(&r, "c1", LOCK_SH, &fd2, &err);
    TAP_OK(k == 0 && fd2 >= 0, "open with LOCK_SH once released");
    close(fd2);
    if (other >= 0)
        close(other);

    err = (struct urun_error){0};
    k = state_container_open(&r, "nope", LOCK_EX, &fd2, &err);
    TAP_OK(k == -ENOENT && err.errnum == 0, "open of a missing container fails with -ENOENT");
    TAP_STREQ(err.msg, "container nope does not exist", "missing container: message");
    if (close(open(tpath("croot/plainfile"), O_CREAT | O_WRONLY, 0600)) == 0) {
        k = state_container_open(&r, "plainfile", 0, &fd2, &err);
        TAP_OK(k == -ENOENT, "a file in the root is not a container");
    }
    k = state_container_create(&r, "../escape", &fd2, &err);
    TAP_OK(k < 0 && !exists_at(r.fd, "../escape"), "create refuses an invalid id");

    test_removed_while_waiting(&r);
    state_root_close(&r);
}

static void test_list(void)
{
    static const char *const dirs[] = {"b", "a", "c.1", "A", ".hidden", "bad name", "caf\xc3\xa9"};
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    char **ids = NULL, joined[256] = "";
    int k;

    if (open_root("lroot", &r) < 0)
        return;
    k = state_list_ids(&r, &ids, &err);
    TAP_OK(k == 0 && ids && ids[0] == NULL, "empty root lists nothing");
    if (ids)
        for (char **p = ids; *p; p++)
            free(*p);
    free(ids);
    ids = NULL;

    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        mkdirat(r.fd, dirs[i], 0700);
    write_file(r.fd, "zfile", "x");
    k = symlinkat("a", r.fd, "zlink");
    TAP_OK(k == 0, "symlink to a container directory made");
    k = state_list_ids(&r, &ids, &err);
    TAP_OK(k == 0 && ids, "list (%s)", err.msg);
    for (char **p = ids; ids && *p; p++) {
        strncat(joined, *p, sizeof(joined) - strlen(joined) - 2);
        strcat(joined, ",");
        free(*p);
    }
    free(ids);
    TAP_STREQ(joined, "A,a,b,c.1,", "sorted, invalid names, files and symlinks skipped");
    state_root_close(&r);
}

static void test_remove(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = -1, sub, sock, k;

    if (open_root("rmroot", &r) < 0 || state_container_create(&r, "gone", &fd, &err) < 0)
        return;
    write_file(fd, "state.json", "{}");
    write_file(fd, "other", "x");
    mkfifoat(fd, STATE_EXEC_FIFO, 0600);
    k = symlinkat("/etc/passwd", fd, "link");
    TAP_OK(k == 0, "symlink in the container directory made");
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tpath("rmroot/gone/sock"));
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock >= 0) {
        bind(sock, (struct sockaddr *)&sa, sizeof(sa));
        close(sock);
    }
    mkdirat(fd, "sub", 0700);
    sub = openat(fd, "sub", O_RDONLY | O_DIRECTORY);
    if (sub >= 0) {
        write_file(sub, "inner", "x");
        close(sub);
    }
    TAP_OK(exists_at(fd, "sock") && exists_at(fd, "sub/inner"), "container directory populated");

    k = state_container_remove(&r, "gone", fd, &err);
    TAP_OK(k == 0, "remove (%s)", err.msg);
    TAP_OK(!exists_at(r.fd, "gone"), "container directory is gone");
    TAP_OK(access("/etc/passwd", F_OK) == 0, "symlink target untouched");
    close(fd);

    k = state_container_remove(&r, "gone", -1, &err);
    TAP_OK(k == 0, "removing a missing container is fine");
    if (state_container_create(&r, "again", &fd, &err) == 0) {
        write_file(fd, "f", "x");
        close(fd);
        k = state_container_remove(&r, "again", -1, &err);
        TAP_OK(k == 0 && !exists_at(r.fd, "again"), "remove without a dirfd opens it itself");
    }
    state_root_close(&r);
}

/* mkdir -p of rel under dirfd with mode for each directory made (set after creating what is inside). */
static int make_tree(int dirfd, const char *rel, mode_t mode)
{
    char buf[4096], *save = NULL;
    int fd = dup(dirfd);

    snprintf(buf, sizeof(buf), "%s", rel);
    for (char *c = strtok_r(buf, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
        int sub;
        mkdirat(fd, c, 0700);
        sub = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = sub;
    }
    if (fd < 0)
        return -1;
    write_file(fd, "file", "x");
    if (fchmod(fd, mode) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* Whatever a container directory holds goes with it: modes that forbid listing or changing, nested
 * trees, symlinks to directories outside (never followed). */
static void test_remove_hostile(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    char deep[100 * 2 + 16] = "";
    int fd = -1, k;

    if (open_root("rmhroot", &r) < 0 || state_container_create(&r, "h", &fd, &err) < 0)
        return;
    TAP_OK(make_tree(fd, "notify/a/b", 0700) == 0 && make_tree(fd, "notify/a", 0) == 0, "nested tree under a 0000 dir");
    TAP_OK(make_tree(fd, "ro/x", 0500) == 0 && make_tree(fd, "ro", 0500) == 0, "nested 0500 dirs with files");
    TAP_OK(make_tree(fd, "wo", 0300) == 0 && make_tree(fd, "xo", 0100) == 0, "write-only and search-only dirs");
    mkdir(tpath("outside"), 0700);
    write_file(AT_FDCWD, tpath("outside/keep"), "x");
    TAP_OK(symlinkat(tpath("outside"), fd, "dirlink") == 0 && symlinkat("/", fd, "rootlink") == 0,
           "symlinks to directories outside");
    k = state_container_remove(&r, "h", fd, &err);
    TAP_OK(k == 0, "hostile tree removed (%s)", err.msg);
    TAP_OK(!exists_at(r.fd, "h"), "container directory is gone");
    TAP_OK(access(tpath("outside/keep"), F_OK) == 0, "a symlinked directory's content is untouched");
    close(fd);

    if (state_container_create(&r, "d", &fd, &err) < 0)
        return;
    for (int i = 0; i < 100; i++)
        strcat(deep, i ? "/d" : "d");
    TAP_OK(make_tree(fd, deep, 0700) == 0, "100 nested directories");
    k = state_container_remove(&r, "d", fd, &err);
    TAP_OK(k == 0 && !exists_at(r.fd, "d"), "a tree deeper than the fd bound is removed too (%s)", err.msg);
    close(fd);

    if (state_container_create(&r, "self", &fd, &err) < 0)
        return;
    write_file(fd, "f", "x");
    TAP_OK(fchmod(fd, 0500) == 0, "container directory itself 0500");
    k = state_container_remove(&r, "self", fd, &err);
    TAP_OK(k == 0 && !exists_at(r.fd, "self"), "a container directory without its write bit is removed (%s)", err.msg);
    close(fd);
    state_root_close(&r);
}

/* IDs longer than a directory name can be (up to URUN_ID_MAX) work, stay distinct when they share a
 * long prefix, and list under their full ID. */
static void test_long_ids(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    char a[URUN_ID_MAX + 1], b[URUN_ID_MAX + 1];
    char **ids = NULL;
    int fa = -1, fb = -1, k;

    if (open_root("longroot", &r) < 0)
        return;
    memset(a, 'x', URUN_ID_MAX);
    a[URUN_ID_MAX] = '\0';
    memcpy(b, a, sizeof(a));
    b[URUN_ID_MAX - 1] = 'y';
    k = state_container_create(&r, a, &fa, &err);
    TAP_OK(k == 0, "a 1024-byte ID can be created (%s)", err.msg);
    k = state_container_create(&r, b, &fb, &err);
    TAP_OK(k == 0, "another 1024-byte ID with the same first 1023 bytes too (%s)", err.msg);
    k = state_container_create(&r, a, &fa, &err);
    TAP_OK(k == -EEXIST, "the same long ID twice: already exists");
    int fo = -1;
    k = state_container_open(&r, b, 0, &fo, &err);
    TAP_OK(k == 0, "open the second long ID");
    if (fo >= 0)
        close(fo);
    k = state_list_ids(&r, &ids, &err);
    TAP_OK(k == 0 && ids && ids[0] && ids[1] && !ids[2] && strcmp(ids[0], a) == 0 && strcmp(ids[1], b) == 0,
           "list gives both full IDs");
    for (char **p = ids; ids && *p; p++)
        free(*p);
    free(ids);
    k = state_container_remove(&r, a, fa, &err);
    TAP_OK(k == 0, "remove the first");
    k = state_container_open(&r, a, 0, &fo, &err);
    TAP_OK(k == -ENOENT, "it is gone");
    k = state_container_open(&r, b, 0, &fo, &err);
    TAP_OK(k == 0, "the second is still there");
    if (fo >= 0)
        close(fo);
    /* the full ID lives in a file: one that is a fifo must not hang open or list */
    if (fb >= 0 && unlinkat(fb, "id", 0) == 0 && mkfifoat(fb, "id", 0600) == 0) {
        k = state_container_open(&r, b, 0, &fo, &err);
        TAP_OK(k == -ENOENT, "a long ID whose id file is a fifo: does not exist");
        k = state_list_ids(&r, &ids, &err);
        TAP_OK(k == 0 && ids && !ids[0], "and is not listed");
        for (char **p = ids; ids && *p; p++)
            free(*p);
        free(ids);
    }
    state_container_remove(&r, b, fb, &err);
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    state_root_close(&r);
}

/* Every name in a container directory, and the paths to them, come from state.h. */
static void test_paths(void)
{
    static const char *const names[] = {STATE_FILE,           STATE_EXEC_FIFO,  STATE_PROCS_FILE,    STATE_CONFIG_COPY,
                                        STATE_POSTHOOKS_MARK, STATE_NOTIFY_DIR, STATE_NOTIFY_SOCKET, STATE_NS_SOCKET,
                                        STATE_RESOLV_CONF,    STATE_ID_FILE};
    struct state_root r = {.fd = -1}, slash = {.fd = -1, .path = "/"};
    struct urun_error err = {0};
    char id[URUN_ID_MAX + 1], name[STATE_NAME_MAX], want[1024], buf[64];
    struct stat a, b;
    char *p;
    int fd = -1;

    if (open_root("pathroot", &r) < 0)
        return;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        p = state_container_path(&r, "c1", names[i]);
        snprintf(want, sizeof(want), "%s/c1/%s", r.path, names[i]);
        TAP_STREQ(p, want, "state_container_path for %s", names[i]);
        free(p);
    }
    errno = 0;
    p = state_container_path(&r, "c1", "../escape");
    TAP_OK(!p && errno == EINVAL, "a name that is not the state module's: NULL, EINVAL");
    free(p);
    TAP_OK(!state_container_path(&r, "c1", "") && !state_container_path(&r, "c1", "notify/other"),
           "nor an empty or made-up name");
    p = state_container_path(&slash, "c1", STATE_RESOLV_CONF);
    TAP_STREQ(p, "/c1/resolv.conf", "a root of / gives no double slash");
    free(p);

    /* the path names the very file behind the dirfd, for a long (hashed) ID too */
    memset(id, 'q', URUN_ID_MAX);
    id[URUN_ID_MAX] = '\0';
    state_container_name(id, name);
    TAP_OK(strlen(name) < 256 && strchr(name, '~') && strncmp(name, id, 100) == 0,
           "a long ID's name (directory, cgroup leaf) is bounded and marked: %s", name);
    state_container_name("short-id", name);
    TAP_STREQ(name, "short-id", "a short ID is its own name");
    if (state_container_create(&r, id, &fd, &err) == 0) {
        write_file(fd, STATE_RESOLV_CONF, "nameserver 10.0.2.3\n");
        p = state_container_path(&r, id, STATE_RESOLV_CONF);
        TAP_OK(p && stat(p, &a) == 0 && fstatat(fd, STATE_RESOLV_CONF, &b, 0) == 0 && a.st_ino == b.st_ino,
               "state_container_path reaches the file in a long ID's directory");
        free(p);
        TAP_OK(state_fd_path(fd, STATE_RESOLV_CONF, want, sizeof(want)) == 0 && stat(want, &a) == 0 &&
                   a.st_ino == b.st_ino,
               "state_fd_path reaches it through the dirfd: %s", want);
        state_container_remove(&r, id, fd, &err);
        close(fd);
    } else {
        TAP_OK(false, "create a long ID's directory (%s)", err.msg);
    }
    snprintf(want, sizeof(want), "/proc/self/fd/%d/" STATE_NS_SOCKET, 7);
    TAP_OK(state_fd_path(7, STATE_NS_SOCKET, buf, sizeof(buf)) == 0 && strcmp(buf, want) == 0, "state_fd_path: %s",
           buf);
    TAP_OK(state_fd_path(7, STATE_NOTIFY_SOCKET, buf, 20) == -ENAMETOOLONG, "too small a buffer: -ENAMETOOLONG");
    TAP_OK(state_fd_path(7, "other", buf, sizeof(buf)) == -EINVAL, "a made-up name: -EINVAL");
    state_root_close(&r);
}

int main(void)
{
    if (state_test_begin() < 0)
        return 1;
    test_root_create();
    test_root_refusals();
    test_root_default();
    test_containers();
    test_list();
    test_remove();
    test_remove_hostile();
    test_long_ids();
    test_paths();
    rm_rf(tmp);
    return tap_done();
}
