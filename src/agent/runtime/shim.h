/* The per-container monitor (containerd's shim, conmon's role), re-executed from the coracle binary as
 * `coracle agent-shim RUNC RUNC_ROOT ID BUNDLE LOG CGROUP LOG_MAX_SIZE LOG_MAX_FILES`. Started through a
 * double fork so that it belongs to no agent and survives it, it makes itself the child subreaper (the
 * container's init becomes its child once runc exits, so the exit status is not lost), runs `runc run -d`
 * (create and start in one runc process), copies the container's stdout and stderr into LOG as CRI records
 * (rotating it, logrotate.h), and when the container ends writes BUNDLE/exit.json (exit code, signal, OOM
 * kill, time) and deletes the runc container.
 *
 *   monitor:  CREATING --runc run -d ok--> RUNNING --init exited--> EXITED (exit.json) --> gone
 *                 \--runc failed--> exit.json {StartError} --> gone
 *
 * The agent learns of the start through a pipe (fd 3 in the monitor: "ok PID SHIMPID" or "error MESSAGE")
 * and of the end through exit.json, which it checks on every pod sync. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/runtime/runtime.h"

typedef struct RuntimeShimRequest {
  const char *id;           /* runc container id */
  const char *bundle;       /* instance directory with config.json */
  const char *log_path;     /* CRI log file */
  const char *cgroups_path; /* the container's cgroup, to read the memory controller's OOM count at exit */
  int64_t log_max_size;     /* rotate LOG past this many bytes (logrotate.h); 0 = 10 MiB, < 0 = never */
  int log_max_files;        /* files kept, the current one included; 0 = 5 */
} RuntimeShimRequest;

/* Starts the monitor and waits (at most 60 s) until the container runs: *ret_pid is its init's pid on the
 * host, *ret_shim_pid the monitor's. A failed `runc run -d` returns -EIO with runc's message
 * (StartError); the monitor has then written exit.json and gone. */
int runtime_shim_start(const RuntimeConfig *cfg, const RuntimeShimRequest *req, pid_t *ret_pid,
                       pid_t *ret_shim_pid, Error *err);

/* The monitor's main (argv[0] = "agent-shim"). Exit status 0 when the container ran and exit.json was
 * written. */
int runtime_shim_main(int argc, char **argv);

typedef struct RuntimeExit {
  int exit_code;       /* 0-255, or 128+signal */
  int signal;          /* the signal that killed init, 0 if it exited */
  bool oom_killed;     /* the memory cgroup counted an OOM kill */
  bool start_error;    /* runc could not create or start it */
  int64_t finished_at; /* unix seconds */
  char *message;       /* runc's error for a start error, else NULL */
} RuntimeExit;

void runtime_exit_done(RuntimeExit *e);

/* Reads BUNDLE/exit.json: 0, or -ENOENT while the container has not ended. */
int runtime_shim_read_exit(const char *bundle, RuntimeExit *ret);
/* True while the monitor of bundle runs (its pid file names a live `agent-shim` process of this bundle). */
bool runtime_shim_alive(const char *bundle);
