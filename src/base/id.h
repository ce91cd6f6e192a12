/* Container ID validation, shared by every command that takes an ID. Pure. */
#pragma once

#include <stdbool.h>

#include "base/error.h"

#define URUN_ID_MAX 1024

/* Letters, digits and "_.+-", not starting with '.', 1..URUN_ID_MAX bytes.
 * Returns 0 or a negative value with err = "invalid container id: ...". */
int urun_id_validate(const char *id, struct urun_error *err);
