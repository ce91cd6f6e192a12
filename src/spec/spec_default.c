/* Implementation of spec_default.h: data, written with the JSON writer.  No I/O. */
#include "spec/spec_default.h"

#include <stddef.h>

#include "base/cleanup.h"
#include "base/json.h"

static void mount_entry(struct json_writer *w, const char *dest, const char *type, const char *src,
                        const char *const *opts)
{
    json_begin_object(w);
    json_kv_string(w, "destination", dest);
    json_kv_string(w, "type", type);
    json_kv_string(w, "source", src);
    json_kv_string_array(w, "options", opts);
    json_end_object(w);
}

static void write_process(struct json_writer *w, const struct spec_default_opts *o)
{
    static const char *const default_args[] = {"sh", NULL};
    static const char *const default_env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                              "TERM=xterm", NULL};
    /* podman's default set: what package managers and services dropping to their own users need
     * (chown, setuid/setgid, file ownership), and nothing that reaches past the user namespace. */
    static const char *const caps[] = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE",     "CAP_FOWNER",     "CAP_FSETID",
                                       "CAP_KILL",    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",    "CAP_SETGID",
                                       "CAP_SETPCAP", "CAP_SETUID",           "CAP_SYS_CHROOT", NULL};

    json_key(w, "process");
    json_begin_object(w);
    json_kv_bool(w, "terminal", false);
    json_key(w, "user");
    json_begin_object(w);
    json_kv_uint(w, "uid", o->uid);
    json_kv_uint(w, "gid", o->gid);
    json_end_object(w);
    json_kv_string_array(w, "args", o->args ? o->args : default_args);
    json_kv_string_array(w, "env", o->env ? o->env : default_env);
    json_kv_string(w, "cwd", o->cwd ? o->cwd : "/");
    json_key(w, "capabilities");
    json_begin_object(w);
    json_kv_string_array(w, "bounding", caps);
    json_kv_string_array(w, "effective", caps);
    json_kv_string_array(w, "permitted", caps);
    json_end_object(w);
    json_key(w, "rlimits");
    json_begin_array(w);
    json_begin_object(w);
    json_kv_string(w, "type", "RLIMIT_NOFILE");
    json_kv_uint(w, "hard", 1024);
    json_kv_uint(w, "soft", 1024);
    json_end_object(w);
    json_end_array(w);
    json_kv_bool(w, "noNewPrivileges", true);
    json_end_object(w);
}

static void write_mounts(struct json_writer *w, const struct spec_default_opts *o)
{
    static const char *const bind_rw[] = {"rbind", NULL};
    static const char *const bind_ro[] = {"rbind", "ro", NULL};
    static const char *const none[] = {NULL};
    static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
    static const char *const pts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL};
    static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
    static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
    static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};

    json_key(w, "mounts");
    json_begin_array(w);
    mount_entry(w, "/proc", "proc", "proc", none);
    mount_entry(w, "/dev", "tmpfs", "tmpfs", dev);
    /* gid=5 (tty) where it is mapped; urun drops it where it is not (a single-ID user namespace) */
    mount_entry(w, "/dev/pts", "devpts", "devpts", pts);
    mount_entry(w, "/dev/shm", "tmpfs", "shm", shm);
    mount_entry(w, "/dev/mqueue", "mqueue", "mqueue", mq);
    mount_entry(w, "/sys", "sysfs", "sysfs", sys);
    mount_entry(w, "/sys/fs/cgroup", "cgroup", "cgroup", cg);
    for (size_t i = 0; i < o->n_binds; i++)
        mount_entry(w, o->binds[i].destination, "bind", o->binds[i].source, o->binds[i].ro ? bind_ro : bind_rw);
    json_end_array(w);
}

static void write_linux(struct json_writer *w, bool rootless)
{
    static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
    static const char *const masked[] = {"/proc/acpi",
                                         "/proc/asound",
                                         "/proc/kcore",
                                         "/proc/keys",
                                         "/proc/latency_stats",
                                         "/proc/timer_list",
                                         "/proc/timer_stats",
                                         "/proc/sched_debug",
                                         "/sys/firmware",
                                         "/proc/scsi",
                                         NULL};
    static const char *const ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

    json_key(w, "linux");
    json_begin_object(w);
    json_key(w, "namespaces");
    json_begin_array(w);
    for (const char *const *n = ns; *n; n++) {
        json_begin_object(w);
        json_kv_string(w, "type", *n);
        json_end_object(w);
    }
    if (rootless) {
        /* No mappings: they are worked out for whoever runs the bundle (root -> that user, then
         * the user's subordinate ranges), so a bundle root prepares runs for anyone. */
        json_begin_object(w);
        json_kv_string(w, "type", "user");
        json_end_object(w);
    }
    json_end_array(w);
    json_kv_string_array(w, "maskedPaths", masked);
    json_kv_string_array(w, "readonlyPaths", ro);
    json_end_object(w);
}

char *spec_default_json(bool rootless)
{
    struct spec_default_opts o = {.rootless = rootless};
    return spec_default_json_opts(&o);
}

char *spec_default_json_opts(const struct spec_default_opts *o)
{
    struct json_writer w;
    json_init(&w, /* pretty= */ true);
    json_begin_object(&w);
    json_kv_string(&w, "ociVersion", "1.2.0");
    write_process(&w, o);
    json_key(&w, "root");
    json_begin_object(&w);
    json_kv_string(&w, "path", "rootfs");
    json_kv_bool(&w, "readonly", !o->root_writable);
    json_end_object(&w);
    json_kv_string(&w, "hostname", "urun");
    if (o->n_annotations) {
        json_key(&w, "annotations");
        json_begin_object(&w);
        for (size_t i = 0; i < o->n_annotations; i++)
            json_kv_string(&w, o->annotations[i].key, o->annotations[i].value);
        json_end_object(&w);
    }
    write_mounts(&w, o);
    write_linux(&w, o->rootless);
    json_end_object(&w);
    char *s = json_steal(&w, NULL);
    json_free(&w);
    return s;
}
