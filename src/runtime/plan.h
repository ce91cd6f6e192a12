/* The create plan: everything `create` will do, worked out from the loaded bundle and the command's
 * options before anything exists.  plan_create makes every decision (which namespaces clone makes,
 * which the init makes, which it joins; the ID maps and how they are written; whether the init forks
 * again; seccomp; the network; the cgroup limits; the hooks; the sync phases) and every check that
 * can refuse the container.  It reads the host (the caller's IDs, /etc/subuid, the namespaces a spec
 * joins by path) but changes nothing: no state, process, mount or file exists because of it.  The
 * parent (create.c) and the init (container/init.c) then both act on the same plan and decide
 * nothing again. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "idmap/idmap.h"
#include "netns/netns.h"
#include "runtime/cgroup.h"
#include "runtime/nsjoin.h"
#include "runtime/state.h"
#include "spec/bundle.h"

struct urun_seccomp;

/* What `create` and `run` were asked for on the command line. */
struct create_plan_opts {
    int rootless;        /* -1 auto, 0 false, 1 true */
    bool foreground;     /* `run` without --detach */
    bool console_socket; /* --console-socket given */
    bool stdin_tty;      /* stdin is a terminal (a foreground terminal container needs one) */
    bool no_pivot, no_new_keyring;
    int preserve_fds, listen_fds;
    const char *network;  /* --network, or NULL */
    char *const *publish; /* --publish values, NULL-terminated, or NULL */
    bool allow_host_loopback;
};

/* Facts about the host the plan depends on (plan_host_probe), apart so that tests can set them. */
struct plan_host {
    uid_t euid;
    bool initial_userns; /* real root of the initial user namespace */
    bool has_timens;     /* the kernel has time namespaces */
};

struct create_plan {
    /* Namespaces: clone makes clone_flags; the init makes early_unshare right away (while urun
     * writes the maps); after joining `join` it makes unshare_flags (they then belong to a joined
     * user namespace).  made_flags: every namespace made for the container; own_flags: those and the
     * joined ones that are not urun's own. */
    unsigned long clone_flags, early_unshare, unshare_flags, made_flags, own_flags;
    struct nsjoin join;
    bool become_root;  /* setresuid(0) in the (new or joined) user namespace */
    bool respawn;      /* the init forks once more: a pid or time namespace only takes children */
    bool time_offsets; /* the init makes the time namespace and writes linux.timeOffsets */
    /* A new user namespace (clone_flags & CLONE_NEWUSER): these maps, written by urun. */
    struct idmap_user user;
    struct idmap maps;
    bool chown_fifo; /* real root making a userns container: the exec fifo goes to its root */
    uid_t fifo_uid;
    gid_t fifo_gid;
    struct netns_config net;      /* net.slirp: start the helper; net.host: no network namespace */
    bool resolv_conf;             /* slirp: bind a resolv.conf from the state directory (the rootfs has one) */
    struct urun_seccomp *seccomp; /* NULL: none */
    struct cgroup_limits limits;
    unsigned phases;                       /* enum sync_phase bits (runtime/sync.h) */
    char owner_name[STATE_OWNER_NAME_MAX]; /* the caller's login name, for every state document */
    /* Passed on from the options. */
    bool terminal, no_pivot, no_new_keyring;
    int preserve_fds, listen_fds;
};

/* Read the host facts. */
void plan_host_probe(struct plan_host *ret);

/* Plan the container of bundle b (whose spec it may adjust: --network host drops the network
 * namespace; unraisable ambient capabilities are dropped with a warning).  Warnings go to the log.
 * On error nothing is left to free; on success free with plan_clear. */
int plan_create(struct urun_bundle *b, const struct create_plan_opts *o, const struct plan_host *host,
                struct create_plan *ret, struct urun_error *err);
void plan_clear(struct create_plan *p);

/* process.user as idmap_check_user takes it. */
#define PLAN_IDS(u)                                                      \
    {                                                                    \
        (u)->uid, (u)->gid, (u)->additional_gids, (u)->n_additional_gids \
    }

/* The caller's ID delegation (idmap_user_load) and the maps for the given spec maps (none: the
 * default maps), with every warning on the way (skipped subuid lines, an own-ID fallback) written to
 * the log.  `unshare` uses it too. */
int plan_maps(const struct spec_linux *lx, struct idmap_user *u, struct idmap *m, struct urun_error *err);
