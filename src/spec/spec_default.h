/* The config.json that `urun spec` writes: runc's default, adjusted so that it runs as-is.  With
 * --rootless it has a user namespace without explicit mappings, so it is portable: whoever runs it
 * gets root mapped to themselves and then their subordinate ranges, and root can prepare bundles
 * for every user (HPC sites, Slurm).  No network of its own but loopback, as with runc and crun. */
#pragma once

#include <stdbool.h>

/* A malloc'd, pretty-printed JSON document (NULL only if the writer was misused: a bug). */
char *spec_default_json(bool rootless);
