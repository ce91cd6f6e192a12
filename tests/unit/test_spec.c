/* Unit tests for yamltree.c and spec.c: a full config as JSON and as YAML, typed readers,
 * every document limit, hostile inputs and the exact field path of each error. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "spec-test.h"
#include "spec/spec.h"
#include "spec/yamltree.h"
#include "tap.h"

/* ---- the full config, as JSON and as YAML ---- */

static void check_process(const struct spec_process *p, const char *w)
{
    TAP_OK(p && p->terminal, "%s: process.terminal", w);
    if (!p)
        return;
    TAP_OK(p->has_console_size && p->console_height == 25 && p->console_width == 80, "%s: consoleSize", w);
    TAP_OK(p->user.uid == 1000 && p->user.gid == 1001, "%s: user uid/gid", w);
    TAP_OK(p->user.has_umask && p->user.umask == 18, "%s: user.umask", w);
    TAP_OK(p->user.n_additional_gids == 2 && p->user.additional_gids[0] == 5 &&
               p->user.additional_gids[1] == 4294967294u,
           "%s: user.additionalGids", w);
    TAP_STREQ(p->user.username, "alice", "%s: user.username", w);
    TAP_OK(strv_eq(p->args, STRV("sh", "-c", "echo \"hi\" / there")), "%s: args (with \\/ and \\\")", w);
    TAP_OK(strv_eq(p->env, STRV("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
                                "EMOJI=\xF0\x9F\x98\x80")),
           "%s: env (with a surrogate pair)", w);
    TAP_STREQ(p->cwd, "/home/alice", "%s: cwd", w);
    TAP_OK(p->capabilities &&
               strv_eq(p->capabilities->bounding, STRV("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE")),
           "%s: capabilities.bounding", w);
    if (p->capabilities) {
        TAP_OK(strv_eq(p->capabilities->effective, STRV("CAP_AUDIT_WRITE", "CAP_KILL")), "%s: effective", w);
        TAP_OK(p->capabilities->inheritable && !p->capabilities->inheritable[0], "%s: inheritable empty", w);
        TAP_OK(strv_eq(p->capabilities->permitted, STRV("CAP_KILL")), "%s: permitted", w);
        TAP_OK(strv_eq(p->capabilities->ambient, STRV("CAP_NET_BIND_SERVICE")), "%s: ambient", w);
    }
    TAP_OK(p->n_rlimits == 2 && !strcmp(p->rlimits[0].type, "RLIMIT_NOFILE") && p->rlimits[0].hard == 1024 &&
               p->rlimits[0].soft == 1024 && !strcmp(p->rlimits[1].type, "RLIMIT_CORE") &&
               p->rlimits[1].hard == UINT64_MAX && p->rlimits[1].soft == 0,
           "%s: rlimits", w);
    TAP_OK(p->no_new_privileges, "%s: noNewPrivileges", w);
    TAP_STREQ(p->apparmor_profile, "urun-default", "%s: apparmorProfile", w);
    TAP_STREQ(p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675", "%s: selinuxLabel", w);
    TAP_OK(p->has_oom_score_adj && p->oom_score_adj == -500, "%s: oomScoreAdj", w);
}

static void check_mounts_hooks(const struct urun_spec *s, const char *w)
{
    const struct spec_mount *m = s->mounts;

    TAP_OK(s->n_mounts == 3, "%s: 3 mounts", w);
    if (s->n_mounts != 3)
        return;
    TAP_OK(!strcmp(m[0].destination, "/proc") && !strcmp(m[0].type, "proc") && !strcmp(m[0].source, "proc") &&
               !m[0].options && !m[0].uid_mappings,
           "%s: mounts[0]", w);
    TAP_OK(strv_eq(m[1].options, STRV("nosuid", "strictatime", "mode=755", "size=65536k")), "%s: mounts[1].options", w);
    TAP_OK(m[2].n_uid_mappings == 1 && m[2].uid_mappings[0].container_id == 0 &&
               m[2].uid_mappings[0].host_id == 100000 && m[2].uid_mappings[0].size == 65536,
           "%s: mounts[2].uidMappings", w);
    TAP_OK(m[2].n_gid_mappings == 1 && m[2].gid_mappings[0].host_id == 200000 && m[2].gid_mappings[0].size == 1000,
           "%s: mounts[2].gidMappings", w);
    TAP_STREQ(m[2].source, "/srv/data", "%s: mounts[2].source", w);

    const struct spec_hook_list *h = s->hooks;
    TAP_OK(h[SPEC_HOOK_PRESTART].n == 1 && !strcmp(h[SPEC_HOOK_PRESTART].hooks[0].path, "/usr/bin/fix-mounts") &&
               strv_eq(h[SPEC_HOOK_PRESTART].hooks[0].args, STRV("fix-mounts", "arg1")) &&
               strv_eq(h[SPEC_HOOK_PRESTART].hooks[0].env, STRV("key1=value1")) &&
               !h[SPEC_HOOK_PRESTART].hooks[0].has_timeout,
           "%s: hooks.prestart", w);
    TAP_OK(h[SPEC_HOOK_CREATE_RUNTIME].n == 1 && !h[SPEC_HOOK_CREATE_RUNTIME].hooks[0].args, "%s: createRuntime", w);
    TAP_OK(h[SPEC_HOOK_CREATE_CONTAINER].n == 1 && h[SPEC_HOOK_CREATE_CONTAINER].hooks[0].has_timeout &&
               h[SPEC_HOOK_CREATE_CONTAINER].hooks[0].timeout == 5,
           "%s: createContainer timeout", w);
    TAP_OK(h[SPEC_HOOK_START_CONTAINER].n == 1, "%s: startContainer", w);
    TAP_OK(h[SPEC_HOOK_POSTSTART].n == 2 && !strcmp(h[SPEC_HOOK_POSTSTART].hooks[1].path, "/usr/bin/log-start"),
           "%s: poststart", w);
    TAP_OK(h[SPEC_HOOK_POSTSTOP].n == 1 && strv_eq(h[SPEC_HOOK_POSTSTOP].hooks[0].args, STRV("cleanup.sh", "-f")),
           "%s: poststop", w);
}

static const char resources_json[] =
    "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,"
    "\"access\":\"rw\"}],\"memory\":{\"limit\":536870912,\"swappiness\":0,\"disableOOMKiller\":false},"
    "\"cpu\":{\"shares\":1024,\"quota\":-1,\"cpus\":\"0-3\"},\"pids\":{\"limit\":32771},"
    "\"unified\":{\"memory.high\":\"1G\",\"io.weight\":\"default 100\"}}";

static void check_seccomp(const struct spec_seccomp *sc, const char *w)
{
    TAP_OK(sc != NULL, "%s: seccomp present", w);
    if (!sc)
        return;
    TAP_STREQ(sc->default_action, "SCMP_ACT_ERRNO", "%s: seccomp.defaultAction", w);
    TAP_OK(sc->has_default_errno_ret && sc->default_errno_ret == 1, "%s: seccomp.defaultErrnoRet", w);
    TAP_OK(strv_eq(sc->architectures, STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32")), "%s: archs", w);
    TAP_OK(strv_eq(sc->flags, STRV("SECCOMP_FILTER_FLAG_LOG")), "%s: seccomp.flags", w);
    TAP_STREQ(sc->listener_path, "/run/seccomp-agent.socket", "%s: listenerPath", w);
    TAP_STREQ(sc->listener_metadata, "metadata", "%s: listenerMetadata", w);
    TAP_OK(sc->n_syscalls == 3, "%s: 3 syscall rules", w);
    if (sc->n_syscalls != 3)
        return;
    TAP_OK(strv_eq(sc->syscalls[0].names, STRV("getcwd", "chmod")) &&
               !strcmp(sc->syscalls[0].action, "SCMP_ACT_ALLOW") && !sc->syscalls[0].has_errno_ret &&
               !sc->syscalls[0].args,
           "%s: syscalls[0]", w);
    const struct spec_seccomp_arg *a = sc->syscalls[1].args;
    TAP_OK(sc->syscalls[1].n_args == 2 && a[0].index == 0 && a[0].value == 8 && a[0].value_two == 0 &&
               !strcmp(a[0].op, "SCMP_CMP_EQ") && a[1].index == 1 && a[1].value == 1 && a[1].value_two == UINT64_MAX &&
               !strcmp(a[1].op, "SCMP_CMP_MASKED_EQ"),
           "%s: syscalls[1].args", w);
    TAP_OK(sc->syscalls[2].has_errno_ret && sc->syscalls[2].errno_ret == 38, "%s: syscalls[2].errnoRet", w);
}

static void check_linux(const struct spec_linux *l, const char *w)
{
    static const enum spec_ns_type order[] = {SPEC_NS_PID,   SPEC_NS_NETWORK, SPEC_NS_IPC,    SPEC_NS_UTS,
                                              SPEC_NS_MOUNT, SPEC_NS_USER,    SPEC_NS_CGROUP, SPEC_NS_TIME};
    bool ok;

    TAP_OK(l != NULL, "%s: linux present", w);
    if (!l)
        return;
    ok = l->n_namespaces == 8;
    for (size_t i = 0; ok && i < 8; i++)
        ok = l->namespaces[i].type == order[i] && (i == 1) == (l->namespaces[i].path != NULL);
    TAP_OK(ok, "%s: 8 namespaces in order", w);
    TAP_STREQ(l->n_namespaces > 1 ? l->namespaces[1].path : NULL, "/proc/1234/ns/net", "%s: network ns path", w);
    TAP_OK(l->n_uid_mappings == 2 && l->uid_mappings[1].container_id == 1 && l->uid_mappings[1].host_id == 100000 &&
               l->uid_mappings[1].size == 65536,
           "%s: uidMappings", w);
    TAP_OK(l->n_gid_mappings == 1 && l->gid_mappings[0].host_id == 1000, "%s: gidMappings", w);
    TAP_OK(l->n_sysctl == 2 && !strcmp(l->sysctl[0].key, "net.ipv4.ip_forward") && !strcmp(l->sysctl[0].value, "1") &&
               !strcmp(l->sysctl[1].key, "net.core.somaxconn") && !strcmp(l->sysctl[1].value, "256"),
           "%s: sysctl", w);
    TAP_STREQ(l->cgroups_path, "/myRuntime/myContainer", "%s: cgroupsPath", w);
    TAP_STREQ(l->resources_json, resources_json, "%s: resources as compact JSON", w);
    TAP_STREQ(l->rootfs_propagation, "slave", "%s: rootfsPropagation", w);
    TAP_OK(strv_eq(l->masked_paths, STRV("/proc/kcore", "/proc/latency_stats")), "%s: maskedPaths", w);
    TAP_OK(strv_eq(l->readonly_paths, STRV("/proc/sys", "/proc/sysrq-trigger")), "%s: readonlyPaths", w);
    TAP_STREQ(l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811", "%s: mountLabel", w);
    TAP_OK(l->n_devices == 2 && !strcmp(l->devices[0].path, "/dev/fuse") && !strcmp(l->devices[0].type, "c") &&
               l->devices[0].major == 10 && l->devices[0].minor == 229 && l->devices[0].has_file_mode &&
               l->devices[0].file_mode == 438 && l->devices[0].has_uid && l->devices[0].uid == 0 &&
               l->devices[0].has_gid && l->devices[0].gid == 0,
           "%s: devices[0]", w);
    TAP_OK(l->n_devices == 2 && !strcmp(l->devices[1].type, "b") && l->devices[1].major == 8 &&
               !l->devices[1].has_file_mode && !l->devices[1].has_uid && !l->devices[1].has_gid,
           "%s: devices[1]", w);
    check_seccomp(l->seccomp, w);
    TAP_OK(l->time_monotonic.present && l->time_monotonic.secs == -86400 && l->time_monotonic.nanosecs == 5,
           "%s: timeOffsets.monotonic", w);
    TAP_OK(l->time_boottime.present && l->time_boottime.secs == 3600 && l->time_boottime.nanosecs == 0,
           "%s: timeOffsets.boottime", w);
}

static void check_full(const char *fixture)
{
    _cleanup_(spec_freep) struct urun_spec *s = NULL;
    _cleanup_free_ char *buf = NULL;
    struct urun_error err = {0};
    size_t len = 0;
    int r;

    buf = read_fixture(fixture, &len);
    TAP_OK(buf != NULL, "%s: fixture readable", fixture);
    if (!buf)
        return;
    r = spec_parse(buf, len, &s, &err);
    TAP_OK(r == 0 && s, "%s: parses", fixture);
    if (r < 0) {
        printf("#   error: %s\n", err.msg);
        return;
    }
    TAP_STREQ(s->oci_version, "1.2.0", "%s: ociVersion", fixture);
    TAP_STREQ(s->root_path, "rootfs", "%s: root.path", fixture);
    TAP_OK(s->root_readonly, "%s: root.readonly", fixture);
    TAP_STREQ(s->hostname, "urun", "%s: hostname", fixture);
    TAP_STREQ(s->domainname, "example.org", "%s: domainname", fixture);
    TAP_OK(s->n_annotations == 2, "%s: 2 annotations", fixture);
    TAP_STREQ(spec_annotation(s, "com.example.key2"), "value2", "%s: spec_annotation", fixture);
    TAP_OK(spec_annotation(s, "nope") == NULL, "%s: spec_annotation of an absent key", fixture);
    TAP_OK(spec_find_namespace(s, SPEC_NS_TIME) == &s->linux_->namespaces[7], "%s: spec_find_namespace", fixture);
    check_process(s->process, fixture);
    check_mounts_hooks(s, fixture);
    check_linux(s->linux_, fixture);
}

/* ---- typed readers ---- */

static void test_readers(void)
{
    static const char doc[] = "{a: \"true\", b: true, c: 18446744073709551615, d: 18446744073709551616,\n"
                              " e: -9223372036854775808, f: -9223372036854775809, g: \"\", h: null, i: '5',\n"
                              " j: 007, k: -0, l: +5, m: 1e3, n: 0x10, o: 1.5, p: 4294967295, q: 4294967296,\n"
                              " r: '', s: ~, t: [x], u: -, v: False}";
    _cleanup_(ytree_freep) struct ynode *t = NULL;
    struct urun_error err = {0};
    const char *s = NULL;
    bool b = false;
    uint64_t u = 0;
    int64_t i = 0;
    uint32_t u32 = 0;
    int r = ytree_parse(doc, strlen(doc), &t, &err);

    TAP_OK(r == 0 && t && t->kind == YNODE_MAP && t->n == 22, "reader document parses");
    if (r < 0)
        return;
    TAP_OK(ynode_bool(ynode_get(t, "a"), "a", &b, &err) < 0, "quoted \"true\" is not a boolean");
    TAP_STREQ(err.msg, "a: expected a boolean", "boolean message");
    TAP_OK(ynode_bool(ynode_get(t, "b"), "b", &b, &err) == 0 && b, "plain true is a boolean");
    TAP_OK(ynode_bool(ynode_get(t, "v"), "v", &b, &err) < 0, "False is not a boolean");
    TAP_OK(ynode_string(ynode_get(t, "a"), "a", &s, &err) == 0 && !strcmp(s, "true"), "quoted \"true\" is a string");
    TAP_OK(ynode_string(ynode_get(t, "b"), "b", &s, &err) < 0, "plain true is not a string");
    TAP_OK(ynode_string(ynode_get(t, "c"), "c", &s, &err) < 0 && ynode_string(ynode_get(t, "m"), "m", &s, &err) < 0 &&
               ynode_string(ynode_get(t, "n"), "n", &s, &err) < 0 && ynode_string(ynode_get(t, "o"), "o", &s, &err) < 0,
           "plain numbers are not strings");
    TAP_STREQ(err.msg, "o: expected a string", "number as string message");
    TAP_OK(ynode_string(ynode_get(t, "u"), "u", &s, &err) == 0 && !strcmp(s, "-"), "a plain '-' is a string");
    TAP_OK(ynode_string(ynode_get(t, "v"), "v", &s, &err) < 0, "plain False is not a string");
    TAP_OK(ynode_u64(ynode_get(t, "c"), "c", &u, &err) == 0 && u == UINT64_MAX, "u64 max");
    TAP_OK(ynode_u64(ynode_get(t, "d"), "d", &u, &err) < 0, "u64 overflow");
    TAP_STREQ(err.msg, "d: value out of range", "overflow message");
    TAP_OK(ynode_i64(ynode_get(t, "e"), "e", &i, &err) == 0 && i == INT64_MIN, "i64 min");
    TAP_OK(ynode_i64(ynode_get(t, "f"), "f", &i, &err) < 0, "i64 underflow");
    TAP_OK(ynode_i64(ynode_get(t, "c"), "c", &i, &err) < 0, "i64 overflow");
    TAP_OK(ynode_string(ynode_get(t, "g"), "g", &s, &err) == 0 && !strcmp(s, ""), "quoted empty is a string");
    TAP_OK(ynode_string(ynode_get(t, "h"), "h", &s, &err) < 0, "null is not a string");
    TAP_STREQ(err.msg, "h: expected a string", "string message");
    TAP_OK(ynode_is_null(ynode_get(t, "h")) && ynode_is_null(ynode_get(t, "s")) && !ynode_is_null(ynode_get(t, "g")) &&
               !ynode_is_null(ynode_get(t, "r")) && !ynode_is_null(NULL),
           "ynode_is_null: plain null and ~ only");
    TAP_OK(ynode_u64(ynode_get(t, "i"), "i", &u, &err) < 0, "quoted '5' is not an integer");
    TAP_STREQ(err.msg, "i: expected an integer", "integer message");
    TAP_OK(ynode_u64(ynode_get(t, "j"), "j", &u, &err) < 0, "007 refused (octal or decimal?)");
    TAP_STREQ(err.msg, "j: expected an integer without leading zeros", "leading zero message");
    TAP_OK(ynode_i64(ynode_get(t, "k"), "k", &i, &err) == 0 && i == 0, "-0 is 0");
    TAP_OK(ynode_u64(ynode_get(t, "l"), "l", &u, &err) < 0, "+5 refused");
    TAP_OK(ynode_u64(ynode_get(t, "m"), "m", &u, &err) < 0, "1e3 refused");
    TAP_OK(ynode_u64(ynode_get(t, "n"), "n", &u, &err) < 0, "hex refused");
    TAP_OK(ynode_i64(ynode_get(t, "o"), "o", &i, &err) < 0, "fraction refused");
    TAP_STREQ(err.msg, "o: expected an integer", "fraction message");
    TAP_OK(ynode_u32(ynode_get(t, "p"), "p", &u32, &err) == 0 && u32 == UINT32_MAX, "u32 max");
    TAP_OK(ynode_u32(ynode_get(t, "q"), "q", &u32, &err) < 0, "u32 overflow");
    TAP_OK(ynode_u64(ynode_get(t, "r"), "r", &u, &err) < 0, "empty refused as integer");
    TAP_OK(ynode_u64(ynode_get(t, "u"), "u", &u, &err) < 0, "lone '-' refused");
    TAP_OK(ynode_u64(ynode_get(t, "t"), "t", &u, &err) < 0 && ynode_string(ynode_get(t, "t"), "t", &s, &err) < 0,
           "a sequence is neither an integer nor a string");
    TAP_OK(ynode_u64(NULL, "x.y", &u, &err) < 0, "absent node refused");
    TAP_STREQ(err.msg, "x.y: required", "absent node message");
    TAP_OK(ynode_get(t, "zz") == NULL && ynode_get(ynode_get(t, "b"), "x") == NULL && ynode_get(NULL, "x") == NULL,
           "ynode_get: absent key, non-map, NULL");
    TAP_OK(ynode_get(t, "b")->line == 1 && ynode_get(t, "e")->line == 2 && ynode_get(t, "j")->line == 3,
           "nodes record their line");
    TAP_OK(ynode_get(t, "b")->plain && !ynode_get(t, "a")->plain, "scalars record whether they were plain");
}

/* Which plain scalars read as strings: everything the YAML core schema does not make a number,
 * a boolean or null. */
static void test_plain_strings(void)
{
    static const char *const strings[] = {"1.2.0", "-c", "/bin/sh", "0-3", "1G", "mode=755", "yes", "1_000", "1e", ".",
                                          "-x",    "0x", "0xg",     "0o8", "e5", ".e5",      "inf", "nan",   "v1", "+"};
    static const char *const others[] = {"1",    "-1",     "+1",   "0755", "1.5",  "1.",    ".5",    "-.5",  "1e5",
                                         "1E+5", "2.5e-3", "0x1F", "0o17", ".inf", "-.Inf", "+.INF", ".nan", ".NaN",
                                         "true", "False",  "TRUE", "null", "~",    "NULL",  ""};
    bool ok_strings = true, ok_others = true;

    for (size_t i = 0; i < ARRAY_SIZE(strings) + ARRAY_SIZE(others); i++) {
        bool want = i < ARRAY_SIZE(strings);
        const char *text = want ? strings[i] : others[i - ARRAY_SIZE(strings)];
        _cleanup_(ytree_freep) struct ynode *t = NULL;
        struct urun_error err = {0};
        char doc[64];
        const char *s;
        int r;

        snprintf(doc, sizeof(doc), "x: %s\n", text);
        r = ytree_parse(doc, strlen(doc), &t, &err);
        if (r == 0)
            r = ynode_string(ynode_get(t, "x"), "x", &s, &err);
        if ((r == 0) != want) {
            printf("# plain '%s' %s a string\n", text, want ? "should be" : "should not be");
            *(want ? &ok_strings : &ok_others) = false;
        }
    }
    TAP_OK(ok_strings, "plain scalars that are strings");
    TAP_OK(ok_others, "plain numbers, booleans and nulls are not strings");
}

/* ---- JSON as YAML ---- */

static void expect_parses(const char *doc, size_t len, const char *what, struct ynode **ret)
{
    struct urun_error err = {0};
    int r = ytree_parse(doc, len, ret, &err);

    TAP_OK(r == 0, "%s", what);
    if (r < 0)
        printf("#   error: %s\n", err.msg);
}

static void test_json_quirks(void)
{
    struct str s = {0};
    struct ynode *t = NULL;
    const struct ynode *n;

    PARSES("\t{\"a\":\t\"b\"}\n\t\n", "tabs before, inside, after JSON", &t);
    TAP_OK(t && (n = ynode_get(t, "a")) && !strcmp(n->scalar, "b"), "tabbed JSON value");
    ytree_free(t);
    t = NULL;

    /* Keys longer than libyaml's 1024-character simple-key limit, first and not first in the map. */
    str_add(&s, "{\"k\": 1, \"");
    str_repeat(&s, "x", 3000);
    str_add(&s, "\"  :\t\"long\", \"n\": {\"");
    str_repeat(&s, "y", 2000);
    str_add(&s, "\": [\"\\\"?\\\\\"]}}");
    expect_parses(s.p, s.len, "JSON keys of 3000 and 2000 bytes", &t);
    TAP_OK(t && t->n == 3 && strlen(t->pairs[1].key) == 3000 && !strcmp(t->pairs[1].value->scalar, "long"),
           "long key kept with its value");
    n = t ? ynode_get(t, "n") : NULL;
    TAP_OK(n && n->n == 1 && strlen(n->pairs[0].key) == 2000 && !strcmp(n->pairs[0].value->items[0]->scalar, "\"?\\"),
           "nested long key kept; escaped quote and backslash survive");
    ytree_free(t);
    t = NULL;
    s.len = 0;

    /* One 2 MB line of 20000 environment entries (annotations are bounded to far less). */
    str_add(&s, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],"
                "\"user\":{\"uid\":0,\"gid\":0},\"env\":[");
    for (int i = 0; i < 20000; i++)
        str_add(&s, "%s\"ORG_EXAMPLE_VARIABLE_NUMBER_%d=%0*d\"", i ? "," : "", i, 60, i);
    str_add(&s, "]}}");
    {
        _cleanup_(spec_freep) struct urun_spec *spec = NULL;
        struct urun_error err = {0};
        int r = spec_parse(s.p, s.len, &spec, &err);
        char *const *env = spec && spec->process ? spec->process->env : NULL;

        TAP_OK(r == 0 && env && env[19999] && !env[20000], "one %zu-byte line of JSON", s.len);
        if (r < 0)
            printf("#   error: %s\n", err.msg);
        TAP_OK(env && env[19999] && strlen(env[19999]) == strlen("ORG_EXAMPLE_VARIABLE_NUMBER_19999=") + 60,
               "last entry of the long line");
    }
    free(s.p);

    PARSES("[\"\\ud83d\\ude00\", \"\\u00e9\\/\"]", "JSON escapes: surrogate pair, \\u00e9, \\/", &t);
    TAP_OK(t && t->n == 2 && !strcmp(t->items[0]->scalar, "\xF0\x9F\x98\x80") &&
               !strcmp(t->items[1]->scalar, "\xC3\xA9/"),
           "JSON escapes decode to UTF-8");
    TAP_OK(t && !t->items[0]->plain, "a JSON string is not plain");
    ytree_free(t);
    t = NULL;
    TREE_ERR("[\"\\ud83d\"]", "invalid Unicode character escape", "lone surrogate");
    PARSES("\xEF\xBB\xBF{\"a\": 1}", "UTF-8 byte order mark", &t);
    ytree_free(t);
}

/* ---- limits and hostile documents ---- */

static void test_limits(void)
{
    struct str s = {0};
    struct ynode *t = NULL;

    str_repeat(&s, "[", SPEC_MAX_DEPTH);
    str_repeat(&s, "]", SPEC_MAX_DEPTH);
    expect_parses(s.p, s.len, "nesting of exactly 64 levels", &t);
    ytree_free(t);
    t = NULL;
    s.len = 0;
    str_repeat(&s, "[", SPEC_MAX_DEPTH + 1);
    str_repeat(&s, "]", SPEC_MAX_DEPTH + 1);
    expect_tree_error(s.p, s.len, "nesting deeper than 64 levels", "65 levels of sequences");
    s.len = 0;
    str_repeat(&s, "{\"a\":", 500000);
    expect_tree_error(s.p, s.len, "nesting deeper than 64 levels", "half a million unclosed maps");
    s.len = 0;
    for (int i = 0; i < 70; i++)
        str_add(&s, "%*sk:\n", 2 * i, "");
    expect_tree_error(s.p, s.len, "k.k.k.k", "block nesting names the path");

    s.len = 0;
    str_add(&s, "{\"ociVersion\": \"");
    str_repeat(&s, "v", SPEC_MAX_SCALAR);
    str_add(&s, "\"}");
    expect_parses(s.p, s.len, "a string of exactly SPEC_MAX_SCALAR bytes", &t);
    ytree_free(t);
    t = NULL;
    s.len = 0;
    str_add(&s, "{\"a\": [\"x\", \"");
    str_repeat(&s, "v", SPEC_MAX_SCALAR + 1);
    str_add(&s, "\"]}");
    expect_tree_error(s.p, s.len, "a[1]: string longer than 262144 bytes", "huge string");
    s.len = 0;
    str_add(&s, "{\"");
    str_repeat(&s, "k", SPEC_MAX_SCALAR + 1);
    str_add(&s, "\": 1}");
    expect_tree_error(s.p, s.len, "key longer than 262144 bytes", "huge key");

    s.len = 0;
    str_add(&s, "{\"a\": {\"b\": [0");
    str_repeat(&s, ",0", SPEC_MAX_ITEMS);
    str_add(&s, "]}}");
    expect_tree_error(s.p, s.len, "a.b: more than 65536 entries", "too many items in a sequence");
    s.len = 0;
    str_add(&s, "{");
    for (int i = 0; i <= SPEC_MAX_ITEMS; i++)
        str_add(&s, "%sk%d: 0", i ? "," : "", i);
    str_add(&s, "}");
    expect_tree_error(s.p, s.len, "more than 65536 entries", "too many keys in a map");
    s.len = 0;
    str_add(&s, "[");
    for (int i = 0; i < 5; i++) {
        str_add(&s, "%s[0", i ? "," : "");
        str_repeat(&s, ",0", 50000);
        str_add(&s, "]");
    }
    str_add(&s, "]");
    expect_tree_error(s.p, s.len, "document has more than 200000 nodes", "too many nodes");

    s.len = 0;
    str_add(&s, "{\"a\": \"");
    str_repeat(&s, "x", SPEC_MAX_BYTES);
    str_add(&s, "\"}");
    expect_tree_error(s.p, s.len, "document larger than 4194304 bytes", "document too large");
    free(s.p);
}

static void test_hostile(void)
{
    static const char nul_in_input[] = "a: b\0c\n";
    static const char laughs[] = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n";
    struct str s = {0};

    TREE_ERR(laughs, "a: anchors (&a) are not supported (line 1)", "billion laughs");
    TREE_ERR("b: *x\n", "b: aliases (*x) are not supported (line 1)", "alias");
    TREE_ERR("a: !!str 5\n", "a: tags (tag:yaml.org,2002:str) are not supported", "tag");
    TREE_ERR("a: 1\nb:\n  c: 2\n  c: 3\n", "b.c: duplicate key (line 4)", "duplicate key names its path");
    TREE_ERR("{\"x\": [{\"a\": 1, \"a\": 2}]}", "x[0].a: duplicate key (line 1)", "duplicate JSON key");
    s.len = 0;
    str_add(&s, "{");
    for (int i = 0; i < 5000; i++)
        str_add(&s, "k%d: %d, ", i, i);
    str_add(&s, "k4321: 0}");
    expect_tree_error(s.p, s.len, "k4321: duplicate key", "duplicate among 5000 keys");
    free(s.p);
    TREE_ERR("? [a]\n: b\n", "map keys must be scalars", "sequence as a key");
    TREE_ERR("{{a: 1}: 2}", "map keys must be scalars", "map as a flow key");
    TREE_ERR("", "empty document", "empty input");
    TREE_ERR("# nothing\n\n", "empty document", "only a comment");
    TREE_ERR("a: 1\n---\nb: 2\n", "line 2: more than one document", "two documents");
    TREE_ERR("{}\n---\n", "more than one document", "an empty second document");
    TREE_ERR("a: \xff\n", "byte 3: invalid leading UTF-8 octet (#FF)", "invalid UTF-8");
    TREE_ERR("a: \xc3\x28\n", "invalid trailing UTF-8 octet", "truncated UTF-8 sequence");
    TREE_ERR(nul_in_input, "control characters are not allowed", "NUL byte");
    TREE_ERR("a: \"x\\0y\"\n", "a: string contains a NUL character (line 1)", "escaped NUL");
    TREE_ERR("a: b: c\n", "line 1, column 5: mapping values are not allowed in this context",
             "libyaml message with line and column");
    TREE_ERR("{\"a\": 1,\n \"b\" 2}\n", "line 2, column", "broken JSON has a position");
    TREE_ERR("[[[{\"a\": [1", "line 2, column 1: did not find expected ',' or ']'", "unclosed flow collections");
    TREE_ERR("\x01\x02\x03garbage", "control characters are not allowed", "binary garbage");
    TREE_ERR("key: 'unterminated\n", "found unexpected end of stream", "unterminated quote");
}

/* ---- small accepted configs ---- */

static void test_minimal(void)
{
    static const char doc[] = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"process\": "
                              "{\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}, "
                              "\"env\": null, \"capabilities\": null}, \"hooks\": {}, \"linux\": {\"resources\": "
                              "{\"x\": [\"a\\\"b\\\\c\\n\\u0001\", null, 1.5e3, -0.25, 01, \"true\"]}}}";
    _cleanup_(spec_freep) struct urun_spec *s = NULL;
    struct urun_error err = {0};
    int r = spec_parse(doc, strlen(doc), &s, &err);

    TAP_OK(r == 0 && s, "minimal config parses");
    if (r < 0) {
        printf("#   error: %s\n", err.msg);
        return;
    }
    TAP_OK(!s->root_readonly && !s->hostname && !s->mounts && !s->n_mounts && !s->annotations,
           "absent optional fields are zero");
    TAP_OK(!s->process->env && !s->process->capabilities && !s->process->terminal && !s->process->has_oom_score_adj &&
               !s->process->user.has_umask,
           "null counts as absent");
    TAP_OK(s->hooks[SPEC_HOOK_PRESTART].n == 0 && !s->hooks[SPEC_HOOK_POSTSTOP].hooks, "empty hooks");
    TAP_OK(s->linux_ && !s->linux_->namespaces && !s->linux_->seccomp && !s->linux_->time_boottime.present,
           "empty linux");
    TAP_STREQ(s->linux_ ? s->linux_->resources_json : NULL,
              "{\"x\":[\"a\\\"b\\\\c\\u000a\\u0001\",null,1.5e3,-0.25,\"01\",\"true\"]}",
              "resources re-serialised: escapes, null, numbers, quoted \"true\"");
    TAP_OK(spec_find_namespace(s, SPEC_NS_PID) == NULL && spec_find_namespace(NULL, SPEC_NS_PID) == NULL,
           "spec_find_namespace of an absent namespace");

    _cleanup_(spec_freep) struct urun_spec *s2 = NULL;
    static const char noproc[] = "ociVersion: 1.0.2\nroot:\n  path: /abs/rootfs\nunknown: [1, {a: b}]\n";
    r = spec_parse(noproc, strlen(noproc), &s2, &err);
    TAP_OK(r == 0 && s2 && !s2->process && !s2->linux_, "config without process or linux");
}

static void test_names(void)
{
    bool ok = true;

    for (int i = 0; i < SPEC_NS__MAX; i++)
        ok = ok && spec_ns_from_name(spec_ns_name((enum spec_ns_type)i)) == i;
    TAP_OK(ok, "spec_ns_name and spec_ns_from_name round-trip");
    TAP_STREQ(spec_ns_name(SPEC_NS_NETWORK), "network", "spec_ns_name(NETWORK)");
    TAP_OK(spec_ns_from_name("net") == -1 && spec_ns_from_name("") == -1 && spec_ns_from_name(NULL) == -1,
           "unknown namespace names");
    TAP_OK(spec_ns_name(SPEC_NS__MAX) == NULL, "spec_ns_name out of range");
    TAP_STREQ(spec_hook_name(SPEC_HOOK_CREATE_RUNTIME), "createRuntime", "spec_hook_name(CREATE_RUNTIME)");
    TAP_STREQ(spec_hook_name(SPEC_HOOK_POSTSTOP), "poststop", "spec_hook_name(POSTSTOP)");
    TAP_OK(spec_hook_name(SPEC_HOOK__MAX) == NULL, "spec_hook_name out of range");
    spec_free(NULL);
    ytree_free(NULL);
    TAP_OK(true, "spec_free(NULL) and ytree_free(NULL)");
}

int main(void)
{
    check_full("config-full.json");
    check_full("config.yaml");
    test_readers();
    test_plain_strings();
    test_json_quirks();
    test_limits();
    test_hostile();
    test_minimal();
    test_names();
    return tap_done();
}
