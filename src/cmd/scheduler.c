/* `coracle scheduler`: the scheduler of src/scheduler on its own, against a cluster reached through a
 * kubeconfig or a server's DATA_DIR certificates and a URL (kube-scheduler as a separate process). For a
 * server started with --disable-scheduler; the scheduler benchmark uses it to measure scheduling alone, on
 * pods created before it starts (kube-scheduler's scheduler_perf does the same). Runs until SIGINT/SIGTERM.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cmd/clientflags.h"
#include "cmd/cmd.h"
#include "scheduler/scheduler.h"

static void scheduler_usage(FILE *f) {
  fputs("Usage: coracle scheduler (--kubeconfig FILE | --data-dir DIR) [FLAGS]\n"
        "\n"
        "Runs the scheduler alone against a server started with --disable-scheduler.\n"
        "\n"
        "  --kubeconfig FILE     cluster to schedule for (first cluster and user of the file)\n"
        "  --data-dir DIR        or: the server's state directory (admin certificates) ...\n"
        "  --server URL          ... and its URL (default https://127.0.0.1:6443)\n"
        "  --scheduler-name N    schedule pods whose spec.schedulerName is N (default default-scheduler)\n"
        "  --binders N           binder threads (default: the scheduler's)\n"
        "  --no-events           create no Scheduled/FailedScheduling events\n"
        "  -v, --log-level LEVEL error|warn|info|debug|trace (default info)\n",
        f);
}

int cmd_scheduler(int argc, char **argv) {
  enum { OPT_NAME = 256, OPT_BINDERS, OPT_NO_EVENTS };
  static const struct option longopts[] = {
      {"scheduler-name", required_argument, NULL, OPT_NAME},
      {"binders", required_argument, NULL, OPT_BINDERS},
      {"no-events", no_argument, NULL, OPT_NO_EVENTS},
      CMD_CLIENT_LONGOPTS,
      {0},
  };
  CmdClientFlags f = {0};
  /* A scheduler of its own reads pods over HTTPS: its informer keeps them without managedFields. */
  SchedOptions o = {.drop_managed_fields = true};
  int c, ex;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hv:", longopts, NULL)) >= 0) {
    if (cmd_client_flag(&f, "scheduler", c, optarg, scheduler_usage, &ex)) {
      if (ex >= 0)
        return ex;
      continue;
    }
    switch (c) {
    case OPT_NAME:
      o.scheduler_name = optarg;
      break;
    case OPT_BINDERS:
      o.binders = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case OPT_NO_EVENTS:
      o.no_events = true;
      break;
    default:
      scheduler_usage(stderr);
      return 2;
    }
  }
  if (optind < argc || (!f.kubeconfig && !f.data_dir)) {
    scheduler_usage(stderr);
    return 2;
  }
  sigset_t set;
  cmd_block_stop_signals(&set);

  _cleanup_error_ Error err = ERROR_INIT;
  Client *client = NULL;
  Scheduler *sched = NULL;
  if (cmd_client_connect(&f, "coracle-scheduler", &client, &err) < 0 ||
      sched_start(client, &o, &sched, &err) < 0) {
    fprintf(stderr, "coracle scheduler: %s\n", err.message ? err.message : strerror(-err.code));
    client_free(client);
    return 1;
  }
  int sig = 0;
  sigwait(&set, &sig);
  log_info("scheduler", "received signal %d, stopping", sig);
  sched_stop(sched);
  client_free(client);
  return 0;
}
