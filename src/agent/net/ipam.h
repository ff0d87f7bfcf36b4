/* The node's pod address allocator (host-local IPAM): one file per allocated address under a directory
 * (DATA_DIR/agent/net/ipam/10.42.0.7, holding the pod's uid). A file is created complete and atomically with
 * link(2) of a written temporary (which fails with EEXIST like O_EXCL, but never leaves an empty record
 * after a crash), so the directory itself is the state: it survives agent restarts and kill -9, two workers
 * never get the same address, and nothing is cached in memory. Records are not fsynced (see ipam.c): a
 * machine crash takes the pods' namespaces too, and the next start reconciles. Addresses are handed out
 * lowest first from the node's podCIDR, skipping the network address, the gateway (the first host address,
 * the bridge's) and the broadcast address. Threads: every function may be called from any thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/cidr.h"
#include "base/error.h"

typedef struct Ipam {
  char *dir;
  Cidr4 range; /* prefix 0 = not known yet (only lookup/release/reconcile work) */
} Ipam;

/* dir is created if missing; range may be NULL (not known yet). */
int ipam_open(Ipam *a, const char *dir, const char *range, Error *err);
void ipam_close(Ipam *a);
/* Sets the range (the node's podCIDR) once it is known. -EINVAL on a bad CIDR or one smaller than /30. */
int ipam_set_range(Ipam *a, const char *range, Error *err);
/* The gateway of the range: its first host address. */
uint32_t ipam_gateway(const Ipam *a);
/* The address of uid: the one it already has, else the lowest free one. -ENOSPC when the range is full,
 * -ENODATA when the range is not known yet. */
int ipam_allocate(Ipam *a, const char *uid, uint32_t *ret);
/* The address recorded for uid, or -ENOENT. */
int ipam_lookup(Ipam *a, const char *uid, uint32_t *ret);
/* Frees every address recorded for uid; returns how many. */
int ipam_release(Ipam *a, const char *uid);
/* Frees the addresses of uids for which alive() says false (and leftover temporaries); returns how many. */
int ipam_reconcile(Ipam *a, bool (*alive)(const char *uid, void *ud), void *ud);
