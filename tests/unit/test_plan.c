/* Unit tests for the create plan (src/runtime/plan.c): for each kind of spec, which namespaces clone
 * makes, which the init makes and when, whether it forks again, and which sync phases both sides go
 * through; and that every refusal happens in the planner, with the field named.  The host facts are
 * set by the test (struct plan_host); the subordinate ranges come from a private file. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/plan.h"
#include "runtime/sync.h"
#include "tap.h"

static char rootfs[] = "/tmp/urun-test-plan-XXXXXX";

#define NS_ALL \
    "{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}"

/* A config with the given linux.namespaces entries, more members of linux and of the top level
 * (each may be ""), and a process of its own when `extra` has one. */
static int plan_for(const char *namespaces, const char *more_linux, const char *extra, const struct create_plan_opts *o,
                    const struct plan_host *h, struct create_plan *p, struct urun_bundle *b, struct urun_error *err)
{
    char doc[4096];
    snprintf(
        doc, sizeof(doc),
        "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, %s\"linux\": {\"namespaces\": [%s]%s%s}%s%s}",
        strstr(extra, "\"process\"")
            ? ""
            : "\"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}, ",
        namespaces, more_linux[0] ? ", " : "", more_linux, extra[0] ? ", " : "", extra);
    *b = (struct urun_bundle){.path = "/nonexistent-bundle", .rootfs = rootfs};
    *p = (struct create_plan){.join = NSJOIN_NONE};
    memset(err, 0, sizeof(*err));
    if (spec_parse(doc, strlen(doc), &b->spec, err) < 0) {
        printf("# spec_parse: %s\n", err->msg);
        return -1;
    }
    return plan_create(b, o, h, p, err);
}

static const struct create_plan_opts detached = {.rootless = -1};
static const struct plan_host user = {.euid = 4242, .initial_userns = false, .has_timens = true};
static const struct plan_host root = {.euid = 0, .initial_userns = true, .has_timens = true};

static void test_rootless(void)
{
    struct create_plan p;
    struct urun_bundle b;
    struct urun_error err;

    TAP_OK(plan_for(NS_ALL, "", "", &detached, &user, &p, &b, &err) == 0, "rootless: planned (%s)", err.msg);
    TAP_OK(p.clone_flags == (CLONE_NEWUSER | CLONE_NEWPID), "rootless: clone makes only the user and pid namespaces");
    TAP_OK(p.early_unshare == (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS),
           "rootless: the init makes the others while urun writes the maps");
    TAP_OK(p.become_root && !p.respawn && !p.time_offsets, "rootless: becomes root, no respawn");
    TAP_OK(p.phases == (SYNC_PHASE_UNSHARED | SYNC_PHASE_MAPS | SYNC_PHASE_READY | SYNC_PHASE_GO),
           "rootless: phases unshared, maps, ready, go");
    TAP_OK(p.maps.n_uid >= 1 && p.maps.uid[0].container_id == 0, "rootless: container root is mapped");
    TAP_OK(!p.chown_fifo, "rootless: the fifo stays the caller's");
    plan_clear(&p);
    spec_free(b.spec);
}

static void test_real_root(void)
{
    struct create_plan p;
    struct urun_bundle b;
    struct urun_error err;

    TAP_OK(plan_for(NS_ALL, "", "", &detached, &root, &p, &b, &err) == 0, "root: planned (%s)", err.msg);
    TAP_OK(p.clone_flags == (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS),
           "root: clone makes every namespace, no user namespace");
    TAP_OK(p.early_unshare == 0 && !p.become_root, "root: nothing made early, no setresuid");
    TAP_OK(p.phases == (SYNC_PHASE_READY | SYNC_PHASE_GO), "root: phases ready, go");
    plan_clear(&p);
    spec_free(b.spec);

    struct create_plan_opts rootless = detached;
    rootless.rootless = 1;
    TAP_OK(plan_for(NS_ALL, "", "", &rootless, &root, &p, &b, &err) == 0, "root --rootless: planned (%s)", err.msg);
    TAP_OK(p.clone_flags & CLONE_NEWUSER, "root --rootless: a user namespace is added");
    plan_clear(&p);
    spec_free(b.spec);
}

static void test_hooks(void)
{
    struct create_plan p;
    struct urun_bundle b;
    struct urun_error err;

    TAP_OK(plan_for(NS_ALL, "", "\"hooks\": {\"createRuntime\": [{\"path\": \"/bin/true\"}]}", &detached, &user, &p, &b,
                    &err) == 0,
           "hooks: planned (%s)", err.msg);
    TAP_OK((p.phases & (SYNC_PHASE_HOOKS | SYNC_PHASE_HOOKS_DONE)) == (SYNC_PHASE_HOOKS | SYNC_PHASE_HOOKS_DONE),
           "hooks: the init pauses for createRuntime hooks");
    plan_clear(&p);
    spec_free(b.spec);

    TAP_OK(plan_for(NS_ALL, "", "\"hooks\": {\"poststop\": [{\"path\": \"/bin/true\"}]}", &detached, &user, &p, &b,
                    &err) == 0,
           "poststop only: planned");
    TAP_OK(!(p.phases & SYNC_PHASE_HOOKS), "poststop only: no pause during create");
    plan_clear(&p);
    spec_free(b.spec);
}

static void test_time_offsets(void)
{
    struct create_plan p;
    struct urun_bundle b;
    struct urun_error err;

    TAP_OK(plan_for(NS_ALL ", {\"type\": \"time\"}", "\"timeOffsets\": {\"monotonic\": {\"secs\": 10}}", "", &detached,
                    &user, &p, &b, &err) == 0,
           "timeOffsets: planned (%s)", err.msg);
    TAP_OK(p.time_offsets && p.respawn, "timeOffsets: the init writes them and forks again");
    TAP_OK(!(p.clone_flags & (CLONE_NEWTIME | CLONE_NEWPID)) && (p.unshare_flags & CLONE_NEWPID),
           "timeOffsets: the pid namespace is made by the respawned child");
    TAP_OK(p.early_unshare == 0, "timeOffsets: nothing made early (a respawn follows)");
    TAP_OK(p.phases == (SYNC_PHASE_MAPS | SYNC_PHASE_PID | SYNC_PHASE_READY | SYNC_PHASE_GO),
           "timeOffsets: phases maps, pid, ready, go");
    plan_clear(&p);
    spec_free(b.spec);
}

static void test_network_host(void)
{
    struct create_plan p;
    struct urun_bundle b;
    struct urun_error err;
    struct create_plan_opts o = detached;

    o.network = "host";
    TAP_OK(plan_for(NS_ALL, "", "", &o, &user, &p, &b, &err) == 0, "--network host: planned (%s)", err.msg);
    TAP_OK(!((p.clone_flags | p.early_unshare) & CLONE_NEWNET) && p.net.host, "--network host: no network namespace");
    TAP_OK(!spec_find_namespace(b.spec, SPEC_NS_NETWORK), "--network host: the spec's entry is gone");
    plan_clear(&p);
    spec_free(b.spec);
}

/* Each refusal: the planner's error names the field. */
static void expect_refused(const char *ns, const char *more_linux, const char *extra, const struct create_plan_opts *o,
                           const struct plan_host *h, const char *want)
{
    struct create_plan p;
    struct urun_bundle b;
    struct urun_error err;

    int r = plan_for(ns, more_linux, extra, o, h, &p, &b, &err);
    TAP_OK(r < 0 && strstr(err.msg, want), "refused: %s", want);
    if (r >= 0 || !strstr(err.msg, want))
        printf("#   got: %s\n", err.msg);
    if (r >= 0)
        plan_clear(&p);
    spec_free(b.spec);
}

static void test_joined(void)
{
    struct create_plan p;
    struct urun_bundle b;
    struct urun_error err;

    TAP_OK(plan_for("{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"}",
                    "", "", &detached, &user, &p, &b, &err) == 0,
           "joined ipc namespace: planned (%s)", err.msg);
    TAP_OK(p.join.any && p.join.fd[SPEC_NS_IPC] >= 0, "joined ipc namespace: opened by the plan");
    TAP_OK(!(p.made_flags & CLONE_NEWIPC) && !(p.own_flags & CLONE_NEWIPC),
           "joined ipc namespace: not made, and urun's own is not the container's");
    TAP_OK(p.early_unshare == 0 && !p.respawn, "joined ipc namespace: nothing made early, no respawn");
    plan_clear(&p);
    TAP_OK(p.join.fd[SPEC_NS_IPC] < 0, "plan_clear closes the joined namespace's fd");
    spec_free(b.spec);
    expect_refused("{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\"}",
                   "\"sysctl\": {\"kernel.shmmax\": \"1\"}", "", &detached, &user,
                   "linux.sysctl: \"kernel.shmmax\" needs a ipc namespace that is not urun's own");
    expect_refused("{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}", "",
                   "\"annotations\": {\"run.urun.network\": \"slirp\"}", &detached, &user, "slirp");
}

static void test_refusals(void)
{
    struct create_plan_opts fg = detached;
    struct plan_host no_timens = user;

    fg.foreground = true;
    no_timens.has_timens = false;
    expect_refused("{\"type\": \"pid\"}", "", "", &detached, &user, "linux.namespaces: a mount namespace is required");
    expect_refused(NS_ALL ", {\"type\": \"time\"}", "", "", &detached, &no_timens,
                   "this kernel has no time namespaces");
    expect_refused(NS_ALL, "\"timeOffsets\": {\"boottime\": {\"secs\": 1}}", "", &detached, &user,
                   "linux.timeOffsets: needs a new time namespace");
    expect_refused(NS_ALL, "\"sysctl\": {\"kernel.panic\": \"1\"}", "", &detached, &user,
                   "linux.sysctl: \"kernel.panic\" is not namespaced");
    expect_refused("{\"type\": \"mount\"}", "\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}", "", &detached, &user,
                   "needs a network namespace");
    expect_refused("{\"type\": \"mount\"}", "", "\"hostname\": \"box\"", &detached, &user,
                   "hostname: needs a new uts namespace");
    expect_refused(NS_ALL, "",
                   "\"process\": {\"args\": [\"/bin/sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}, "
                   "\"terminal\": true}",
                   &detached, &user, "a detached container needs --console-socket");
    expect_refused(NS_ALL, "",
                   "\"process\": {\"args\": [\"/bin/sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}, "
                   "\"terminal\": true}",
                   &fg, &user, "stdin is not a terminal");
    expect_refused(NS_ALL, "\"resources\": {\"memory\": {\"limit\": -5}}", "", &detached, &user,
                   "linux.resources.memory.limit");
    expect_refused(NS_ALL, "\"cgroupsPath\": \"/a/../b\"", "", &detached, &user,
                   "linux.cgroupsPath: \"/a/../b\" has a \".\" or \"..\" component");
    expect_refused(NS_ALL, "", "\"annotations\": {\"run.urun.network\": \"bogus\"}", &detached, &user,
                   "run.urun.network");
}

int main(void)
{
    char subuid[] = "/tmp/urun-test-plan-subuid-XXXXXX";
    int fd = mkstemp(subuid);
    char line[64];
    int n = snprintf(line, sizeof(line), "%u:100000:65536\n", (unsigned)getuid());

    if (!mkdtemp(rootfs) || fd < 0 || write(fd, line, (size_t)n) != n) {
        printf("Bail out! temporary files\n");
        return 1;
    }
    close(fd);
    setenv("URUN_SUBUID_FILE", subuid, 1);
    setenv("URUN_SUBGID_FILE", subuid, 1);
    test_rootless();
    test_real_root();
    test_hooks();
    test_time_offsets();
    test_network_host();
    test_refusals();
    test_joined();
    unlink(subuid);
    rmdir(rootfs);
    return tap_done();
}
