/* urun-probe: a tiny static program the integration tests copy into a container's rootfs.  It prints
 * what the process sees, one `key=value` fact a line, and can perform a few actions (mkdir, getcwd,
 * write, sleep, exit) whose result the tests check.  It links nothing but libc, statically, and reads
 * the kernel's own reports (/proc/self/...) rather than trusting any library.
 *
 * usage: urun-probe [WHAT...]      (default: all; words run in order)
 *   ids            uid= gid= euid= egid= groups=G1,G2
 *   caps           cap_inh= cap_prm= cap_eff= cap_bnd= cap_amb= (hex, from /proc/self/status)
 *   no_new_privs   no_new_privs=0|1          seccomp   seccomp=0|1|2
 *   rlimits        rlimit_<name>=SOFT:HARD ("unlimited"), e.g. rlimit_nofile=1024:1024
 *   umask          umask=0022                cwd       cwd=/
 *   hostname       hostname= domainname=     tty       tty0= tty1= tty2= (isatty: 0|1)
 *   oom_score_adj  oom_score_adj=N
 *   fds            fd=N:TARGET for each open fd >= 3 (none: no line)
 *   mounts         mount=MOUNTPOINT FSTYPE MOUNTOPTS SUPEROPTS, propagation=MOUNTPOINT TAGS|private
 *   all            every one of the above
 *   env            env=KEY=VALUE for each variable (not in all)
 *   getcwd         getcwd=PATH|ERRNO, the raw syscall
 *   sysctl KEY     sysctl.KEY=VALUE or sysctl.KEY.error=ERRNO (reads /proc/sys/KEY, dots as slashes)
 *   mkdir PATH     mkdir=ok|ERRNO            write PATH TEXT   write=ok|ERRNO
 *   sleep N        exit N
 * ERRNO is the errno's name (EPERM).  A failure to read a fact prints its errno name as the value. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *errname(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "E?";
}

/* The value of "Key:" in /proc/self/status, whitespace-trimmed, or "?" when missing. */
static void status_field(const char *key, char *out, size_t size)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[512];
    size_t klen = strlen(key);

    snprintf(out, size, "?");
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) != 0 || line[klen] != ':')
            continue;
        char *v = line + klen + 1;
        v += strspn(v, " \t");
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, size, "%s", v);
        break;
    }
    if (f)
        fclose(f);
}

static void print_status(const char *key, const char *field)
{
    char v[256];
    status_field(field, v, sizeof(v));
    printf("%s=%s\n", key, v);
}

/* ---- facts ---- */

static void show_ids(void)
{
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);

    printf("uid=%u\ngid=%u\neuid=%u\negid=%u\ngroups=", getuid(), getgid(), geteuid(), getegid());
    for (int i = 0; i < n; i++)
        printf("%s%u", i ? "," : "", groups[i]);
    printf("\n");
}

static void show_caps(void)
{
    print_status("cap_inh", "CapInh");
    print_status("cap_prm", "CapPrm");
    print_status("cap_eff", "CapEff");
    print_status("cap_bnd", "CapBnd");
    print_status("cap_amb", "CapAmb");
}

static void show_nnp(void)
{
    printf("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

static void show_seccomp(void)
{
    print_status("seccomp", "Seccomp");
}

static void show_rlimits(void)
{
    static const struct {
        const char *name;
        int res;
    } lim[] = {
        {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
        {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
    };
    for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
        struct rlimit rl;
        char soft[32] = "unlimited", hard[32] = "unlimited";
        if (getrlimit(lim[i].res, &rl) < 0) {
            printf("rlimit_%s=%s\n", lim[i].name, errname(errno));
            continue;
        }
        if (rl.rlim_cur != RLIM_INFINITY)
            snprintf(soft, sizeof(soft), "%llu", (unsigned long long)rl.rlim_cur);
        if (rl.rlim_max != RLIM_INFINITY)
            snprintf(hard, sizeof(hard), "%llu", (unsigned long long)rl.rlim_max);
        printf("rlimit_%s=%s:%s\n", lim[i].name, soft, hard);
    }
}

static void show_umask(void)
{
    print_status("umask", "Umask");
}

static void show_cwd(void)
{
    char buf[PATH_MAX];
    printf("cwd=%s\n", getcwd(buf, sizeof(buf)) ? buf : errname(errno));
}

static void show_uts(void)
{
    struct utsname u;
    if (uname(&u) < 0)
        return (void)printf("hostname=%s\n", errname(errno));
    printf("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname);
}

static void show_tty(void)
{
    for (int fd = 0; fd < 3; fd++)
        printf("tty%d=%d\n", fd, isatty(fd));
}

static void show_oom(void)
{
    FILE *f = fopen("/proc/self/oom_score_adj", "re");
    int v;
    if (f && fscanf(f, "%d", &v) == 1)
        printf("oom_score_adj=%d\n", v);
    else
        printf("oom_score_adj=%s\n", errname(errno));
    if (f)
        fclose(f);
}

/* Every fd from 3 up, except the one this listing itself uses. */
static void show_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    if (!d)
        return (void)printf("fds=%s\n", errname(errno));
    while ((e = readdir(d))) {
        char target[PATH_MAX];
        int fd = atoi(e->d_name);
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd < 3 || fd == dirfd(d))
            continue;
        ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
        target[n < 0 ? 0 : n] = '\0';
        printf("fd=%d:%s\n", fd, target);
    }
    closedir(d);
}

/* /proc/self/mountinfo (proc(5)): ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS
 * becomes "mount=MOUNTPOINT FSTYPE OPTS SUPEROPTS" (the per-mount options, e.g. ro,nosuid, then the
 * filesystem's) and "propagation=MOUNTPOINT TAGS" (shared:N master:N ..., or "private"). */
static void show_mounts(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];

    if (!f)
        return (void)printf("mounts=%s\n", errname(errno));
    while (fgets(line, sizeof(line), f)) {
        char *field[64], *save = NULL;
        int n = 0, dash = -1;
        line[strcspn(line, "\n")] = '\0';
        for (char *t = strtok_r(line, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save)) {
            if (dash < 0 && strcmp(t, "-") == 0)
                dash = n;
            field[n++] = t;
        }
        if (dash < 6 || n < dash + 4)
            continue;
        printf("mount=%s %s %s %s\n", field[4], field[dash + 1], field[5], field[dash + 3]);
        printf("propagation=%s", field[4]);
        for (int i = 6; i < dash; i++)
            printf(" %s", field[i]);
        printf("%s\n", dash == 6 ? " private" : "");
    }
    fclose(f);
}

static void show_env(void)
{
    for (char **e = environ; e && *e; e++)
        printf("env=%s\n", *e);
}

/* ---- actions ---- */

static void do_sysctl(const char *key)
{
    char path[PATH_MAX], buf[4096];
    snprintf(path, sizeof(path), "/proc/sys/%s", key);
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
        if (*p == '.')
            *p = '/';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (n < 0) {
        printf("sysctl.%s.error=%s\n", key, errname(errno));
    } else {
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        printf("sysctl.%s=%s\n", key, buf);
    }
    if (fd >= 0)
        close(fd);
}

static void do_mkdir(const char *path)
{
    printf("mkdir=%s\n", mkdir(path, 0755) == 0 ? "ok" : errname(errno));
}

static void do_getcwd(void)
{
    char buf[PATH_MAX];
    /* The raw syscall, so a seccomp rule on getcwd is met exactly once, with nothing from libc around it. */
    long r = syscall(SYS_getcwd, buf, sizeof(buf));
    printf("getcwd=%s\n", r >= 0 ? buf : errname(errno));
}

static void do_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        printf("write=%s\n", errname(errno));
    else
        printf("write=ok\n");
    if (fd >= 0)
        close(fd);
}

/* sd_notify(3) by hand: one datagram to $NOTIFY_SOCKET. */
static void do_notify(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd;

    if (!path || strlen(path) >= sizeof(sa.sun_path)) {
        printf("notify=no-socket\n");
        return;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        printf("notify=%s\n", errname(errno));
    else
        printf("notify=ok\n");
    if (fd >= 0)
        close(fd);
}

/* ---- dispatch ---- */

static const struct topic {
    const char *name;
    void (*show)(void);
    bool in_all;
} topics[] = {
    {"ids", show_ids, true},           {"caps", show_caps, true},       {"no_new_privs", show_nnp, true},
    {"seccomp", show_seccomp, true},   {"rlimits", show_rlimits, true}, {"umask", show_umask, true},
    {"cwd", show_cwd, true},           {"hostname", show_uts, true},    {"tty", show_tty, true},
    {"oom_score_adj", show_oom, true}, {"fds", show_fds, true},         {"mounts", show_mounts, true},
    {"env", show_env, false},          {"getcwd", do_getcwd, false},
};

static int usage(void)
{
    fprintf(stderr, "usage: urun-probe [all|ids|caps|no_new_privs|seccomp|rlimits|umask|cwd|hostname|tty|"
                    "oom_score_adj|fds|mounts|env|getcwd|sysctl KEY|mkdir PATH|write PATH TEXT|notify MSG|sleep N|"
                    "exit N]...\n");
    return 2;
}

static bool need(int argc, int i, int n)
{
    return i + n < argc;
}

int main(int argc, char **argv)
{
    char *all[] = {argv[0], "all", NULL};

    setvbuf(stdout, NULL, _IOLBF, 0); /* each fact is out before a later step can kill us */
    if (argc < 2) {
        argv = all;
        argc = 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        bool done = false;
        for (size_t t = 0; t < sizeof(topics) / sizeof(topics[0]); t++) {
            if (strcmp(w, "all") == 0 ? topics[t].in_all : strcmp(w, topics[t].name) == 0) {
                topics[t].show();
                done = true;
            }
        }
        if (done)
            continue;
        if (strcmp(w, "sysctl") == 0 && need(argc, i, 1))
            do_sysctl(argv[++i]);
        else if (strcmp(w, "mkdir") == 0 && need(argc, i, 1))
            do_mkdir(argv[++i]);
        else if (strcmp(w, "write") == 0 && need(argc, i, 2))
            do_write(argv[i + 1], argv[i + 2]), i += 2;
        else if (strcmp(w, "sleep") == 0 && need(argc, i, 1))
            nanosleep(&(struct timespec){.tv_sec = atoi(argv[++i])}, NULL);
        else if (strcmp(w, "notify") == 0 && need(argc, i, 1))
            do_notify(argv[++i]);
        else if (strcmp(w, "exit") == 0 && need(argc, i, 1))
            exit(atoi(argv[++i]));
        else
            return usage();
    }
    return 0;
}
