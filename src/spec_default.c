/* Implementation of spec_default.h: data, written with the JSON writer.  No I/O. */
#include "spec_default.h"

#include <stddef.h>

#include "cleanup.h"
#include "json.h"

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

static void write_process(struct json_writer *w)
{
    static const char *const args[] = {"sh", NULL};
    static const char *const env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                      "TERM=xterm", NULL};
    /* podman's default set: what package managers and services dropping to their own users need
     * (chown, setuid/setgid, file ownership), and nothing that reaches past the user namespace. */
    static const char *const caps[] = {"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",  "CAP_FSETID",
                                       "CAP_KILL",   "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID",
                                       "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT", NULL};

    json_key(w, "process");
    json_begin_object(w);
    json_kv_bool(w, "terminal", false);
    json_key(w, "user");
    json_begin_object(w);
    json_kv_uint(w, "uid", 0);
    json_kv_uint(w, "gid", 0);
    json_end_object(w);
    json_kv_string_array(w, "args", args);
    json_kv_string_array(w, "env", env);
    json_kv_string(w, "cwd", "/");
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

static void write_mounts(struct json_writer *w, bool single_gid)
{
    static const char *const none[] = {NULL};
    static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
    static const char *const pts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL};
    static const char *const shm[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL};
    static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
    static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
    /* gid=5 (tty) does not exist in a single-ID user namespace */
    static const char *const pts_rootless[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL};

    json_key(w, "mounts");
    json_begin_array(w);
    mount_entry(w, "/proc", "proc", "proc", none);
    mount_entry(w, "/dev", "tmpfs", "tmpfs", dev);
    mount_entry(w, "/dev/pts", "devpts", "devpts", single_gid ? pts_rootless : pts);
    mount_entry(w, "/dev/shm", "tmpfs", "shm", shm);
    mount_entry(w, "/dev/mqueue", "mqueue", "mqueue", mq);
    mount_entry(w, "/sys", "sysfs", "sysfs", sys);
    mount_entry(w, "/sys/fs/cgroup", "cgroup", "cgroup", cg);
    json_end_array(w);
}

static void id_mapping(struct json_writer *w, const char *key, const struct idmap_range *r, size_t n)
{
    json_key(w, key);
    json_begin_array(w);
    for (size_t i = 0; i < n; i++) {
        json_begin_object(w);
        json_kv_uint(w, "containerID", r[i].container_id);
        json_kv_uint(w, "hostID", r[i].host_id);
        json_kv_uint(w, "size", r[i].size);
        json_end_object(w);
    }
    json_end_array(w);
}

static void write_linux(struct json_writer *w, const struct idmap *maps)
{
    static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
    static const char *const masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                         "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                         "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL};
    static const char *const ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                                     NULL};

    json_key(w, "linux");
    json_begin_object(w);
    if (maps) {
        id_mapping(w, "uidMappings", maps->uid, maps->n_uid);
        id_mapping(w, "gidMappings", maps->gid, maps->n_gid);
    }
    json_key(w, "namespaces");
    json_begin_array(w);
    for (const char *const *n = ns; *n; n++) {
        json_begin_object(w);
        json_kv_string(w, "type", *n);
        json_end_object(w);
    }
    if (maps) {
        json_begin_object(w);
        json_kv_string(w, "type", "user");
        json_end_object(w);
    }
    json_end_array(w);
    json_kv_string_array(w, "maskedPaths", masked);
    json_kv_string_array(w, "readonlyPaths", ro);
    json_end_object(w);
}

char *spec_default_json(const struct idmap *maps)
{
    struct json_writer w;
    json_init(&w, /* pretty= */ true);
    json_begin_object(&w);
    json_kv_string(&w, "ociVersion", "1.2.0");
    write_process(&w);
    json_key(&w, "root");
    json_begin_object(&w);
    json_kv_string(&w, "path", "rootfs");
    json_kv_bool(&w, "readonly", true);
    json_end_object(&w);
    json_kv_string(&w, "hostname", "urun");
    if (maps) {
        /* A rootless container has no network of its own but this: urun's built-in slirp (netns/). */
        json_key(&w, "annotations");
        json_begin_object(&w);
        json_kv_string(&w, "run.urun.network", "slirp");
        json_end_object(&w);
    }
    write_mounts(&w, maps && maps->n_gid == 1);
    write_linux(&w, maps);
    json_end_object(&w);
    char *s = json_steal(&w, NULL);
    json_free(&w);
    return s;
}
