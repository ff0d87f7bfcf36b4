/* `coracle scheduler`: the scheduler of src/scheduler on its own, against a cluster reached through a
 * server's DATA_DIR certificates and a URL (kube-scheduler as a separate process). For a server started
 * with --disable-scheduler; the scheduler benchmark uses it to measure scheduling alone, on pods created
 * before it starts (kube-scheduler's scheduler_perf does the same). Runs until SIGINT/SIGTERM. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "base/log.h"
#include "client/client.h"
#include "cmd/cmd.h"
#include "scheduler/scheduler.h"

static void scheduler_usage(FILE *f) {
  fputs("Usage: coracle scheduler --data-dir DIR [FLAGS]\n"
        "\n"
        "Runs the scheduler alone against a server started with --disable-scheduler.\n"
        "\n"
        "  --data-dir DIR        the server's state directory (admin certificates)\n"
        "  --server URL          the server's URL (default https://127.0.0.1:6443)\n"
        "  --scheduler-name N    schedule pods whose spec.schedulerName is N (default default-scheduler)\n"
        "  --binders N           binder threads (default: the scheduler's)\n"
        "  --no-events           create no Scheduled/FailedScheduling events\n"
        "  -v, --log-level LEVEL error|warn|info|debug|trace (default info)\n",
        f);
}

int cmd_scheduler(int argc, char **argv) {
  enum { OPT_DATA_DIR = 256, OPT_SERVER, OPT_NAME, OPT_BINDERS, OPT_NO_EVENTS };
  static const struct option longopts[] = {
      {"data-dir", required_argument, NULL, OPT_DATA_DIR},
      {"server", required_argument, NULL, OPT_SERVER},
      {"scheduler-name", required_argument, NULL, OPT_NAME},
      {"binders", required_argument, NULL, OPT_BINDERS},
      {"no-events", no_argument, NULL, OPT_NO_EVENTS},
      {"log-level", required_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  const char *data_dir = NULL, *server = NULL;
  SchedOptions o = {0};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hv:", longopts, NULL)) >= 0) {
    switch (c) {
    case OPT_DATA_DIR:
      data_dir = optarg;
      break;
    case OPT_SERVER:
      server = optarg;
      break;
    case OPT_NAME:
      o.scheduler_name = optarg;
      break;
    case OPT_BINDERS:
      o.binders = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case OPT_NO_EVENTS:
      o.no_events = true;
      break;
    case 'v': {
      LogLevel l = log_level_from_string(optarg);
      if (l == LOG_LEVEL_INVALID) {
        fprintf(stderr, "coracle scheduler: unknown log level \"%s\"\n", optarg);
        return 2;
      }
      log_set_level(l);
      break;
    }
    case 'h':
      scheduler_usage(stdout);
      return 0;
    default:
      scheduler_usage(stderr);
      return 2;
    }
  }
  if (optind < argc || !data_dir) {
    scheduler_usage(stderr);
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  _cleanup_error_ Error err = ERROR_INIT;
  Client *client = NULL;
  Scheduler *sched = NULL;
  if (client_new_local(data_dir, server, &client, &err) < 0 || sched_start(client, &o, &sched, &err) < 0) {
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
