/* The container init: the first process in the container's namespaces.  It finishes the container's
 * setup, reports READY (or the step that failed, with its errno) over the sync socket, waits for the
 * go-ahead, blocks on the exec fifo until `start`, and then execs the user's process.
 * It runs in a child of urun that shares nothing with it but the copied fd table. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"

struct urun_seccomp;
struct nsjoin;

struct init_args {
    const char *id;
    const char *owner_name; /* the caller's, resolved on the host: for the state documents hooks get */
    const struct urun_spec *spec;
    struct urun_seccomp *seccomp; /* built by the parent, loaded here; NULL for none */
    const char *rootfs;
    const char *bundle;
    int sync_fd;      /* our end of the sync socketpair */
    int fifo_fd;      /* O_PATH fd of the exec fifo */
    int proc_fd;      /* O_PATH fd of the host's /proc, until the container's paths are resolved */
    int ns_listen_fd; /* listening socket of nsshare.h: hands our namespaces to exec/ps until start */
    bool wait_maps;   /* a new user namespace: wait for SYNC_MAPS_DONE first */
    unsigned long early_unshare; /* namespaces to make right after clone, while urun writes the maps */
    const struct nsjoin *join; /* namespaces to join by path; NULL for none */
    unsigned long unshare_flags; /* namespaces to create after joining a user namespace */
    bool respawn;     /* fork once more after joining (a pid/time namespace only takes children) */
    bool time_offsets; /* make the time namespace here (unshare), write linux.timeOffsets, then respawn */
    bool new_netns;
    bool new_utsns;
    bool no_pivot;
    bool no_new_keyring;
    bool terminal;    /* process.terminal: make a pty, send its master with SYNC_READY */
    int preserve_fds; /* everything from fd 3 on that the process gets, listen fds included */
    int listen_fds;
};

/* Pieces `exec` shares with the init (exec.c). */
struct urun_error;
int init_find_executable(const struct spec_process *p, char *out, size_t size, struct urun_error *err);
int init_setup_terminal(const struct spec_process *p, bool bind_console, int *ret_master, int *ret_slave,
                        struct urun_error *err);
int init_attach_terminal(int slave, struct urun_error *err);
int init_become_root(struct urun_error *err);
char **init_process_env(const struct spec_process *p, int n_listen_fds);

/* Whether create pauses after the mounts for prestart/createRuntime/createContainer hooks. */
bool init_has_create_hooks(const struct urun_spec *s);

_Noreturn void init_main(const struct init_args *a);
