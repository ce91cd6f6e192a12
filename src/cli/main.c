/* urun's entry point: refuses a setuid/setcap install, parses the command line through the command
 * table, checks each command's preconditions in one place, runs it, and is the only place that
 * prints an error. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/id.h"
#include "base/log.h"
#include "cli/cmdline.h"
#include "cli/commands.h"
#include "cli/usage.h"
#include "config.h"
#include "runtime/state.h"

/* urun gets its privileges from user namespaces alone.  Installed setuid/setgid or with file
 * capabilities it would hand them to whoever runs it, so it refuses to run at all. */
static int refuse_privileged_install(struct urun_error *err)
{
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
    char buf[64];

    if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
        return urun_error_errno(err, "getresuid");
    if (ruid != euid || ruid != suid || rgid != egid || rgid != sgid)
        return urun_error_set(err, 0, "urun must not be installed setuid or setgid; remove the bit (chmod u-s,g-s)");
    /* A file capability on our own binary shows up as the security.capability xattr. */
    if (getxattr("/proc/self/exe", "security.capability", buf, sizeof(buf)) >= 0)
        return urun_error_set(err, 0, "urun must not have file capabilities; remove them (setcap -r)");
    return 0;
}

/* --preserve-fds N (and socket activation's LISTEN_FDS, for create and run) name fds from 3 on that
 * the caller must have left open.  Checked first, before urun opens anything of its own that would
 * take a closed one's number and be passed on in its place. */
static int check_passed_fds(const struct urun_cmdline *cl, struct urun_error *err)
{
    struct urun_passed_fds p;
    int r = urun_cmdline_passed_fds(cl, &p, err);
    if (r < 0)
        return r;
    for (int fd = 3; fd < 3 + p.listen + p.preserve; fd++) {
        if (fcntl(fd, F_GETFD) >= 0)
            continue;
        if (fd < 3 + p.listen)
            return urun_error_set(err, 0, "LISTEN_FDS=%d: fd %d is not open", p.listen, fd);
        return urun_error_set(err, 0, "--preserve-fds %d: fd %d is not open", p.preserve, fd);
    }
    return 0;
}

static void print_version(void)
{
    printf("urun version %s\nspec: 1.2.0\n", URUN_VERSION);
}

static int dispatch(struct urun_cmdline *cl, struct urun_error *err)
{
    struct urun_context ctx = {.cl = cl, .root = {.fd = -1}};
    int r;

    if (cl->cmd->flags & CMD_TAKES_ID) {
        ctx.id = cl->args[0];
        r = urun_id_validate(ctx.id, err);
        if (r < 0)
            return r;
    }
    if (cl->cmd->flags & CMD_NEEDS_ROOT) {
        r = state_root_open(cl->set[OPT_ROOT] ? cl->values[OPT_ROOT] : NULL, cl->cmd->flags & CMD_ROOT_SERVES,
                            &ctx.root, err);
        if (r < 0)
            return r;
    }
    r = cl->cmd->run(&ctx, err);
    state_root_close(&ctx.root);
    return r;
}

int main(int argc, char **argv)
{
    struct urun_error err = {0};
    struct urun_cmdline cl;
    char msg[URUN_ERROR_MSG_MAX + 256];
    int r;

    r = refuse_privileged_install(&err);
    if (r >= 0)
        r = urun_cmdline_parse(argc, argv, &cl, &err);
    if (r >= 0 && cl.cmd)
        r = check_passed_fds(&cl, &err);
    if (r < 0)
        goto fail;

    r = urun_log_open(cl.set[OPT_LOG] ? cl.values[OPT_LOG] : NULL,
                      cl.set[OPT_LOG_FORMAT] && strcmp(cl.values[OPT_LOG_FORMAT], "json") == 0, cl.set[OPT_DEBUG],
                      &err);
    if (r < 0)
        goto fail;
    if (cl.set[OPT_SYSTEMD_CGROUP])
        log_info("--systemd-cgroup is ignored: urun does not ask systemd for cgroups");
    if (cl.set[OPT_CGROUP_MANAGER] && strcmp(cl.values[OPT_CGROUP_MANAGER], "systemd") == 0)
        log_info("--cgroup-manager systemd is taken as cgroupfs: urun does not ask systemd for cgroups");

    if (cl.set[OPT_VERSION] && !cl.cmd) {
        print_version();
        return 0;
    }
    if (!cl.cmd || cl.set[OPT_HELP]) {
        urun_print_usage(cl.cmd);
        if (!cl.cmd && !cl.set[OPT_HELP]) {
            urun_error_set(&err, 0, "no command given");
            r = -EINVAL;
            goto fail;
        }
        return 0;
    }
    r = dispatch(&cl, &err);
    if (r < 0)
        goto fail;
    return urun_exit_status;

fail:
    urun_error_format(&err, msg, sizeof(msg));
    /* The runtime log (json for podman/conmon) gets the error too; stderr always gets one line.  An
     * engine (json logs) puts its own "urun: " before what it read, so then the line is bare, as
     * runc's. */
    if (!urun_log_is_stderr())
        log_error("%s", msg);
    if (urun_log_is_json() && !urun_log_is_stderr())
        fprintf(stderr, "%s\n", msg);
    else
        fprintf(stderr, "urun: %s\n", msg);
    /* run of a process that could not be executed: 127 or 126, as runc */
    return urun_exit_status > 1 ? urun_exit_status : 1;
}
