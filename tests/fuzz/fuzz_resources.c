/* linux.resources to cgroup v2 writes (resources.c), reached the two ways urun reaches it: the input
 * as an `update --resources` document (ytree_parse, then resources_to_writes), and the input as a
 * config whose linux.resources spec_parse kept as JSON, which create parses again (cgroup.c).  Every
 * write must name a plain file of the container's own cgroup directory, never one urun manages. */
#include <string.h>

#include "fuzz.h"
#include "spec/resources.h"
#include "spec/yamltree.h"

static void check_writes(const struct cg_writes *w)
{
    static const char *const managed[] = {"cgroup.procs",
                                          "cgroup.threads",
                                          "cgroup.subtree_control",
                                          "cgroup.kill",
                                          "cgroup.freeze",
                                          "cgroup.type",
                                          NULL};

    for (size_t i = 0; i < w->n; i++) {
        const struct cg_write *c = &w->v[i];
        FUZZ_CHECK(c->controller && c->file && c->value && c->field);
        FUZZ_CHECK(!strchr(c->controller, '/'));
        FUZZ_CHECK(c->file[0] && c->file[0] != '.' && !strchr(c->file, '/'));
        for (size_t k = 0; managed[k]; k++)
            FUZZ_CHECK(strcmp(c->file, managed[k]) != 0);
    }
    for (size_t i = 0; i < w->n_unsupported; i++)
        FUZZ_CHECK(w->unsupported[i]);
}

/* One document to writes, as update and create do.  Returns what ytree_parse returned. */
static int convert(const char *buf, size_t len, const char *path)
{
    _cleanup_(ytree_freep) struct ynode *tree = NULL;
    struct cg_writes w = {0};
    struct urun_error err = {0};
    int r = ytree_parse(buf, len, &tree, &err);

    fuzz_note("ytree_parse", r, &err);
    FUZZ_CHECK_ERROR(r, err);
    if (r < 0)
        return r;
    r = resources_to_writes(tree, path, &w, &err);
    fuzz_note("resources_to_writes", r, &err);
    FUZZ_CHECK_ERROR(r, err);
    if (r >= 0)
        check_writes(&w);
    cg_writes_clear(&w);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(spec_freep) struct urun_spec *s = NULL;

    convert((const char *)data, size, "--resources");
    s = fuzz_spec_parse(data, size);
    if (!s || !s->linux_ || !s->linux_->resources_json)
        return 0;
    /* What spec_parse kept must read back at create. */
    FUZZ_CHECK(convert(s->linux_->resources_json, strlen(s->linux_->resources_json), "linux.resources") >= 0);
    return 0;
}
