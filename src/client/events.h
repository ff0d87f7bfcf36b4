/* Event correlation shared by the kubelet and the controller manager, as client-go's EventCorrelator does
 * it (tools/record):
 *   - aggregation: events that differ only by message (same source, involved object, type, reason and
 *     reporting component) — once ten distinct ones came within ten minutes of each other, the next are
 *     written as one Event whose message is "(combined from similar events): <latest message>";
 *   - de-duplication: a repeat of the same event (the caller's key: object, field path, type, reason,
 *     message; or the aggregate) within ten minutes bumps count and lastTimestamp of the Event already
 *     written instead of creating another;
 *   - spam filter: a source may write 25 events (new or repeats) of one type about one object at once, then
 *     one more every five minutes (a token bucket per source + involved object + type); the rest are
 *     dropped.
 * Best effort: the callers log a failure at debug and forget it.
 * Threads: a ClientEvents is shared by any number of threads; its lock guards the three tables, and
 * client_events_record writes one event at a time (decision and write together), so that concurrent
 * callers neither create an Event twice nor apply count patches out of order. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/client.h"

typedef struct ClientEvents {
  pthread_mutex_t write_lock; /* one event written at a time, as client-go's broadcaster sends them */
  pthread_mutex_t lock;
  json_t *seen;    /* key → {"name", "count", "t": monotonic usec}; cleared when it holds 4096 */
  json_t *similar; /* aggregate key → {"keys": {key: true}, "t"}; cleared likewise */
  json_t *spam;    /* spam key → {"tokens", "t"}; cleared likewise */
} ClientEvents;

void client_events_init(ClientEvents *ev);
void client_events_destroy(ClientEvents *ev);

/* What client_events_record does with one event: drop it (spam filter), patch an Event written before
 * (repeat_name set, count = its new count), or create one; message is the combined message when the event
 * was aggregated (NULL otherwise); key is what the written Event is remembered under. */
typedef struct ClientEventDecision {
  bool drop;
  char *key;
  char *message;
  char *repeat_name;
  int64_t count;
} ClientEventDecision;

/* The correlator's decision for event (a v1 Event: source, involvedObject, type, reason, message) recorded
 * under key at now_usec (monotonic). Consumes a token of the spam filter and counts the repeat; the caller
 * remembers a created Event with client_events_remember. Exposed for unit tests. */
void client_events_decide(ClientEvents *ev, const char *key, json_t *event, uint64_t now_usec,
                          ClientEventDecision *ret);
void client_event_decision_done(ClientEventDecision *d);
/* Remembers that the Event called name was written under key (count 1). */
void client_events_remember(ClientEvents *ev, const char *key, const char *name, uint64_t now_usec);

/* Records event (count 1, firstTimestamp = lastTimestamp = now, metadata.namespace set; this function names
 * it "<object>.<16 hex>") in its namespace: dropped, patched or created as client_events_decide says. A
 * repeat whose patch fails (the Event expired or was deleted) is created anew. Negative errno with err set
 * when the write failed. */
int client_events_record(ClientEvents *ev, Client *c, const char *key, const char *object, json_t *event,
                         Error *err);
