/* `run`: create + start in one process, which stays the init's parent, forwards the signals it gets
 * to the container, returns the container's exit status (128+N for signal N) and deletes it. */
#pragma once

#include <stdbool.h>

#include "container.h"

struct run_opts {
    struct container_create_opts create;
    bool detach;
    bool keep;
};

int container_run(const struct state_root *root, const struct run_opts *o, int *ret_exit, struct urun_error *err);
