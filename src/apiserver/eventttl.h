/* Event expiry (eventttl.c): kube-apiserver stores Events with an etcd lease of --event-ttl (1 h) renewed on
 * every write; coracle's store has no leases, so the background thread sweeps instead. */
#pragma once

#include "apiserver/apiserver-internal.h"

/* The last time ev was written as far as its fields tell (the latest of lastTimestamp, eventTime,
 * series.lastObservedTime and creationTimestamp), in unix seconds; -1 if none parses. */
int64_t eventttl_last_write(json_t *ev);
/* True if ev has not been written for ttl_sec at now. */
bool eventttl_expired(json_t *ev, int64_t now, int64_t ttl_sec);
/* Deletes the expired Events (every namespace, both API groups: they share one storage). Returns how many. */
size_t eventttl_sweep(ApiServer *s, int64_t ttl_sec);
