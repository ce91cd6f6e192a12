/* The spec loader: config.json or config.yaml bytes through spec_parse (yamltree over libyaml, then
 * the field tables of spec.c).  A parsed spec is checked against what spec.h promises, looked up as
 * the runtime looks it up, and grown as create grows it (spec_append_bind), so that spec_free meets
 * every shape the runtime can make. */
#include "fuzz.h"

static void check_absolute(const char *path)
{
    FUZZ_CHECK(path && path[0] == '/');
}

static void check_spec(const struct urun_spec *s)
{
    FUZZ_CHECK(s->oci_version && s->oci_version[0]);
    FUZZ_CHECK(s->root_path && s->root_path[0]);
    if (s->process) {
        FUZZ_CHECK(s->process->args && s->process->args[0]);
        check_absolute(s->process->cwd);
    }
    for (size_t i = 0; i < s->n_mounts; i++)
        check_absolute(s->mounts[i].destination);
    for (int k = 0; k < SPEC_HOOK__MAX; k++)
        for (size_t i = 0; i < s->hooks[k].n; i++)
            check_absolute(s->hooks[k].hooks[i].path);
    for (int t = 0; t < SPEC_NS__MAX; t++) {
        const struct spec_namespace *ns = spec_find_namespace(s, (enum spec_ns_type)t);
        FUZZ_CHECK(!ns || ns->type == (enum spec_ns_type)t);
        if (ns && ns->path)
            check_absolute(ns->path);
    }
    for (size_t i = 0; i < s->n_annotations; i++)
        FUZZ_CHECK(spec_annotation(s, s->annotations[i].key));
    if (!s->linux_)
        return;
    for (size_t i = 0; i < s->linux_->n_devices; i++)
        check_absolute(s->linux_->devices[i].path);
    for (char **p = s->linux_->masked_paths; p && *p; p++)
        check_absolute(*p);
    for (char **p = s->linux_->readonly_paths; p && *p; p++)
        check_absolute(*p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(spec_freep) struct urun_spec *s = fuzz_spec_parse(data, size);

    if (!s)
        return 0;
    check_spec(s);
    spec_append_bind(s, "/run/notify", "/tmp", /* ro= */ true);
    return 0;
}
