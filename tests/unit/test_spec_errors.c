/* Unit tests for spec.c's refusals: the exact message of each error, field path first, and every
 * field limit at its maximum and one byte over. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "spec-test.h"

/* ---- spec errors: the exact message, field path first ---- */

#define BASE "ociVersion: 1.0.2\nroot: {path: rootfs}\n"
#define PROC(fields) BASE "process: {cwd: /, user: {uid: 0, gid: 0}, " fields "}\n"
#define ARGS "args: [sh], "
#define LNX(fields) BASE "linux: {" fields "}\n"

static const struct {
    const char *doc;
    const char *msg;
} spec_errors[] = {
    {"[1, 2]\n", "expected an object at the top level"},
    {"just a string\n", "expected an object at the top level"},
    {"---\n", "expected an object at the top level"},
    {"root: {path: r}\n", "ociVersion: required"},
    {"ociVersion: null\nroot: {path: r}\n", "ociVersion: required"},
    {"ociVersion: [1]\nroot: {path: r}\n", "ociVersion: expected a string"},
    {"{\"ociVersion\": 1, \"root\": {\"path\": \"r\"}}", "ociVersion: expected a string"},
    {"{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": 42}}", "root.path: expected a string"},
    {"ociVersion: 1.0\nroot: {path: r}\n", "ociVersion: expected a string"},
    {"ociVersion: 1.0.2\n", "root: required"},
    {"ociVersion: 1.0.2\nroot: [r]\n", "root: expected an object"},
    {"ociVersion: 1.0.2\nroot: {readonly: true}\n", "root.path: required"},
    {"ociVersion: 1.0.2\nroot: {path: ''}\n", "root.path: must not be empty"},
    {"ociVersion: 1.0.2\nroot: {path: r, readonly: 'true'}\n", "root.readonly: expected a boolean"},
    {BASE "process: [sh]\n", "process: expected an object"},
    {PROC(""), "process.args: required"},
    {PROC("args: []"), "process.args: must be a non-empty array"},
    {PROC("args: sh"), "process.args: expected an array"},
    {PROC("args: [{a: 1}]"), "process.args[0]: expected a string"},
    {PROC("args: [sh, null]"), "process.args[1]: expected a string"},
    {BASE "process: {\"args\": [\"sh\", 1], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}\n",
     "process.args[1]: expected a string"},
    {PROC("args: [sh, true]"), "process.args[1]: expected a string"},
    {PROC(ARGS "env: [A=1, [B]]"), "process.env[1]: expected a string"},
    {BASE "process: {args: [sh], user: {uid: 0, gid: 0}}\n", "process.cwd: required"},
    {BASE "process: {args: [sh], cwd: tmp, user: {uid: 0, gid: 0}}\n", "process.cwd: must be an absolute path"},
    {BASE "process: {args: [sh], cwd: /}\n", "process.user: required"},
    {BASE "process: {args: [sh], cwd: /, user: 0}\n", "process.user: expected an object"},
    {BASE "process: {args: [sh], cwd: /, user: {gid: 0}}\n", "process.user.uid: required"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0}}\n", "process.user.gid: required"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 4294967296, gid: 0}}\n", "process.user.uid: value out of range"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: -1, gid: 0}}\n", "process.user.uid: value out of range"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: \"0\", gid: 0}}\n", "process.user.uid: expected an integer"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 1.0}}\n", "process.user.gid: expected an integer"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 0x10}}\n", "process.user.gid: expected an integer"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 0, additionalGids: [1, x]}}\n",
     "process.user.additionalGids[1]: expected an integer"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 0, additionalGids: 1}}\n",
     "process.user.additionalGids: expected an array"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 0, umask: 0022}}\n",
     "process.user.umask: expected an integer without leading zeros"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 0, username: [a]}}\n",
     "process.user.username: expected a string"},
    {PROC(ARGS "terminal: 1"), "process.terminal: expected a boolean"},
    {PROC(ARGS "consoleSize: {height: 1}"), "process.consoleSize.width: required"},
    {PROC(ARGS "consoleSize: {height: -1, width: 1}"), "process.consoleSize.height: value out of range"},
    {PROC(ARGS "capabilities: [CAP_KILL]"), "process.capabilities: expected an object"},
    {PROC(ARGS "capabilities: {bounding: [CAP_KILL, [x]]}"), "process.capabilities.bounding[1]: expected a string"},
    {PROC(ARGS "capabilities: {ambient: CAP_KILL}"), "process.capabilities.ambient: expected an array"},
    {PROC(ARGS "rlimits: [{type: RLIMIT_NOFILE, hard: 1}]"), "process.rlimits[0].soft: required"},
    {PROC(ARGS "rlimits: [{hard: 1, soft: 1}]"), "process.rlimits[0].type: required"},
    {PROC(ARGS "rlimits: [{type: A, hard: 1, soft: 1}, {type: B, hard: 18446744073709551616, soft: 1}]"),
     "process.rlimits[1].hard: value out of range"},
    {PROC(ARGS "rlimits: {type: A}"), "process.rlimits: expected an array"},
    {PROC(ARGS "rlimits: [[1]]"), "process.rlimits[0]: expected an object"},
    {PROC(ARGS "noNewPrivileges: yes"), "process.noNewPrivileges: expected a boolean"},
    {PROC(ARGS "apparmorProfile: {}"), "process.apparmorProfile: expected a string"},
    {PROC(ARGS "selinuxLabel: [x]"), "process.selinuxLabel: expected a string"},
    {PROC(ARGS "oomScoreAdj: 1001"), "process.oomScoreAdj: must be between -1000 and 1000"},
    {PROC(ARGS "oomScoreAdj: -1001"), "process.oomScoreAdj: must be between -1000 and 1000"},
    {PROC(ARGS "oomScoreAdj: 99999999999999999999"), "process.oomScoreAdj: value out of range"},
    {BASE "hostname: {a: 1}\n", "hostname: expected a string"},
    {BASE "domainname: [a]\n", "domainname: expected a string"},
    {BASE "mounts: {}\n", "mounts: expected an array"},
    {BASE "mounts: [{type: tmpfs}]\n", "mounts[0].destination: required"},
    {BASE "mounts: [{destination: /a}, {destination: /b}, {destination: /c}, {destination: d}]\n",
     "mounts[3].destination: must be an absolute path"},
    {BASE "mounts: [{destination: /a, options: ro}]\n", "mounts[0].options: expected an array"},
    {BASE "mounts: [{destination: /a, source: [x]}]\n", "mounts[0].source: expected a string"},
    {BASE "mounts: [{destination: /a, uidMappings: [{containerID: 0, hostID: 1, size: 0}]}]\n",
     "mounts[0].uidMappings[0].size: must be greater than zero"},
    {BASE "hooks: []\n", "hooks: expected an object"},
    {BASE "hooks: {prestart: [{args: [a]}]}\n", "hooks.prestart[0].path: required"},
    {BASE "hooks: {createRuntime: [{path: /a}, {path: bin/hook}]}\n",
     "hooks.createRuntime[1].path: must be an absolute path"},
    {BASE "hooks: {poststop: [{path: /a, timeout: 0}]}\n", "hooks.poststop[0].timeout: must be greater than zero"},
    {BASE "hooks: {poststart: [{path: /a, timeout: -5}]}\n", "hooks.poststart[0].timeout: must be greater than zero"},
    {BASE "hooks: {startContainer: [{path: /a, timeout: 4294967296}]}\n",
     "hooks.startContainer[0].timeout: value out of range"},
    {BASE "hooks: {createContainer: [{path: /a, env: [a, {}]}]}\n",
     "hooks.createContainer[0].env[1]: expected a string"},
    {BASE "annotations: [a]\n", "annotations: expected an object"},
    {BASE "annotations: {a: b, c: [1]}\n", "annotations.c: expected a string"},
    {BASE "annotations: {a: b, c: ~}\n", "annotations.c: expected a string"},
    {BASE "annotations: {a: b, c: 5}\n", "annotations.c: expected a string"},
    {LNX("uidMappings: [{containerID: 0, hostID: \"1000\", size: 1}]"),
     "linux.uidMappings[0].hostID: expected an integer"},
    {BASE "linux: []\n", "linux: expected an object"},
    {LNX("namespaces: [{type: pid}, {type: mount}, {type: foo}]"),
     "linux.namespaces[2].type: unknown namespace type \"foo\""},
    {LNX("namespaces: [{type: pid}, {type: network}, {type: pid}]"),
     "linux.namespaces[2].type: namespace \"pid\" listed twice"},
    {LNX("namespaces: [{path: /proc/1/ns/pid}]"), "linux.namespaces[0].type: required"},
    {LNX("namespaces: [{type: PID}]"), "linux.namespaces[0].type: unknown namespace type \"PID\""},
    {LNX("namespaces: [{type: network, path: x}]"), "linux.namespaces[0].path: must be an absolute path"},
    {LNX("namespaces: [pid]"), "linux.namespaces[0]: expected an object"},
    {LNX("uidMappings: [{containerID: 0, hostID: 1000, size: 0}]"),
     "linux.uidMappings[0].size: must be greater than zero"},
    {LNX("uidMappings: [{containerID: 4294967295, hostID: 1, size: 1}]"),
     "linux.uidMappings[0]: containerID + size overflows a 32-bit ID"},
    {LNX("gidMappings: [{containerID: 0, hostID: 1, size: 1}, {containerID: 1, hostID: 4294967000, size: 1000}]"),
     "linux.gidMappings[1]: hostID + size overflows a 32-bit ID"},
    {LNX("gidMappings: [{containerID: 0, size: 1}]"), "linux.gidMappings[0].hostID: required"},
    {LNX("uidMappings: [{containerID: 0, hostID: 4294967296, size: 1}]"),
     "linux.uidMappings[0].hostID: value out of range"},
    {LNX("sysctl: {a: {}}"), "linux.sysctl.a: expected a string"},
    {LNX("sysctl: [a]"), "linux.sysctl: expected an object"},
    {LNX("cgroupsPath: [a]"), "linux.cgroupsPath: expected a string"},
    {LNX("maskedPaths: [/proc/kcore, proc/x]"), "linux.maskedPaths[1]: must be an absolute path"},
    {LNX("readonlyPaths: /proc/sys"), "linux.readonlyPaths: expected an array"},
    {LNX("resources: [1]"), "linux.resources: expected an object"},
    {LNX("devices: [{path: /dev/x}]"), "linux.devices[0].type: required"},
    {LNX("devices: [{type: c, path: dev/x}]"), "linux.devices[0].path: must be an absolute path"},
    {LNX("devices: [{type: c, path: /dev/x, fileMode: '0666'}]"), "linux.devices[0].fileMode: expected an integer"},
    {LNX("devices: [{type: c, path: /dev/x, major: x}]"), "linux.devices[0].major: expected an integer"},
    {LNX("seccomp: {}"), "linux.seccomp.defaultAction: required"},
    {LNX("seccomp: {defaultAction: A, syscalls: [{names: [], action: B}]}"),
     "linux.seccomp.syscalls[0].names: must be a non-empty array"},
    {LNX("seccomp: {defaultAction: A, syscalls: [{names: [x]}]}"), "linux.seccomp.syscalls[0].action: required"},
    {LNX("seccomp: {defaultAction: A, syscalls: [{names: [x], action: B, args: [{index: -1, value: 1, op: EQ}]}]}"),
     "linux.seccomp.syscalls[0].args[0].index: value out of range"},
    {LNX("seccomp: {defaultAction: A, syscalls: [{names: [x], action: B, args: [{index: 0, value: 1}]}]}"),
     "linux.seccomp.syscalls[0].args[0].op: required"},
    {LNX("seccomp: {defaultAction: A, architectures: SCMP_ARCH_X86_64}"),
     "linux.seccomp.architectures: expected an array"},
    {LNX("seccomp: {defaultAction: A, defaultErrnoRet: true}"), "linux.seccomp.defaultErrnoRet: expected an integer"},
    {LNX("timeOffsets: {monotonic: {secs: 1, nanosecs: 1000000000}}"),
     "linux.timeOffsets.monotonic.nanosecs: must be less than 1000000000"},
    {LNX("timeOffsets: {boottime: {secs: x}}"), "linux.timeOffsets.boottime.secs: expected an integer"},
    {LNX("timeOffsets: {boottime: 5}"), "linux.timeOffsets.boottime: expected an object"},
    /* Field limits that fit in a literal (the long ones: test_field_limits). */
    {BASE "hostname: "
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "hostname: longer than 64 bytes"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 4294967295, gid: 0}}\n",
     "process.user.uid: 4294967295 is not a valid ID (at most 4294967294)"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 4294967295}}\n",
     "process.user.gid: 4294967295 is not a valid ID (at most 4294967294)"},
    {BASE "process: {args: [sh], cwd: /, user: {uid: 0, gid: 0, additionalGids: [1, 4294967295]}}\n",
     "process.user.additionalGids[1]: 4294967295 is not a valid ID (at most 4294967294)"},
    {LNX("devices: [{type: c, path: /dev/x, uid: 1, gid: 4294967295}]"),
     "linux.devices[0].gid: 4294967295 is not a valid ID (at most 4294967294)"},
    {PROC(ARGS "consoleSize: {height: 65536, width: 80}"), "process.consoleSize.height: must be at most 65535"},
    {LNX("sysctl: {'': '1'}"), "linux.sysctl: empty key"},
    {BASE "annotations: {'': x}\n", "annotations: empty key"},
    {BASE "process: {\"args\": [\"sh\"], \"cwd\": \"/a\\u0000/b\", \"user\": {\"uid\": 0, \"gid\": 0}}\n",
     "process.cwd: string contains a NUL character (line 3)"},
    {BASE "mounts: [{\"destination\": \"/x\", \"source\": \"/tmp\\u0000/etc\"}]\n",
     "mounts[0].source: string contains a NUL character (line 3)"},
    /* Errors of the document itself come through spec_parse unchanged. */
    {BASE "hostname: a\nhostname: b\n", "hostname: duplicate key (line 4)"},
    {"ociVersion: 1\nroot: {path: r\n", "line 3, column 1: did not find expected ',' or '}'"},
};

static void test_spec_errors(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(spec_errors); i++)
        expect_spec_error(spec_errors[i].doc, spec_errors[i].msg);
}

/* ---- field limits: each at its maximum, and one byte over ---- */

/* Parses pre + n times `fill` + post; msg NULL: must parse, else must fail with exactly msg.  what
 * names the case in the TAP line. */
static void expect_sized(const char *what, const char *pre, size_t n, const char *fill, const char *post,
                         const char *msg)
{
    struct urun_spec *s = NULL;
    struct urun_error err = {0};
    struct str doc = {0};
    int r;

    str_add(&doc, "%s", pre);
    str_repeat(&doc, fill, n);
    str_add(&doc, "%s", post);
    r = spec_parse(doc.p, doc.len, &s, &err);
    if (msg)
        TAP_STREQ(r < 0 ? err.msg : "(accepted)", msg, "%s: %zu x '%s' refused", what, n, fill);
    else
        TAP_OK(r == 0, "%s: %zu x '%s' accepted", what, n, fill);
    if (!msg && r < 0)
        printf("#   error: %s\n", err.msg);
    spec_free(r == 0 ? s : NULL);
    free(doc.p);
}

#define PROC_OPEN BASE "process: {user: {uid: 0, gid: 0}, "
#define JSON_OPEN "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, "

static void test_field_limits(void)
{
    static const struct {
        const char *pre, *fill, *post;
        size_t max;
        const char *msg;
    } cases[] = {
        {PROC_OPEN "args: [sh], cwd: /", "a", "}\n", SPEC_MAX_PATH - 1, "process.cwd: longer than 4095 bytes"},
        {PROC_OPEN "cwd: /, args: [/", "a", "]}\n", SPEC_MAX_PATH - 1, "process.args[0]: longer than 4095 bytes"},
        {PROC_OPEN "cwd: /, args: [sh, ", "a", "]}\n", SPEC_MAX_ARG, "process.args[1]: longer than 131071 bytes"},
        {PROC_OPEN "cwd: /, args: [sh], env: [A=1, B=", "a", "]}\n", SPEC_MAX_ARG - 2,
         "process.env[1]: longer than 131071 bytes"},
        {BASE "hooks: {poststop: [{path: /, args: [x, ", "a", "]}]}\n", SPEC_MAX_ARG,
         "hooks.poststop[0].args[1]: longer than 131071 bytes"},
        {BASE "hooks: {prestart: [{path: /", "a", "}]}\n", SPEC_MAX_PATH - 1,
         "hooks.prestart[0].path: longer than 4095 bytes"},
        {BASE "mounts: [{destination: /", "a", "}]\n", SPEC_MAX_PATH - 1,
         "mounts[0].destination: longer than 4095 bytes"},
        {BASE "mounts: [{destination: /a, source: ", "a", "}]\n", SPEC_MAX_PATH,
         "mounts[0].source: longer than 4095 bytes"},
        {"ociVersion: 1.0.2\nroot: {path: ", "a", "}\n", SPEC_MAX_PATH, "root.path: longer than 4095 bytes"},
        {BASE "linux: {maskedPaths: [/a, /", "a", "]}", SPEC_MAX_PATH - 1,
         "linux.maskedPaths[1]: longer than 4095 bytes"},
        {BASE "linux: {cgroupsPath: ", "a", "}", SPEC_MAX_PATH, "linux.cgroupsPath: longer than 4095 bytes"},
        /* JSON from here: YAML's flow keys stop at 1024 characters (yamltree.c copes for JSON only) */
        {JSON_OPEN "\"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"", "k", "\": \"1\"}}}",
         SPEC_MAX_SYSCTL_KEY,
         "linux.sysctl: key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" is longer than 255 bytes"},
        {JSON_OPEN "\"linux\": {\"sysctl\": {\"net.core.somaxconn\": \"", "1", "\"}}}", SPEC_MAX_SYSCTL_VALUE,
         "linux.sysctl.net.core.somaxconn: longer than 4095 bytes"},
        {JSON_OPEN "\"annotations\": {\"a\": \"b\", \"", "k", "\": \"v\"}}", SPEC_MAX_ANNOTATION_KEY,
         "annotations: key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" is longer than 1024 bytes"},
        {BASE "annotations: {a: b, c: ", "v", "}\n", SPEC_MAX_ANNOTATIONS - 3,
         "annotations: 131073 bytes of keys and values, more than 131072"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char what[64];

        snprintf(what, sizeof(what), "%.*s", (int)strcspn(cases[i].msg, ":"), cases[i].msg);
        expect_sized(what, cases[i].pre, cases[i].max, cases[i].fill, cases[i].post, NULL);
        expect_sized(what, cases[i].pre, cases[i].max + 1, cases[i].fill, cases[i].post, cases[i].msg);
    }
    /* The sysctl key of issue 10 (100 KB, which overflowed the init's stack buffer). */
    expect_sized("linux.sysctl 100 KB key", JSON_OPEN "\"linux\": {\"sysctl\": {\"net.", 100 << 10, "x", "\": \"1\"}}}",
                 "linux.sysctl: key \"net.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" is longer than 255 bytes");
    /* An args array at SPEC_MAX_ITEMS and above: the tree's entry limit holds for it too. */
    expect_sized("process.args count", PROC_OPEN "cwd: /, args: [sh", SPEC_MAX_ITEMS - 1, ", a", "]}\n", NULL);
    expect_sized("process.args count", PROC_OPEN "cwd: /, args: [sh", SPEC_MAX_ITEMS, ", a", "]}\n",
                 "process.args: more than 65536 entries (line 3)");
}

int main(void)
{
    test_spec_errors();
    test_field_limits();
    return tap_done();
}
