/* Unit tests for what the state module keeps in a container's directory (src/runtime/state_file.c
 * and status.c): state.json written and read back, hostile files refused, the procs record, /proc
 * stat parsing, live status and the OCI state document. */
#include "state-test.h"

static void fill_state(struct urun_state *st)
{
    static struct spec_kv ann[] = {
        {"org.example.plain", "v"},
        {"quote\"back\\slash", "line\nbreak\ttab \xc3\xa9 \xf0\x9f\x98\x80"},
        {"empty", ""},
        {"null", "null"},
        {"number", "42"},
        {"colon: key", "- [not, yaml]"},
        /* line breaks to YAML, not to JSON (U+2029, U+2028, U+0085), C1 and non-characters: fuzz_state
         * found a state.json with a raw U+2029 that state_read refused */
        {"para\xe2\x80\xa9graph", "line\xe2\x80\xa8sep nel\xc2\x85 c1\xc2\x9a nonchar\xef\xbf\xbe"},
        {NULL, NULL}, /* a key longer than YAML's 1024-character limit on simple keys */
    };
    static char long_key[1500], long_value[5000];

    memset(long_key, 'k', sizeof(long_key) - 1);
    memset(long_value, 'v', sizeof(long_value) - 1);
    ann[7].key = long_key;
    ann[7].value = long_value;

    memset(st, 0, sizeof(*st));
    st->id = "rt";
    st->bundle = "/home/alice/bundle dir";
    st->rootfs = "/home/alice/bundle dir/rootfs";
    st->pid = 2147483647;
    st->start_time = UINT64_MAX;
    st->created = "2024-05-06T07:08:09.123456789Z";
    st->owner = 4294967294u;
    st->owner_name = "alice";
    st->annotations = ann;
    st->n_annotations = sizeof(ann) / sizeof(ann[0]);
    st->helper_pid = 4242;
    st->helper_start_time = 123456789;
}

static bool same_state(const struct urun_state *a, const struct urun_state *b)
{
    bool ok = strcmp(a->id, b->id) == 0 && strcmp(a->bundle, b->bundle) == 0 && strcmp(a->rootfs, b->rootfs) == 0 &&
              a->pid == b->pid && a->start_time == b->start_time && strcmp(a->created, b->created) == 0 &&
              a->owner == b->owner && strcmp(a->owner_name, b->owner_name) == 0 && a->helper_pid == b->helper_pid &&
              a->helper_start_time == b->helper_start_time && a->n_annotations == b->n_annotations;

    for (size_t i = 0; ok && i < a->n_annotations; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n_annotations; j++)
            if (strcmp(a->annotations[i].key, b->annotations[j].key) == 0)
                found = strcmp(a->annotations[i].value, b->annotations[j].value) == 0;
        if (!found)
            printf("# annotation %s differs\n", a->annotations[i].key);
        ok = found;
    }
    return ok;
}

static void expect_read_failure(int dirfd, const char *want, const char *what)
{
    struct urun_state *st = NULL;
    struct urun_error err = {0};
    char prefix[600];
    int k;

    snprintf(prefix, sizeof(prefix), "%s: %s", tpath("rwroot/rt/" STATE_FILE), want);
    k = state_read(dirfd, &st, &err);
    TAP_OK(k < 0 && k != -ENOENT && st == NULL && strncmp(err.msg, prefix, strlen(prefix)) == 0, "%s (%s)", what,
           err.msg);
    state_free(st);
}

static void expect_read_error(int dirfd, const char *content, const char *want, const char *what)
{
    char label[128];

    write_file(dirfd, STATE_FILE, content);
    snprintf(label, sizeof(label), "corrupt state.json: %s", what);
    expect_read_failure(dirfd, want, label);
}

/* Whatever else stands where state.json should be is an error naming it, at once. */
static void test_read_hostile(int dirfd)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int sock;

    unlinkat(dirfd, STATE_FILE, 0);
    mkfifoat(dirfd, STATE_FILE, 0600);
    expect_read_failure(dirfd, "is a fifo, not a regular file", "a fifo is refused without waiting for a writer");
    unlinkat(dirfd, STATE_FILE, 0);
    TAP_OK(symlinkat(tpath("elsewhere.json"), dirfd, STATE_FILE) == 0, "state.json as a symlink made");
    write_file(AT_FDCWD, tpath("elsewhere.json"), "{\"id\": \"rt\", \"pid\": 1}");
    expect_read_failure(dirfd, "is a symlink, not a regular file", "a symlink is refused, not followed");
    unlinkat(dirfd, STATE_FILE, 0);
    mkdirat(dirfd, STATE_FILE, 0700);
    expect_read_failure(dirfd, "is a directory, not a regular file", "a directory is refused");
    unlinkat(dirfd, STATE_FILE, AT_REMOVEDIR);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tpath("rwroot/rt/" STATE_FILE));
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock >= 0 && bind(sock, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        expect_read_failure(dirfd, "is a socket, not a regular file", "a socket is refused");
    if (sock >= 0)
        close(sock);
    unlinkat(dirfd, STATE_FILE, 0);
    write_file(dirfd, STATE_FILE, "{}");
    if (fchmodat(dirfd, STATE_FILE, 0, 0) == 0 && geteuid() != 0)
        expect_read_failure(dirfd, "cannot open", "an unreadable file names itself");
    unlinkat(dirfd, STATE_FILE, 0);
}

/* The names in dirfd are exactly those in the comma-separated list (any order). */
static bool only_files(int dirfd, const char *list)
{
    DIR *d = fdopendir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct dirent *de;
    size_t seen = 0, want = 1;
    bool ok = d != NULL;

    for (const char *c = list; *c; c++)
        want += *c == ',';
    while (ok && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        const char *hit = strstr(list, de->d_name);

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        ok = hit && (hit == list || hit[-1] == ',') && (hit[n] == ',' || hit[n] == '\0');
        if (!ok)
            printf("# unexpected %s\n", de->d_name);
        seen++;
    }
    if (d)
        closedir(d);
    return ok && seen == want;
}

static void test_read_write(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    struct urun_state in, *out = NULL, minimal = {.id = "rt"};
    struct stat stt;
    int fd = -1, k;

    if (open_root("rwroot", &r) < 0 || state_container_create(&r, "rt", &fd, &err) < 0)
        return;
    k = state_read(fd, &out, &err);
    TAP_OK(k == -ENOENT && out == NULL, "no state.json yet: -ENOENT");
    TAP_STREQ(err.msg, "container is still being created", "no state.json yet: message");

    fill_state(&in);
    err = (struct urun_error){0};
    k = state_write(fd, &in, &err);
    TAP_OK(k == 0, "state_write (%s)", err.msg);
    TAP_OK(fstatat(fd, STATE_FILE, &stt, 0) == 0 && (stt.st_mode & 07777) == 0600, "state.json is 0600");
    TAP_OK(only_files(fd, STATE_FILE "," STATE_PROCS_FILE), "no temporary file left");
    k = state_read(fd, &out, &err);
    TAP_OK(k == 0 && out, "state_read (%s)", err.msg);
    TAP_OK(out && same_state(&in, out), "every field round-trips");
    state_free(out);
    out = NULL;

    k = state_write(fd, &minimal, &err);
    TAP_OK(k == 0, "state_write with NULL strings and no annotations");
    k = state_read(fd, &out, &err);
    TAP_OK(k == 0 && out && !out->bundle && !out->rootfs && !out->created && out->n_annotations == 0 && out->pid == 0,
           "NULL strings read back as NULL (%s)", err.msg);
    TAP_STREQ(out ? out->owner_name : NULL, "0", "no owner_name recorded (an older urun): the uid stands in");
    state_free(out);
    state_free(NULL);

    expect_read_error(fd, "{not json", "line ", "syntax error");
    expect_read_error(fd, "[1, 2]", "expected an object", "not an object");
    expect_read_error(fd, "{\"id\": \"rt\", \"pid\": \"x\"}", "pid", "pid not a number");
    expect_read_error(fd, "{\"id\": \"rt\", \"pid\": -5}", "pid", "negative pid");
    expect_read_error(fd, "{\"pid\": 5}", "missing \"id\"", "missing id");
    expect_read_error(fd, "{\"id\": \"rt\", \"pid\": 1, \"annotations\": {\"a\": \"ok\", \"b\": [1]}}", "annotations.b",
                      "annotation not a string");
    expect_read_error(fd, "{\"id\": \"rt\", \"pid\": 1, \"annotations\": {\"\\u001b[2J\": 1}}", "annotations.\\x1b[2J",
                      "a key in the message is escaped");
    expect_read_error(fd, "", "", "empty file");
    {
        char *big = malloc((1u << 20) + 2);
        memset(big, ' ', (1u << 20) + 1);
        big[(1u << 20) + 1] = '\0';
        expect_read_error(fd, big, "larger than 1048576 bytes", "larger than 1 MiB");
        free(big);
    }
    test_read_hostile(fd);
    close(fd);
    state_root_close(&r);
}

static void expect_procs(const char *text, bool ok, const char *what)
{
    struct state_procs p;

    TAP_OK((state_procs_parse(text, strlen(text), &p) == 0) == ok, "procs record %s: %s", ok ? "accepted" : "refused",
           what);
}

/* The separate process record: written with state.json, read back strictly, and what a pid plus start
 * time say about a process. */
static void test_procs(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    struct urun_state in = {.id = "p",
                            .pid = 4321,
                            .start_time = 987654321,
                            .helper_pid = 77,
                            .helper_start_time = 5,
                            .cgroup = "/sys/fs/cgroup/user.slice/a b"};
    struct state_procs p = {0};
    uint64_t start;
    char letter;
    int fd = -1, k;

    if (open_root("proot", &r) < 0 || state_container_create(&r, "p", &fd, &err) < 0)
        return;
    k = state_procs_read(fd, &p, &err);
    TAP_OK(k == -ENOENT, "no record before state_write");
    k = state_write(fd, &in, &err);
    TAP_OK(k == 0 && exists_at(fd, STATE_PROCS_FILE), "state_write writes the record too (%s)", err.msg);
    k = state_procs_read(fd, &p, &err);
    TAP_OK(k == 0 && p.pid == 4321 && p.start_time == 987654321 && p.helper_pid == 77 && p.helper_start_time == 5,
           "record round-trips (%s)", err.msg);
    TAP_STREQ(p.cgroup, in.cgroup, "cgroup path round-trips");
    in.cgroup = NULL;
    in.helper_pid = 0;
    in.helper_start_time = 0;
    state_write(fd, &in, &err);
    k = state_procs_read(fd, &p, &err);
    TAP_OK(k == 0 && p.helper_pid == 0 && p.cgroup[0] == '\0', "no helper, no cgroup");
    /* state.json corrupt: the record still says which process it was */
    write_file(fd, STATE_FILE, "{garbage");
    k = state_procs_read(fd, &p, &err);
    TAP_OK(k == 0 && p.pid == 4321, "record readable when state.json is not");
    unlinkat(fd, STATE_PROCS_FILE, 0);
    mkfifoat(fd, STATE_PROCS_FILE, 0600);
    k = state_procs_read(fd, &p, &err);
    TAP_OK(k < 0 && strstr(err.msg, "is a fifo"), "a fifo record is refused at once (%s)", err.msg);
    unlinkat(fd, STATE_PROCS_FILE, 0);
    write_file(fd, STATE_PROCS_FILE, "init 1 2\nhelper 0 0\njunk\n");
    k = state_procs_read(fd, &p, &err);
    TAP_OK(k < 0 && strstr(err.msg, STATE_PROCS_FILE ": not in the format"), "a bad record is refused (%s)", err.msg);

    expect_procs("init 1 2\nhelper 0 0\n", true, "minimal");
    expect_procs("init 2147483647 18446744073709551615\nhelper 3 4\ncgroup /x\n", true, "largest values, cgroup");
    expect_procs("init 2147483648 1\nhelper 0 0\n", false, "pid past INT_MAX");
    expect_procs("init 1 18446744073709551616\nhelper 0 0\n", false, "start time overflows");
    expect_procs("init -1 2\nhelper 0 0\n", false, "negative pid");
    expect_procs("init 1 2\n", false, "no helper line");
    expect_procs("init 1 2\nhelper 0 0", false, "no final newline");
    expect_procs("init  1 2\nhelper 0 0\n", false, "two spaces");
    expect_procs("init 1 2 3\nhelper 0 0\n", false, "extra field");
    expect_procs("helper 0 0\ninit 1 2\n", false, "wrong order");
    expect_procs("init 1 2\nhelper 0 0\ncgroup relative\n", false, "relative cgroup");
    expect_procs("init 1 2\nhelper 0 0\ncgroup /x\nmore\n", false, "a line after cgroup");
    expect_procs("init 1 2\nhelper 0 0\ncgroup /x", false, "cgroup without newline");
    expect_procs("", false, "empty");
    {
        char nul[] = "init 1 2\nhelper 0 0\ncgroup /a\0b\n";
        struct state_procs q;
        TAP_OK(state_procs_parse(nul, sizeof(nul) - 1, &q) < 0, "procs record refused: NUL in the cgroup path");
    }

    TAP_OK(proc_stat_read(getpid(), &letter, &start) == 0 && status_proc_alive(getpid(), start),
           "own pid with its start time is alive");
    TAP_OK(!status_proc_alive(getpid(), start + 1), "own pid with another start time is not");
    TAP_OK(!status_proc_alive(0, 0) && !status_proc_alive(-1, 0), "pid 0 and -1 are never alive");
    close(fd);
    state_root_close(&r);
}

static char *stat_line(const char *comm, char state, const char *start)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf),
             "123 %s %c 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %s 1000 100 18446744073709551615 "
             "1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n",
             comm, state, start);
    return buf;
}

static void test_proc_stat(void)
{
    uint64_t start = 0;
    char state = 0;
    int k;

    k = proc_stat_parse(stat_line("(a) b) c)", 'S', "98765"), &state, &start);
    TAP_OK(k == 0 && state == 'S' && start == 98765, "comm with spaces and ')' parses");
    k = proc_stat_parse(stat_line("(sleep)", 'Z', "18446744073709551615"), &state, &start);
    TAP_OK(k == 0 && state == 'Z' && start == UINT64_MAX, "zombie state and max start time");
    k = proc_stat_parse(stat_line("()", 'R', "1"), &state, &start);
    TAP_OK(k == 0 && state == 'R' && start == 1, "empty comm");
    k = proc_stat_parse(stat_line("((x) )", 't', "7"), &state, &start);
    TAP_OK(k == 0 && state == 't' && start == 7, "comm with '(' too");

    state = 0;
    TAP_OK(proc_stat_parse("123 (x) S 1 2 3", &state, &start) < 0 && state == 0,
           "truncated line fails, output untouched");
    TAP_OK(proc_stat_parse(stat_line("(x)", 'S', "12a"), &state, &start) < 0, "non-numeric start time fails");
    TAP_OK(proc_stat_parse(stat_line("(x)", 'S', "18446744073709551616"), &state, &start) < 0,
           "overflowing start time fails");
    TAP_OK(proc_stat_parse(stat_line("x", 'S', "1"), &state, &start) < 0, "no parentheses fails");
    TAP_OK(proc_stat_parse("", &state, &start) < 0, "empty line fails");

    k = proc_stat_read(getpid(), &state, &start);
    TAP_OK(k == 0 && state == 'R' && start > 0, "proc_stat_read of ourselves");
    TAP_OK(proc_stat_read(0, &state, &start) == -ESRCH, "proc_stat_read(0) is -ESRCH");
}

static void test_status(void)
{
    struct state_root r = {.fd = -1};
    struct urun_error err = {0};
    struct urun_state st = {.id = "s"};
    int fd = -1, status;
    pid_t child;
    char state;

    if (open_root("sroot", &r) < 0 || state_container_create(&r, "s", &fd, &err) < 0)
        return;
    st.pid = getpid();
    if (proc_stat_read(st.pid, &state, &st.start_time) < 0)
        return;
    TAP_OK(status_of(fd, &st) == URUN_STATUS_RUNNING, "own pid, matching start time: running");
    mkfifoat(fd, STATE_EXEC_FIFO, 0600);
    TAP_OK(status_of(fd, &st) == URUN_STATUS_CREATED, "with exec.fifo: created");
    unlinkat(fd, STATE_EXEC_FIFO, 0);
    st.start_time++;
    TAP_OK(status_of(fd, &st) == URUN_STATUS_STOPPED, "wrong start time: stopped");
    st.pid = 0;
    TAP_OK(status_of(fd, &st) == URUN_STATUS_STOPPED, "pid 0: stopped");

    child = fork();
    if (child == 0)
        _exit(0);
    for (int i = 0; i < 500; i++) { /* until it is a zombie */
        if (proc_stat_read(child, &state, &st.start_time) == 0 && state == 'Z')
            break;
        usleep(10 * 1000);
    }
    st.pid = child;
    TAP_OK(status_of(fd, &st) == URUN_STATUS_STOPPED, "zombie child with matching start time: stopped");
    waitpid(child, &status, 0);
    TAP_OK(status_of(fd, &st) == URUN_STATUS_STOPPED, "exited and reaped child: stopped");

    TAP_STREQ(urun_status_name(URUN_STATUS_CREATING), "creating", "status name creating");
    TAP_STREQ(urun_status_name(URUN_STATUS_CREATED), "created", "status name created");
    TAP_STREQ(urun_status_name(URUN_STATUS_RUNNING), "running", "status name running");
    TAP_STREQ(urun_status_name(URUN_STATUS_STOPPED), "stopped", "status name stopped");
    TAP_STREQ(urun_status_name(URUN_STATUS_PAUSED), "paused", "status name paused");
    close(fd);
    state_root_close(&r);
}

static void test_to_json(void)
{
    static struct spec_kv ann[] = {{"k", "v"}};
    struct urun_state st = {
        .id = "j",
        .bundle = "/b",
        .rootfs = "/b/rootfs",
        .pid = 42,
        .created = "2024-01-02T03:04:05Z",
        .owner = 3999999,
    };
    char *s;

    s = state_to_json(&st, URUN_STATUS_RUNNING, true);
    TAP_STREQ(s,
              "{\n"
              "  \"ociVersion\": \"1.2.0\",\n"
              "  \"id\": \"j\",\n"
              "  \"pid\": 42,\n"
              "  \"status\": \"running\",\n"
              "  \"bundle\": \"/b\",\n"
              "  \"rootfs\": \"/b/rootfs\",\n"
              "  \"created\": \"2024-01-02T03:04:05Z\",\n"
              "  \"owner\": \"3999999\",\n"
              "  \"annotations\": {}\n"
              "}",
              "pretty OCI state, uid without a name");
    free(s);

    st.annotations = ann;
    st.n_annotations = 1;
    st.owner = 0;
    st.owner_name = "someone";
    s = state_to_json(&st, URUN_STATUS_STOPPED, false);
    TAP_STREQ(s,
              "{\"ociVersion\":\"1.2.0\",\"id\":\"j\",\"pid\":0,\"status\":\"stopped\",\"bundle\":\"/b\","
              "\"rootfs\":\"/b/rootfs\",\"created\":\"2024-01-02T03:04:05Z\",\"owner\":\"someone\","
              "\"annotations\":{\"k\":\"v\"}}",
              "compact, stopped shows pid 0, the recorded owner name as it is");
    free(s);
    st.owner_name = NULL;
    s = state_to_json(&st, URUN_STATUS_STOPPED, false);
    TAP_OK(s && strstr(s, "\"owner\":\"0\""), "no owner name: uid 0 in decimal, never looked up (%s)", s);
    free(s);

    char name[STATE_OWNER_NAME_MAX];
    state_owner_name(0, name);
    TAP_STREQ(name, "root", "state_owner_name: uid 0 is root on the host");
    state_owner_name(3999999, name);
    TAP_STREQ(name, "3999999", "state_owner_name: a uid without a name is its decimal");

    s = state_unknown_to_json("u", 7, "/r/u/state.json: is a fifo, not a regular file", false);
    TAP_STREQ(s,
              "{\"ociVersion\":\"1.2.0\",\"id\":\"u\",\"pid\":7,\"status\":\"unknown\",\"bundle\":\"\","
              "\"error\":\"/r/u/state.json: is a fifo, not a regular file\"}",
              "unknown state: status unknown and the reason in error");
    free(s);
    TAP_STREQ(urun_status_name(URUN_STATUS_UNKNOWN), "unknown", "status name unknown");
}

int main(void)
{
    if (state_test_begin() < 0)
        return 1;
    test_read_write();
    test_procs();
    test_proc_stat();
    test_status();
    test_to_json();
    rm_rf(tmp);
    return tap_done();
}
