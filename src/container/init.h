/* The container init: the first process in the container's namespaces.  It carries out its half of
 * the create plan (runtime/plan.h): it finishes the container's setup, reports READY (or the step
 * that failed, with its errno) over the sync socket, waits for the go-ahead, blocks on the exec fifo
 * until `start`, and then execs the user's process through the spawn path (container/spawn.h).  It
 * runs in a child of urun that shares nothing with it but the copied memory and fd table. */
#pragma once

#include <sys/types.h>

#include "runtime/plan.h"
#include "runtime/sync.h"
#include "spec/spec.h"

struct init_args {
    const char *id;
    const struct urun_spec *spec;
    const struct create_plan *plan;
    const char *rootfs;
    const char *bundle;
    const char *owner_name; /* the caller, for the state documents hooks get (resolved on the host) */
    struct sync_chan sync;  /* our end of the sync socket, with the plan's phases */
    int fifo_fd;            /* O_PATH fd of the exec fifo */
    int proc_fd;            /* O_PATH fd of the host's /proc, until the container's paths are resolved */
    int ns_listen_fd;       /* listening socket of nsshare.h: hands our namespaces to exec/ps until start */
};

_Noreturn void init_main(const struct init_args *a);
