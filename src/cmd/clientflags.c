/* The cluster-connection, log-level and help flags shared by the client subcommands (see clientflags.h),
 * and the kubeconfig reader behind --kubeconfig: the first cluster and the first user of the file, with
 * inline (base64 "-data") or file-path certificates. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "api/jsonutil.h"
#include "base/base64.h"
#include "base/log.h"
#include "base/util.h"
#include "cmd/clientflags.h"

bool cmd_client_flag(CmdClientFlags *f, const char *cmd, int c, const char *arg, void (*usage)(FILE *),
                     int *ret_exit) {
  switch (c) {
  case CMD_OPT_KUBECONFIG:
  case CMD_OPT_DATA_DIR:
  case CMD_OPT_SERVER:
    if (!f)
      return false;
    *(c == CMD_OPT_KUBECONFIG ? &f->kubeconfig : c == CMD_OPT_DATA_DIR ? &f->data_dir : &f->server) = arg;
    *ret_exit = -1;
    return true;
  case 'v': {
    LogLevel l = log_level_from_string(arg);
    if (l == LOG_LEVEL_INVALID) {
      fprintf(stderr, "coracle %s: unknown log level \"%s\"\n", cmd, arg);
      *ret_exit = 2;
    } else {
      log_set_level(l);
      *ret_exit = -1;
    }
    return true;
  }
  case 'h':
    usage(stdout);
    *ret_exit = 0;
    return true;
  case '?':
  case ':':
    usage(stderr);
    *ret_exit = 2;
    return true;
  default:
    return false;
  }
}

static char *read_text(const char *path) {
  char *data = NULL;
  size_t n;
  if (!path || read_file(path, &data, &n) < 0)
    return NULL;
  return data;
}

static int client_from_kubeconfig(const char *path, const char *user_agent, Client **ret, Error *err) {
  _cleanup_free_ char *text = NULL;
  size_t len;
  int rc = read_file(path, &text, &len);
  if (rc < 0)
    return error_set(err, rc, NULL, "reading %s: %s", path, strerror(-rc));
  _cleanup_json_ json_t *kc = NULL;
  if ((rc = yaml_decode_body(text, len, &kc, err)) < 0)
    return error_wrap(err, "%s: ", path);
  json_t *cluster = jpath(json_array_get(json_object_get(kc, "clusters"), 0), "cluster");
  json_t *user = jpath(json_array_get(json_object_get(kc, "users"), 0), "user");
  if (!cluster || !jstr(cluster, "server"))
    return error_set(err, -EINVAL, NULL, "%s: no cluster with a server", path);
  _cleanup_free_ char *ca = jstr(cluster, "certificate-authority-data")
                                ? base64_decode_string(jstr(cluster, "certificate-authority-data"))
                                : read_text(jstr(cluster, "certificate-authority"));
  _cleanup_free_ char *cert = jstr(user, "client-certificate-data")
                                  ? base64_decode_string(jstr(user, "client-certificate-data"))
                                  : read_text(jstr(user, "client-certificate"));
  _cleanup_free_ char *key = jstr(user, "client-key-data")
                                 ? base64_decode_string(jstr(user, "client-key-data"))
                                 : read_text(jstr(user, "client-key"));
  ClientConfig cfg = {.server = jstr(cluster, "server"),
                      .ca_pem = ca,
                      .cert_pem = cert,
                      .key_pem = key,
                      .token = jstr(user, "token"),
                      .user_agent = user_agent};
  return client_new(&cfg, ret, err);
}

int cmd_client_connect(const CmdClientFlags *f, const char *user_agent, Client **ret, Error *err) {
  if (f->kubeconfig)
    return client_from_kubeconfig(f->kubeconfig, user_agent, ret, err);
  if (f->data_dir)
    return client_new_local(f->data_dir, f->server, ret, err);
  return error_set(err, -EINVAL, NULL, "--kubeconfig or --data-dir is required");
}

void cmd_block_stop_signals(sigset_t *ret) {
  sigemptyset(ret);
  sigaddset(ret, SIGINT);
  sigaddset(ret, SIGTERM);
  pthread_sigmask(SIG_BLOCK, ret, NULL);
  signal(SIGPIPE, SIG_IGN);
}
