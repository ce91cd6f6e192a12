/* `urun features`: the OCI features document (runtime-spec features.md), generated from the same
 * tables the code uses, so it cannot claim what urun does not do. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "cli/commands.h"
#include "container/mounts.h"
#include "container/seccomp_filter.h"
#include "spec/spec.h"

/* key: {"enabled": false}: a feature urun does not have */
static void disabled(struct json_writer *w, const char *key)
{
    json_key(w, key);
    json_begin_object(w);
    json_kv_bool(w, "enabled", false);
    json_end_object(w);
}

static void capabilities(struct json_writer *w)
{
    json_key(w, "capabilities");
    json_begin_array(w);
    for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
        char *name = cap_to_name(c), up[64];
        size_t i = 0;
        for (; name && name[i] && i < sizeof(up) - 1; i++)
            up[i] = (char)toupper((unsigned char)name[i]);
        up[i] = '\0';
        if (strncmp(up, "CAP_", 4) == 0)
            json_string(w, up);
        cap_free(name);
    }
    json_end_array(w);
}

static void linux_section(struct json_writer *w)
{
    json_key(w, "linux");
    json_begin_object(w);
    json_key(w, "namespaces");
    json_begin_array(w);
    for (int t = 0; t < SPEC_NS__MAX; t++)
        json_string(w, spec_ns_name((enum spec_ns_type)t));
    json_end_array(w);
    capabilities(w);
    json_key(w, "cgroup");
    json_begin_object(w);
    /* cgroup v2 where delegated (cgroup.c); no v1 hierarchies, no systemd */
    json_kv_bool(w, "v1", false);
    json_kv_bool(w, "v2", true);
    json_kv_bool(w, "systemd", false);
    json_kv_bool(w, "systemdUser", false);
    json_kv_bool(w, "rdma", true);
    json_end_object(w);
    json_key(w, "seccomp");
    json_begin_object(w);
    json_kv_bool(w, "enabled", true);
    json_kv_string_array(w, "actions", urun_seccomp_actions);
    json_kv_string_array(w, "operators", urun_seccomp_ops);
    json_kv_string_array(w, "archs", urun_seccomp_archs);
    json_kv_string_array(w, "knownFlags", urun_seccomp_flags);
    json_kv_string_array(w, "supportedFlags", urun_seccomp_flags);
    json_end_object(w);
    disabled(w, "apparmor");
    disabled(w, "selinux");
    disabled(w, "intelRdt");
    json_key(w, "mountExtensions");
    json_begin_object(w);
    disabled(w, "idmap");
    json_end_object(w);
    json_end_object(w);
}

int cmd_features(struct urun_context *ctx, struct urun_error *err)
{
    struct json_writer w;
    json_init(&w, /* pretty= */ true);
    json_begin_object(&w);
    json_kv_string(&w, "ociVersionMin", "1.0.0");
    json_kv_string(&w, "ociVersionMax", "1.2.0");
    json_key(&w, "hooks");
    json_begin_array(&w);
    for (int k = 0; k < SPEC_HOOK__MAX; k++)
        json_string(&w, spec_hook_name((enum spec_hook_kind)k));
    json_end_array(&w);
    json_key(&w, "mountOptions");
    json_begin_array(&w);
    for (size_t i = 0; mounts_option_name(i); i++)
        json_string(&w, mounts_option_name(i));
    json_end_array(&w);
    linux_section(&w);
    json_key(&w, "annotations");
    json_begin_object(&w);
    json_kv_string(&w, "run.urun.rootless", "true");
    json_end_object(&w);
    json_end_object(&w);
    _cleanup_free_ char *s = json_steal(&w, NULL);
    json_free(&w);
    if (!s)
        return urun_error_set(err, 12, "features");
    puts(s);
    return 0;
}
