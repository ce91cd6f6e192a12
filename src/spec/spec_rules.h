/* The rules a config value must follow beyond its type: ranges, lengths, and checks across the fields
 * of one object.  Internal to the spec parser: the field tables of spec.c name these functions.  Pure,
 * as spec.c is: never a syscall, never a print.  Every error starts with the field's path. */
#pragma once

#include "base/error.h"
#include "spec/yamltree.h"

/* Field readers, for fields with a value rule of their own: (node, field path, destination, err). */
int spec_read_ns_type(const struct ynode *n, const char *path, void *at, struct urun_error *err);
int spec_read_oom_score_adj(const struct ynode *n, const char *path, void *at, struct urun_error *err);
int spec_read_timeout(const struct ynode *n, const char *path, void *at, struct urun_error *err);

/* Object checks, run once every field of the object is read: (object, its path, err).  The limits
 * they enforce are spec.h's SPEC_MAX_*. */
int spec_check_id_mapping(const void *obj, const char *path, struct urun_error *err);  /* spec_id_mapping */
int spec_check_time_offset(const void *obj, const char *path, struct urun_error *err); /* spec_time_offset */
int spec_check_linux(const void *obj, const char *path, struct urun_error *err);       /* spec_linux */
int spec_check_user(const void *obj, const char *path, struct urun_error *err);        /* spec_user */
int spec_check_device(const void *obj, const char *path, struct urun_error *err);      /* spec_device */
int spec_check_console(const void *obj, const char *path, struct urun_error *err);     /* spec_process */
int spec_check_process(const void *obj, const char *path, struct urun_error *err);     /* spec_process */
int spec_check_spec(const void *obj, const char *path, struct urun_error *err);        /* urun_spec */
