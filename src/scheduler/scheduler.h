/* The scheduler (kube-scheduler's default profile): watches pods without a node and nodes through
 * informers, picks a node for each pending pod (filters, then scores; see sched-internal.h), remembers the
 * choice at once (an "assumed" pod, so a burst never overcommits a node before the informer sees the
 * binding) and binds through POST pods/NAME/binding from a few binder threads. A pod that fits nowhere gets
 * PodScheduled=False reason Unschedulable with kube-scheduler's message and a FailedScheduling event, and is
 * retried with back-off (1 s doubling to 10 s) and at once when a node changes or a pod goes away.
 *
 * Threads: the two informers', one scheduling thread (decisions are sequential, as in kube-scheduler) and
 * up to `binders` binder threads, and up to four threads sending the Scheduled events asynchronously (a
 * bounded queue, as client-go's event broadcaster). The cache lock guards the node and pod views; see
 * scheduler.c. */
#pragma once

#include "base/error.h"
#include "client/client.h"

typedef struct Scheduler Scheduler;

typedef struct SchedOptions {
  const char
      *scheduler_name; /* pods whose spec.schedulerName is this (or empty); default "default-scheduler" */
  bool no_events;      /* do not create Scheduled/FailedScheduling events */
  unsigned binders;    /* binder threads; default 64 (bindings wait on the store's group commit) */
  bool drop_managed_fields; /* the pod informer trims managedFields (InformerOptions; a remote scheduler) */
} SchedOptions;

/* Starts the scheduler on c (which must outlive it). Returns once the threads run; the informers sync in
 * the background. opts may be NULL. */
int sched_start(Client *c, const SchedOptions *opts, Scheduler **ret, Error *err);
/* Stops every thread (in-flight bindings finish or are aborted by the client's timeouts) and frees. NULL is
 * fine. */
void sched_stop(Scheduler *s);

typedef struct SchedStats {
  uint64_t attempts, scheduled, unschedulable, bind_errors;
  uint64_t events_dropped; /* Scheduled events dropped because EVENT_QUEUE_MAX were waiting */
} SchedStats;

void sched_get_stats(Scheduler *s, SchedStats *ret);
