/* Event aggregation shared by the kubelet and the controller manager, as client-go's event correlator does
 * it: a repeat of the same event (the caller's key: object, type, reason, message...) within ten minutes
 * bumps count and lastTimestamp of the Event already written instead of creating another. Best effort: the
 * callers log a failure at debug and forget it.
 * Threads: a ClientEvents is shared by any number of threads; its lock guards seen. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "client/client.h"

typedef struct ClientEvents {
  pthread_mutex_t lock;
  json_t *seen; /* key → {"name", "count", "t": monotonic usec}; cleared when it holds 4096 */
} ClientEvents;

void client_events_init(ClientEvents *ev);
void client_events_destroy(ClientEvents *ev);

/* When key was recorded within ten minutes, patches that Event in namespace ns (count + 1, lastTimestamp
 * ts) and returns true. False when there is none or the patch failed (the Event expired or was deleted):
 * then the caller builds the Event and hands it to client_events_create. */
bool client_events_repeat(ClientEvents *ev, Client *c, const char *key, const char *ns, const char *ts);

/* Creates event (a v1 Event whose metadata.name this sets to "<object>.<16 hex>") in ns and remembers it
 * under key. Negative errno with err set when the create failed. */
int client_events_create(ClientEvents *ev, Client *c, const char *key, const char *ns, const char *object,
                         json_t *event, Error *err);
