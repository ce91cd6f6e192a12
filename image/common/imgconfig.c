/* Implementation of imgconfig.h.  Every field is optional but rootfs.diff_ids; wrong types are
 * errors naming the field. */
#include "image/common/imgconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "image/common/store.h"
#include "spec/yamltree.h"

void image_config_free(struct image_config *c)
{
    if (!c)
        return;
    strv_free(c->entrypoint);
    strv_free(c->cmd);
    strv_free(c->env);
    free(c->workdir);
    free(c->user);
    free(c->stop_signal);
    for (size_t i = 0; i < c->n_labels; i++) {
        free(c->labels[i].key);
        free(c->labels[i].value);
    }
    free(c->labels);
    strv_free(c->diff_ids);
    free(c);
}

/* A sequence of strings (null or absent: *ret stays NULL). */
static int strings(const struct ynode *n, const char *path, char ***ret, size_t *ret_n, struct urun_error *err)
{
    if (!n || ynode_is_null(n))
        return 0;
    if (n->kind != YNODE_SEQ)
        return urun_error_set(err, 0, "%s: expected an array of strings", path);
    char **v = xcalloc(n->n + 1, sizeof(char *));
    *ret = v;
    for (size_t i = 0; i < n->n; i++) {
        const char *s;
        int k = ynode_string(n->items[i], path, &s, err);
        if (k < 0)
            return k;
        v[i] = xstrdup(s);
    }
    if (ret_n)
        *ret_n = n->n;
    return 0;
}

static int opt_string(const struct ynode *n, const char *path, char **ret, struct urun_error *err)
{
    const char *s;
    if (!n || ynode_is_null(n))
        return 0;
    int k = ynode_string(n, path, &s, err);
    if (k < 0)
        return k;
    if (s[0])
        *ret = xstrdup(s);
    return 0;
}

static int labels(const struct ynode *n, struct image_config *c, struct urun_error *err)
{
    if (!n || ynode_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return urun_error_set(err, 0, "config.Labels: expected an object");
    c->labels = xcalloc(n->n ? n->n : 1, sizeof(*c->labels));
    for (size_t i = 0; i < n->n; i++) {
        const char *v;
        int k = ynode_string(n->pairs[i].value, "config.Labels", &v, err);
        if (k < 0)
            return k;
        c->labels[c->n_labels].key = xstrdup(n->pairs[i].key);
        c->labels[c->n_labels++].value = xstrdup(v);
    }
    return 0;
}

static int process_fields(const struct ynode *cfg, struct image_config *c, struct urun_error *err)
{
    int k;
    if (!cfg || ynode_is_null(cfg))
        return 0;
    if (cfg->kind != YNODE_MAP)
        return urun_error_set(err, 0, "config: expected an object");
    if ((k = strings(ynode_get(cfg, "Entrypoint"), "config.Entrypoint", &c->entrypoint, NULL, err)) < 0 ||
        (k = strings(ynode_get(cfg, "Cmd"), "config.Cmd", &c->cmd, NULL, err)) < 0 ||
        (k = strings(ynode_get(cfg, "Env"), "config.Env", &c->env, NULL, err)) < 0 ||
        (k = opt_string(ynode_get(cfg, "WorkingDir"), "config.WorkingDir", &c->workdir, err)) < 0 ||
        (k = opt_string(ynode_get(cfg, "User"), "config.User", &c->user, err)) < 0 ||
        (k = opt_string(ynode_get(cfg, "StopSignal"), "config.StopSignal", &c->stop_signal, err)) < 0)
        return k;
    return labels(ynode_get(cfg, "Labels"), c, err);
}

int image_config_parse(const char *buf, size_t len, struct image_config **ret, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *doc = NULL;
    _cleanup_(image_config_freep) struct image_config *c = xcalloc(1, sizeof(*c));
    int k;

    if ((k = ytree_parse(buf, len, &doc, err)) < 0)
        return k;
    if (doc->kind != YNODE_MAP)
        return urun_error_set(err, 0, "expected an object");
    if ((k = process_fields(ynode_get(doc, "config"), c, err)) < 0)
        return k;
    const struct ynode *rootfs = ynode_get(doc, "rootfs");
    if ((k = strings(ynode_get(rootfs, "diff_ids"), "rootfs.diff_ids", &c->diff_ids, &c->n_diff_ids, err)) < 0)
        return k;
    if (c->n_diff_ids == 0 || c->n_diff_ids > STORE_MAX_LAYERS)
        return urun_error_set(err, 0, "rootfs.diff_ids: expected 1 to %d digests", STORE_MAX_LAYERS);
    for (size_t i = 0; i < c->n_diff_ids; i++)
        if (!image_digest_valid(c->diff_ids[i]))
            return urun_error_set(err, 0, "rootfs.diff_ids[%zu]: not a sha256 digest", i);
    *ret = TAKE_PTR(c);
    return 0;
}
