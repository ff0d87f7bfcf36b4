/* The flags the client subcommands share (sim-nodes, scheduler): how to reach the cluster (--kubeconfig,
 * or a server's --data-dir certificates and --server URL), -v/--log-level and -h/--help, and the stop
 * signals they wait for. Each subcommand lists CMD_CLIENT_LONGOPTS in its own option table and hands every
 * getopt result to cmd_client_flag before its own switch. */
#pragma once

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"
#include "client/client.h"

enum { CMD_OPT_KUBECONFIG = 1000, CMD_OPT_DATA_DIR, CMD_OPT_SERVER };

/* The shared entries of an option table, spliced in before the terminating {0}. */
// clang-format off
#define CMD_CLIENT_LONGOPTS                                      \
  {"kubeconfig", required_argument, NULL, CMD_OPT_KUBECONFIG},   \
  {"data-dir", required_argument, NULL, CMD_OPT_DATA_DIR},       \
  {"server", required_argument, NULL, CMD_OPT_SERVER},           \
  {"log-level", required_argument, NULL, 'v'},                   \
  {"help", no_argument, NULL, 'h'}
// clang-format on

typedef struct CmdClientFlags {
  const char *kubeconfig;
  const char *data_dir;
  const char *server; /* with data_dir; NULL = https://127.0.0.1:6443 */
} CmdClientFlags;

/* Handles getopt's result c when it is a shared flag (f may be NULL for a command without the cluster
 * flags: then only -v, -h and an unknown flag). Returns false, *ret_exit untouched, when c is the caller's
 * own; true when handled, with *ret_exit the status to end the command with now (help 0, a bad flag 2,
 * after usage or a message to stderr naming "coracle CMD") or -1 to go on parsing. */
bool cmd_client_flag(CmdClientFlags *f, const char *cmd, int c, const char *arg, void (*usage)(FILE *),
                     int *ret_exit);

/* A client for the cluster the flags name: the kubeconfig's first cluster and user (CA, client
 * certificate and key or token, inline or in files), else the admin certificates of data_dir.
 * -EINVAL (err set) when neither is given. The caller frees *ret with client_free. */
int cmd_client_connect(const CmdClientFlags *f, const char *user_agent, Client **ret, Error *err);

/* Blocks SIGINT and SIGTERM in the calling thread (threads started afterwards inherit it) so the command
 * can sigwait on *ret, and ignores SIGPIPE. */
void cmd_block_stop_signals(sigset_t *ret);
