/* Declarations shared inside the store component and with its unit tests, not part of store.h's API. */
#pragma once

#include <stddef.h>

#include "store/store.h"

/* How many writes are queued for the next group commit (not counting those of a commit in progress). The
 * unit tests use it to line writes up into one batch deterministically. */
size_t store_queued_writes(Store *s);
