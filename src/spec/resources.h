/* linux.resources as cgroup v2 takes it: an OCI LinuxResources object (from config.json or from an
 * `update --resources` file) turned into the interface files to write and their values, with runc's
 * conversions (shares to weight, memory+swap to swap, blkio weight to io weight).  Settings cgroup v2
 * has no file for are listed, never dropped in silence.  Pure: a document tree in, a list out. */
#pragma once

#include <stddef.h>

#include "base/error.h"
#include "spec/yamltree.h"

struct cg_write {
    char *controller; /* "memory", "pids", ...; "" for the cgroup core's own files */
    char *file;       /* "memory.max" */
    char *value;      /* "67108864" */
    char *field;      /* where it came from: "linux.resources.memory.limit" */
};

struct cg_writes {
    struct cg_write *v;
    size_t n;
    char **unsupported; /* "linux.resources.memory.swappiness (cgroup v1 only)" */
    size_t n_unsupported;
};

/* Convert `res` (a map; NULL adds nothing) and append it to *w, which starts zeroed ({0}) and is
 * emptied with cg_writes_clear.  `path` names it in messages ("linux.resources").  Bad values (a
 * negative limit, swap below memory, a key that is not a file name) are errors naming the field; *w
 * may then hold part of the document and is for clearing only.  Device rules are not converted: see
 * README (device access in a user namespace). */
int resources_to_writes(const struct ynode *res, const char *path, struct cg_writes *w, struct urun_error *err);
void cg_writes_clear(struct cg_writes *w);

/* runc's conversions, exported for tests. */
unsigned long long resources_shares_to_weight(unsigned long long shares);
unsigned long long resources_blkio_to_io_weight(unsigned long long weight);
