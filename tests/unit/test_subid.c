/* Unit tests for idmap/: parsing /etc/subuid-style files and choosing and checking ID maps. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "idmap/idmap.h"
#include "idmap/subid.h"
#include "tap.h"

static void test_parse(void)
{
    struct subid_ranges r;
    struct urun_error err;
    int k = subid_read(FIXTURES "/subuid-tricky", "alice", 1000, &r, &err);

    TAP_OK(k == 0, "fixture reads");
    TAP_OK(r.n == 3, "alice has three good ranges (by name and by uid 1000), got %zu", r.n);
    TAP_OK(r.n == 3 && r.r[0].start == 100000 && r.r[0].count == 65536, "first range in file order");
    TAP_OK(r.n == 3 && r.r[1].start == 300000 && r.r[1].count == 1000, "numeric UID entry matches");
    TAP_OK(r.n == 3 && r.r[2].start == 400000 && r.r[2].count == 10, "trailing blanks are tolerated");
    bool overflow = false, zero = false, malformed = false;
    for (size_t i = 0; i < r.n_warnings; i++) {
        printf("# warning: %s\n", r.warnings[i]);
        overflow = overflow || strstr(r.warnings[i], ":10: range overflows 32-bit IDs");
        zero = zero || strstr(r.warnings[i], ":11: empty range");
        malformed = malformed || strstr(r.warnings[i], ":8: malformed line");
    }
    TAP_OK(overflow, "an overflowing range is rejected with a warning naming the line");
    TAP_OK(zero, "a zero-count range is rejected");
    TAP_OK(malformed, "a malformed line is skipped with a warning");
    TAP_OK(r.n_warnings == SUBID_MAX_WARNINGS || r.n_warnings >= 6, "every bad line warned (%zu)", r.n_warnings);

    subid_read(FIXTURES "/subuid-tricky", "bob", 1001, &r, &err);
    TAP_OK(r.n == 1 && r.r[0].start == 200000, "bob has one range");
    subid_read(FIXTURES "/subuid-tricky", "carol", 4242, &r, &err);
    TAP_OK(r.n == 0, "an unknown user has none");
    subid_read(FIXTURES "/subuid-tricky", "alicex", 1, &r, &err);
    TAP_OK(r.n == 1 && r.r[0].start == 900000, "names match whole, not by prefix");
    TAP_OK(subid_read("/nonexistent/subuid", "alice", 1000, &r, &err) == 0 && r.n == 0,
           "a missing file means no ranges, not an error");
    subid_parse("alice:1:2", "mem", "alice", 7, &r);
    TAP_OK(r.n == 1 && r.r[0].start == 1 && r.r[0].count == 2, "a last line without newline");
}

static struct idmap_user user_with(uint32_t uid, const char *text, bool helpers)
{
    struct idmap_user u;
    memset(&u, 0, sizeof(u));
    u.uid = uid;
    u.gid = uid;
    snprintf(u.name, sizeof(u.name), "alice");
    u.subuid_path = "/etc/subuid";
    u.subgid_path = "/etc/subgid";
    subid_parse(text, "/etc/subuid", "alice", uid, &u.subuid);
    subid_parse(text, "/etc/subgid", "alice", uid, &u.subgid);
    if (helpers) {
        snprintf(u.newuidmap, sizeof(u.newuidmap), "/usr/bin/newuidmap");
        snprintf(u.newgidmap, sizeof(u.newgidmap), "/usr/bin/newgidmap");
    }
    return u;
}

static void test_plan(void)
{
    struct idmap_user u = user_with(1000, "alice:100000:65536\nalice:300000:1000\n", true);
    struct idmap m;
    struct urun_error err;
    char warn[512], buf[512];

    TAP_OK(idmap_plan(NULL, &u, &m, warn, sizeof(warn), &err) == 0 && warn[0] == '\0', "default plan, no warning");
    idmap_format(m.uid, m.n_uid, buf, sizeof(buf));
    TAP_STREQ(buf, "0 1000 1\n1 100000 65536\n65537 300000 1000\n", "default: root -> you, then ranges in order");

    struct idmap_user none = user_with(1000, "", true);
    none.suggest_start = 327680; /* idmap_user_load's pick past every existing range (subid_free_start) */
    TAP_OK(idmap_plan(NULL, &none, &m, warn, sizeof(warn), &err) == 0 && m.n_uid == 1 && m.uid[0].host_id == 1000,
           "no ranges: falls back to your own ID");
    TAP_OK(strstr(warn, "no subordinate IDs for alice in /etc/subuid") && strstr(warn, "alice:327680:65536"),
           "and says so, with what an administrator adds: %s", warn);

    struct idmap_user nohelp = user_with(1000, "alice:100000:65536\n", false);
    TAP_OK(idmap_plan(NULL, &nohelp, &m, warn, sizeof(warn), &err) == 0 && m.n_uid == 1 &&
               strstr(warn, "newuidmap/newgidmap are not installed"),
           "no helpers: own ID with a warning");

    struct idmap_range uids[] = {{0, 1000, 1}, {1, 100000, 65536}};
    struct idmap_range gids[] = {{0, 1000, 1}, {1, 100000, 100}};
    struct idmap_request lx = {.uid_mappings = uids, .n_uid_mappings = 2, .gid_mappings = gids, .n_gid_mappings = 2};
    TAP_OK(idmap_plan(&lx, &u, &m, warn, sizeof(warn), &err) == 0 && m.n_uid == 2 && m.n_gid == 2,
           "explicit maps inside the delegated ranges are accepted");

    struct idmap_range bad[] = {{0, 1000, 1}, {1, 200000, 65536}};
    lx.uid_mappings = bad;
    TAP_OK(idmap_plan(&lx, &u, &m, warn, sizeof(warn), &err) < 0, "a range outside is refused");
    TAP_STREQ(err.msg, "linux.uidMappings[1]: host IDs 200000-265535 are not delegated to alice in /etc/subuid",
              "the error names the range and the file");

    struct idmap_range straddle[] = {{0, 100000, 65537}};
    lx.uid_mappings = straddle;
    lx.n_uid_mappings = 1;
    TAP_OK(idmap_plan(&lx, &u, &m, warn, sizeof(warn), &err) < 0, "a range running past the end is refused");

    struct idmap_range other[] = {{0, 0, 1}};
    lx.uid_mappings = other;
    TAP_OK(idmap_plan(&lx, &u, &m, warn, sizeof(warn), &err) < 0 && strstr(err.msg, "host IDs 0-0"),
           "mapping host root is refused");

    lx.uid_mappings = uids;
    lx.n_uid_mappings = 2;
    TAP_OK(idmap_plan(&lx, &nohelp, &m, warn, sizeof(warn), &err) < 0 && strstr(err.msg, "uidmap"),
           "explicit ranges without helpers: a clear error");
    lx.n_gid_mappings = 0;
    TAP_OK(idmap_plan(&lx, &u, &m, warn, sizeof(warn), &err) < 0 && strstr(err.msg, "gidMappings: required"),
           "uid maps without gid maps: error");

    TAP_OK(idmap_maps(m.uid, 0, 0) == false, "empty map maps nothing");
    struct idmap_range rr[] = {{0, 1000, 1}, {1, 100000, 65536}};
    TAP_OK(idmap_maps(rr, 2, 0) && idmap_maps(rr, 2, 1000) && idmap_maps(rr, 2, 65536) && !idmap_maps(rr, 2, 65537),
           "idmap_maps checks container-side ranges");
    struct idmap own;
    idmap_plan_own(&u, &own);
    TAP_OK(own.n_uid == 1 && own.uid[0].container_id == 0 && own.uid[0].host_id == 1000 && own.uid[0].size == 1,
           "own-only plan");
}

/* urun as root of a user namespace someone else made (podman's rootless mode). */
static void test_nested(void)
{
    struct idmap_range r[8];
    size_t n = 0;
    struct idmap m;
    struct urun_error err;
    char warn[512], buf[512];

    TAP_OK(idmap_parse_proc("         0          0 4294967295\n", r, 8, &n) == 0 && idmap_is_initial(r, n),
           "the initial namespace's map");
    TAP_OK(idmap_parse_proc("         0       1002          1\n         1     200000      65536\n", r, 8, &n) == 0 &&
               n == 2 && !idmap_is_initial(r, n) && r[1].container_id == 1 && r[1].host_id == 200000,
           "podman's rootless namespace");
    TAP_OK(idmap_parse_proc("0 1002\n", r, 8, &n) < 0, "a short line is malformed");
    TAP_OK(idmap_parse_proc("", r, 8, &n) == 0 && n == 0, "an empty map (not yet written)");

    struct idmap_user u = user_with(0, "", false);
    u.nested = true;
    idmap_parse_proc("0 1002 1\n1 200000 65536\n", u.ns_uid, IDMAP_MAX_LINES, &u.n_ns_uid);
    idmap_parse_proc("0 1002 1\n1 200000 65536\n", u.ns_gid, IDMAP_MAX_LINES, &u.n_ns_gid);
    TAP_OK(idmap_plan(NULL, &u, &m, warn, sizeof(warn), &err) == 0 && warn[0] == '\0', "nested default plan");
    idmap_format(m.uid, m.n_uid, buf, sizeof(buf));
    TAP_STREQ(buf, "0 0 1\n1 1 65536\n", "nested default: every ID of the namespace, to itself");

    struct idmap_range uids[] = {{0, 1, 1000}, {1000, 0, 1}};
    struct idmap_range gids[] = {{0, 0, 65537}};
    struct idmap_request lx = {.uid_mappings = uids, .n_uid_mappings = 2, .gid_mappings = gids, .n_gid_mappings = 1};
    TAP_OK(idmap_plan(&lx, &u, &m, warn, sizeof(warn), &err) == 0,
           "nested explicit maps inside the namespace (keep-id)");
    struct idmap_range past[] = {{0, 0, 65538}};
    lx.gid_mappings = past;
    TAP_OK(idmap_plan(&lx, &u, &m, warn, sizeof(warn), &err) < 0, "nested: a range past the namespace is refused");
    TAP_STREQ(err.msg,
              "linux.gidMappings[0]: host IDs 0-65537 do not exist in the user namespace urun runs in "
              "(see /proc/self/gid_map)",
              "naming the field and where to look");
}

static void test_free_start(void)
{
    TAP_OK(subid_free_start(NULL, 100000, 65536) == 100000, "no file: 100000");
    TAP_OK(subid_free_start("", 100000, 65536) == 100000, "empty file: 100000");
    TAP_OK(subid_free_start("alice:100000:65536\n", 100000, 65536) == 196608, "after alice's range, aligned");
    TAP_OK(subid_free_start("alice:100000:65536\nbob:200000:65536\n", 100000, 65536) == 327680,
           "past every range, aligned: 327680");
    TAP_OK(subid_free_start("# comment\nbad line\nx:1:2:3\nc:10:5 \r\n", 100000, 65536) == 100000,
           "comments and malformed lines are passed over; small ranges below the start do not matter");
    TAP_OK(subid_free_start("z:4294960000:1000\n", 100000, 65536) == 0, "no room below 2^32: 0");
}

static void test_userns_advice(void)
{
    char buf[512];
    struct idmap_userns_facts ok = {
        .max_user_namespaces = 15000, .unprivileged_userns_clone = -1, .apparmor_restrict = -1, .chrooted = false};
    struct idmap_userns_facts f = ok;

    idmap_userns_advice(&f, buf, sizeof(buf));
    TAP_STREQ(buf, "", "nothing to blame: no advice");
    f.chrooted = true;
    idmap_userns_advice(&f, buf, sizeof(buf));
    TAP_OK(strstr(buf, "urun runs in a chroot") != NULL, "chroot: %s", buf);
    f.apparmor_restrict = 1;
    idmap_userns_advice(&f, buf, sizeof(buf));
    TAP_OK(strstr(buf, "AppArmor restricts") && strstr(buf, "\"userns,\""), "AppArmor before chroot: %s", buf);
    f.unprivileged_userns_clone = 0;
    idmap_userns_advice(&f, buf, sizeof(buf));
    TAP_OK(strstr(buf, "kernel.unprivileged_userns_clone is 0") != NULL, "Debian's knob before AppArmor: %s", buf);
    f.max_user_namespaces = 0;
    idmap_userns_advice(&f, buf, sizeof(buf));
    TAP_OK(strstr(buf, "user.max_user_namespaces is 0") && strstr(buf, "sysctl -w"), "the limit first: %s", buf);
    f = ok;
    f.unprivileged_userns_clone = 1;
    f.apparmor_restrict = 0;
    idmap_userns_advice(&f, buf, sizeof(buf));
    TAP_STREQ(buf, "", "knobs that allow it: no advice");
}

int main(void)
{
    test_userns_advice();
    test_free_start();
    test_parse();
    test_plan();
    test_nested();
    return tap_done();
}
