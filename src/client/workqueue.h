/* The rate-limited work queue of controllers (client-go's workqueue model): informer handlers add object keys
 * ("ns/name"), worker threads take them, reconcile, and mark them done.
 *  - A key is queued at most once: adding a key that is already waiting does nothing (dedup).
 *  - A key being processed is never handed to a second worker; adding it meanwhile marks it dirty and it is
 *    queued again when the first worker calls workqueue_done.
 *  - add_after delays a key (a heap of due times; the waiting workers sleep until the earliest one, no
 *    polling); a key already waiting keeps the earlier of its two due times.
 *  - add_rate_limited delays a key by its own exponential back-off: base * 2^failures (5 ms doubling up to
 *    1000 s by default, client-go's item back-off) until workqueue_forget resets it after a success.
 *  - shutdown refuses new keys and drops delayed ones; workers drain what is queued, then get -ESHUTDOWN.
 * Locking: one mutex guards everything; workers wait on one condition variable (CLOCK_MONOTONIC). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct WorkQueue WorkQueue;

#define WORKQUEUE_BACKOFF_BASE_USEC 5000ull      /* 5 ms */
#define WORKQUEUE_BACKOFF_MAX_USEC 1000000000ull /* 1000 s */

/* name is for logs. Never fails (allocation aborts). */
WorkQueue *workqueue_new(const char *name);
/* Frees the queue; the caller has shut it down and joined its workers. NULL is fine. */
void workqueue_free(WorkQueue *q);

/* Changes the back-off of add_rate_limited (tests use small values). */
void workqueue_set_backoff(WorkQueue *q, uint64_t base_usec, uint64_t max_usec);

/* Queues key (copied) unless it is already queued; a key being processed is queued again once done. */
void workqueue_add(WorkQueue *q, const char *key);
/* Queues key after delay_usec (0 = now). */
void workqueue_add_after(WorkQueue *q, const char *key, uint64_t delay_usec);
/* Queues key after its back-off and counts one more failure for it. Returns the delay used. */
uint64_t workqueue_add_rate_limited(WorkQueue *q, const char *key);
/* Clears key's failure count (call after a successful reconcile). */
void workqueue_forget(WorkQueue *q, const char *key);
/* How many times key went through add_rate_limited since the last forget. */
unsigned workqueue_num_requeues(WorkQueue *q, const char *key);

/* Blocks until a key is ready and hands it over (*ret_key is the caller's to free, and the caller must call
 * workqueue_done with it). -ESHUTDOWN once the queue is shut down and drained. */
int workqueue_get(WorkQueue *q, char **ret_key);
/* Like workqueue_get but gives up after timeout_usec with -ETIMEDOUT. */
int workqueue_get_timeout(WorkQueue *q, uint64_t timeout_usec, char **ret_key);
/* Ends the processing of key; if it was added meanwhile, it is queued again. */
void workqueue_done(WorkQueue *q, const char *key);

/* Wakes every waiting worker; new adds are ignored from now on. */
void workqueue_shutdown(WorkQueue *q);
bool workqueue_shutting_down(WorkQueue *q);
/* Keys ready to be handed out (not counting delayed ones or those being processed). */
size_t workqueue_len(WorkQueue *q);
