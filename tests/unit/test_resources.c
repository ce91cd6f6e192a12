/* Unit tests for linux.resources to cgroup v2 files (src/spec/resources.c) and the pure cgroup path helpers
 * (src/runtime/cgroup.c): runc's conversions, refused values with their field paths, what cgroup v2 cannot
 * do, mountinfo and /proc/self/cgroup parsing, where a container's cgroup goes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "spec/resources.h"
#include "spec/yamltree.h"
#include "tap.h"

/* The writes for a document, as "file=value" lines joined by ';' (controller in brackets when it is not
 * the file's prefix). */
static int convert(const char *doc, char *out, size_t size, struct cg_writes *keep, struct urun_error *err)
{
    struct ynode *tree = NULL;
    struct cg_writes w = {0};
    int r = ytree_parse(doc, strlen(doc), &tree, err);

    out[0] = '\0';
    if (r >= 0)
        r = resources_to_writes(tree, "linux.resources", &w, err);
    ytree_free(tree);
    if (r < 0) {
        cg_writes_clear(&w);
        return r;
    }
    for (size_t i = 0; i < w.n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s=%s", i ? ";" : "", w.v[i].file, w.v[i].value);
    }
    if (keep)
        *keep = w;
    else
        cg_writes_clear(&w);
    return 0;
}

static void writes(const char *doc, const char *want, const char *what)
{
    struct urun_error err = {0};
    char out[2048];
    int r = convert(doc, out, sizeof(out), NULL, &err);

    TAP_OK(r == 0, "%s: converts (%s)", what, r < 0 ? err.msg : "ok");
    TAP_STREQ(out, want, "%s", what);
}

static void refused(const char *doc, const char *want_msg, const char *what)
{
    struct urun_error err = {0};
    char out[2048];
    int r = convert(doc, out, sizeof(out), NULL, &err);

    TAP_OK(r < 0, "%s: refused", what);
    TAP_STREQ(err.msg, want_msg, "%s: message", what);
}

static void test_memory(void)
{
    writes("{\"memory\": {\"limit\": 67108864}}", "memory.max=67108864", "memory limit");
    writes("{\"memory\": {\"limit\": -1, \"reservation\": 1024}}", "memory.max=max;memory.low=1024",
           "no memory limit, a reservation");
    writes("{\"memory\": {\"limit\": 1000, \"swap\": 3000}}", "memory.max=1000;memory.swap.max=2000",
           "swap is memory+swap, less the memory");
    writes("{\"memory\": {\"limit\": 1000, \"swap\": -1}}", "memory.max=1000;memory.swap.max=max", "unlimited swap");
    writes("{\"memory\": {\"limit\": 1000, \"swap\": 0}}", "memory.max=1000", "swap 0 is unset");
    refused("{\"memory\": {\"limit\": -5}}", "linux.resources.memory.limit: -5 is not a limit (use -1 for none)",
            "negative limit");
    refused("{\"memory\": {\"swap\": 100}}",
            "linux.resources.memory.swap: a swap limit needs a memory limit (linux.resources.memory.limit)",
            "swap without memory");
    refused("{\"memory\": {\"limit\": 1000, \"swap\": 10}}",
            "linux.resources.memory.swap: 10 is below the memory limit 1000 (swap counts memory plus swap)",
            "swap below memory");
    refused("{\"memory\": {\"limit\": \"lots\"}}", "linux.resources.memory.limit: expected an integer",
            "limit not a number");
    refused("{\"memory\": 5}", "linux.resources.memory: expected an object", "memory not an object");
}

static void test_cpu_pids_io(void)
{
    writes("{\"cpu\": {\"shares\": 1024}}", "cpu.weight=39", "shares 1024 -> weight 39 (runc's mapping)");
    writes("{\"cpu\": {\"shares\": 2}}", "cpu.weight=1", "minimum shares");
    writes("{\"cpu\": {\"shares\": 262144}}", "cpu.weight=10000", "maximum shares");
    writes("{\"cpu\": {\"quota\": 50000, \"period\": 100000}}", "cpu.max=50000 100000", "quota and period");
    writes("{\"cpu\": {\"quota\": -1}}", "cpu.max=max 100000", "no quota, default period");
    writes("{\"cpu\": {\"period\": 20000}}", "cpu.max=max 20000", "period alone");
    writes("{\"cpu\": {\"cpus\": \"0-1\", \"mems\": \"0\", \"idle\": 1}}", "cpu.idle=1;cpuset.cpus=0-1;cpuset.mems=0",
           "cpuset and idle");
    writes("{\"pids\": {\"limit\": 100}}", "pids.max=100", "pids limit");
    writes("{\"pids\": {\"limit\": 0}}", "pids.max=max", "pids 0 is no limit");
    writes("{\"pids\": {\"limit\": -1}}", "pids.max=max", "pids -1 is no limit");
    writes("{\"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 10}],"
           " \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],"
           " \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 100}]}}",
           "io.weight=default 4950;io.weight=8:0 1;io.max=8:0 rbps=1048576;io.max=8:16 wiops=100", "block IO");
    writes("{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}", "hugetlb.2MB.max=4194304",
           "hugepages");
    writes("{\"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}}}",
           "rdma.max=mlx5_1 hca_handle=3 hca_object=10000", "rdma");
    writes("{\"unified\": {\"memory.high\": \"1G\", \"cgroup.max.depth\": \"3\"}}", "memory.high=1G;cgroup.max.depth=3",
           "unified");
    writes("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}", "", "device rules are not cgroup writes");
    writes("{}", "", "empty");
    refused("{\"unified\": {\"../x\": \"1\"}}", "linux.resources.unified.../x: not a cgroup v2 interface file name",
            "unified key with a path");
    refused("{\"unified\": {\"cgroup.procs\": \"1\"}}",
            "linux.resources.unified.cgroup.procs: urun manages this file itself", "unified cgroup.procs");
    refused("{\"hugepageLimits\": [{\"pageSize\": \"../2MB\", \"limit\": 1}]}",
            "linux.resources.hugepageLimits[0].pageSize: \"../2MB\" is not a page size such as 2MB", "bad page size");
    refused("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"rate\": 1}]}}",
            "linux.resources.blockIO.throttleReadBpsDevice[0].minor: required", "device without minor");
    TAP_OK(resources_shares_to_weight(0) == 1 && resources_blkio_to_io_weight(1000) == 10000, "conversion bounds");
}

static void test_unsupported(void)
{
    struct urun_error err = {0};
    struct cg_writes w = {0};
    char out[512];
    int r = convert("{\"memory\": {\"limit\": 10, \"swappiness\": 5, \"kernel\": 1, \"disableOOMKiller\": false},"
                    " \"cpu\": {\"realtimeRuntime\": 5}, \"network\": {\"classID\": 1}}",
                    out, sizeof(out), &w, &err);

    TAP_OK(r == 0, "v1-only settings convert");
    TAP_STREQ(out, "memory.max=10", "only the v2 limit becomes a write");
    TAP_OK(w.n_unsupported == 4, "four settings listed as unsupported (got %zu)", w.n_unsupported);
    if (w.n_unsupported == 4) {
        TAP_STREQ(w.unsupported[0], "linux.resources.memory.kernel (cgroup v1 only)", "kernel memory");
        TAP_STREQ(w.unsupported[1], "linux.resources.memory.swappiness (cgroup v1 only)", "swappiness");
        TAP_STREQ(w.unsupported[2], "linux.resources.cpu.realtimeRuntime (cgroup v1 only)", "realtime");
        TAP_STREQ(w.unsupported[3], "linux.resources.network (cgroup v1 only)", "network");
    }
    TAP_STREQ(w.n ? w.v[0].controller : "", "memory", "controller of memory.max");
    TAP_STREQ(w.n ? w.v[0].field : "", "linux.resources.memory.limit", "field of memory.max");
    cg_writes_clear(&w);
}

/* update converts --resources and then its options into one list */
static void test_append(void)
{
    struct urun_error err = {0};
    struct cg_writes w = {0};
    struct ynode *a = NULL, *b = NULL;
    const char *da = "{\"memory\": {\"limit\": 10, \"swappiness\": 1}}", *db = "{\"pids\": {\"limit\": 5}}";

    TAP_OK(ytree_parse(da, strlen(da), &a, &err) == 0 && ytree_parse(db, strlen(db), &b, &err) == 0, "parse");
    TAP_OK(resources_to_writes(a, "linux.resources", &w, &err) == 0 && resources_to_writes(b, "update", &w, &err) == 0,
           "two documents into one list");
    TAP_OK(w.n == 2 && w.n_unsupported == 1, "both documents' writes kept (%zu, %zu)", w.n, w.n_unsupported);
    TAP_STREQ(w.n == 2 ? w.v[1].field : "", "update.pids.limit", "in order, each with its own field path");
    cg_writes_clear(&w);
    TAP_OK(w.n == 0 && w.v == NULL && w.n_unsupported == 0, "cleared to empty");
    ytree_free(a);
    ytree_free(b);
}

static void test_paths(void)
{
    struct urun_error err = {0};
    char *mount = NULL, *root = NULL, *p;

    TAP_OK(
        cgroup_parse_mountinfo("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                               "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                               "41 31 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime shared:9 - cgroup2 cgroup2 rw\n",
                               &mount, &root) == 0,
        "hybrid mountinfo has a cgroup2 mount");
    TAP_STREQ(mount ? mount : "", "/sys/fs/cgroup/uni fied", "its mount point, unescaped");
    TAP_STREQ(root ? root : "", "/", "its root");
    free(mount);
    free(root);
    mount = root = NULL;
    TAP_OK(cgroup_parse_mountinfo("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", &mount, &root) ==
               -ENOENT,
           "cgroup v1 only: no cgroup2 mount");
    TAP_OK(cgroup_parse_mountinfo("90 80 0:38 / /srv/chroot/sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
                                  "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
                                  &mount, &root) == 0,
           "a chroot's cgroup2 mount listed first");
    TAP_STREQ(mount ? mount : "", "/sys/fs/cgroup/unified", "urun's own place wins over the chroot's");
    free(mount);
    free(root);
    mount = root = NULL;

    TAP_OK(cgroup_parse_self("4:memory:/x\n0::/user.slice/app.scope\n", &p) == 0, "the 0:: line");
    TAP_STREQ(p, "/user.slice/app.scope", "own cgroup");
    free(p);
    TAP_OK(cgroup_parse_self("4:memory:/x\n1:name=systemd:/\n", &p) == -ENOENT, "v1 only: no 0:: line");

    p = cgroup_target("/deleg/shell", NULL, "c1", &err);
    TAP_STREQ(p ? p : "", "/deleg/c1", "default: the ID beside urun's own cgroup");
    free(p);
    p = cgroup_target("/deleg/shell", "pods/c1", "c1", &err);
    TAP_STREQ(p ? p : "", "/deleg/pods/c1", "relative cgroupsPath beside urun's own cgroup");
    free(p);
    p = cgroup_target("/deleg/shell", "//abs//x/", "c1", &err);
    TAP_STREQ(p ? p : "", "/abs/x", "absolute cgroupsPath, normalised");
    free(p);
    p = cgroup_target("/", "", "c1", &err);
    TAP_STREQ(p ? p : "", "/c1", "urun in the root cgroup");
    free(p);
    p = cgroup_target("/deleg/shell", "a/../../b", "c1", &err);
    TAP_OK(p == NULL, "'..' refused");
    TAP_STREQ(err.msg, "linux.cgroupsPath: \"a/../../b\" has a \".\" or \"..\" component", "message for '..'");
    p = cgroup_target("/deleg/shell", "/", "c1", &err);
    TAP_OK(p == NULL, "the root itself refused");

    struct {
        const char *a, *b, *want;
    } anc[] = {
        {"/deleg/shell", "/deleg/c1", "/deleg"},
        {"/deleg/shell", "/deleg/shell/c1", "/deleg/shell"},
        {"/deleg/shell", "/delegx/c1", "/"},
        {"/", "/c1", "/"},
        {"/a/b", "/a/b", "/a/b"},
    };
    for (size_t i = 0; i < sizeof(anc) / sizeof(anc[0]); i++) {
        p = cgroup_common_ancestor(anc[i].a, anc[i].b);
        TAP_STREQ(p, anc[i].want, "common ancestor of %s and %s", anc[i].a, anc[i].b);
        free(p);
    }
}

int main(void)
{
    test_memory();
    test_cpu_pids_io();
    test_unsupported();
    test_append();
    test_paths();
    return tap_done();
}
