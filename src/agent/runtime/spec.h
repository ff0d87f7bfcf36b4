/* The OCI runtime configuration (config.json) of one container, generated in C from the pod's container
 * spec and the image config the way Kubernetes and containerd combine them: ENTRYPOINT/CMD against
 * command/args, image Env under container env with $(VAR) expansion, WorkingDir, User; the default
 * capability set, masked and read-only /proc paths; the pod's network namespace joined by path; cgroup v1
 * limits from requests and limits under an absolute cgroupsPath. Pure functions: no I/O, so the unit tests
 * pin every rule. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "base/error.h"

/* CFS period used for quotas (the kernel's and Kubernetes' default). */
#define RUNTIME_CPU_PERIOD_USEC 100000
/* Kubernetes' bounds for cpu.shares and the smallest quota it sets. */
#define RUNTIME_MIN_SHARES 2
#define RUNTIME_MAX_SHARES 262144
#define RUNTIME_MIN_QUOTA_USEC 1000

typedef struct RuntimeMount {
  const char *destination;
  const char *source;
  bool read_only;
} RuntimeMount;

/* Everything config.json is made of. Strings are borrowed. */
typedef struct RuntimeSpecInput {
  json_t *container;    /* the pod's container spec (name, command, args, env, workingDir, resources...) */
  json_t *image_config; /* the image config's "config" object (Env, Entrypoint, Cmd, WorkingDir, User); may be
                           NULL */
  json_t *
      resolved_env; /* optional object NAME -> value for env entries with valueFrom, resolved by the caller */
  /* optional array of {"name","value"}: the container's environment already resolved and expanded by the
   * kubelet (envFrom, env, service variables); when set, container.env and resolved_env are not read and
   * these go over the image's Env as they are */
  json_t *final_env;
  const char *rootfs;       /* absolute path of the mounted root filesystem */
  const char *hostname;     /* the pod's name */
  const char *netns_path;   /* "/run/netns/NAME"; NULL = a new empty network namespace */
  bool host_network;        /* spec.hostNetwork: the node's network and UTS namespaces (netns_path ignored) */
  const char *cgroups_path; /* absolute: "/coracle/pods/UID/NAME" */
  const char *passwd_path;  /* rootfs/etc/passwd for user names; may be NULL */
  const char *group_path;   /* rootfs/etc/group for group names; may be NULL */
  const RuntimeMount *mounts; /* extra bind mounts (/etc/hosts, /etc/resolv.conf...) */
  size_t n_mounts;
  json_t *pod_security_context; /* the pod's spec.securityContext (security.h); may be NULL */
  uint64_t host_cap_bounding; /* capabilities the host can grant (bit per CAP_); 0 = read /proc/self/status */
  const char *dev_dir;        /* host devices for privileged containers; NULL = /dev */
  const char *seccomp_root;   /* Localhost seccomp profiles; NULL = RUNTIME_SECCOMP_ROOT */
} RuntimeSpecInput;

/* Builds the OCI config, with the securityContext as security.h describes. -EINVAL with a
 * CreateContainerError-style message when no command results, the user cannot be resolved or the seccomp
 * profile cannot be had. */
int runtime_spec_build(const RuntimeSpecInput *in, json_t **ret, Error *err);

/* The process arguments Kubernetes derives: command replaces ENTRYPOINT (and drops CMD), args replace CMD.
 * $(VAR) references in command and args are expanded with env (an array of "K=V"). Returns a new array of
 * strings (possibly empty). */
json_t *runtime_spec_args(json_t *container, json_t *image_config, json_t *env);

/* The environment: image Env first, container env entries override by name (in the container's order,
 * $(VAR) expanded against the entries before them), a default PATH when none is set. resolved may carry
 * values for valueFrom entries. Returns a new array of "K=V". */
json_t *runtime_spec_env(json_t *container, json_t *image_config, json_t *resolved, const char *hostname);

/* Kubernetes' $(VAR) expansion: $(NAME) is replaced by env's value if NAME is defined, kept verbatim if
 * not; $$ is a literal $. env is an array of "K=V". Caller frees. */
char *runtime_expand_vars(const char *s, json_t *env);

/* cpu.shares from a cpu request in millicores (0 = none: the minimum, as for BestEffort). */
uint64_t runtime_cpu_shares(int64_t request_milli);
/* cpu.cfs_quota_us for a cpu limit in millicores (0 = no limit: returns -1, no quota). */
int64_t runtime_cpu_quota(int64_t limit_milli, uint64_t period_usec);

/* Millicores / bytes of a container's resources.(requests|limits).(cpu|memory); 0 when absent. A request
 * absent while the limit is set defaults to the limit, as the API server's defaulting does. */
int64_t runtime_resource_milli_cpu(json_t *container, bool limit);
int64_t runtime_resource_memory(json_t *container, bool limit);
