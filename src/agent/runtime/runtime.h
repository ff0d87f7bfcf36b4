/* The node's container runtime: what the kubelet asks of the host to run a pod — network namespaces, overlay
 * root filesystems on image layers, runc containers driven by a monitor process of ours (shim.h), cgroups
 * and a clean sweep of everything a data directory started (`coracle killall`).
 *
 * On-disk layout (everything a restarted agent needs to find its containers again):
 *   DATA_DIR/agent/runc/                     runc --root: one state directory per container
 *   DATA_DIR/agent/pods/UID/                 a pod: netns (the namespace's name), hosts, resolv.conf,
 * hostname, state.json (the kubelet's record of its containers) DATA_DIR/agent/pods/UID/NAME/N/ instance N (=
 * restartCount) of container NAME: the bundle (config.json, rootfs/ mounted on overlay, upper/, work/),
 *                                            shim.pid, container.pid, exit.json once it ended, shim.log
 * cgroups: /coracle/pods[/burstable|/besteffort]/podUID/NAME by QoS class (cgroup.h) in every v1 hierarchy
 * (absolute, see host-facts) or the v2 tree, the pod's cgroup removed with the pod. Network namespaces:
 * /run/netns/coracle-UID.
 * Threads: every function may be called from any thread; nothing here keeps shared state. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"

#define RUNTIME_CGROUP_PARENT "/coracle/pods"
#define RUNTIME_NETNS_PREFIX "coracle-"

typedef struct RuntimeConfig {
  char *data_dir;
  char *runc;      /* runc executable; default "runc" from PATH */
  char *runc_root; /* DATA_DIR/agent/runc */
  char *pods_dir;  /* DATA_DIR/agent/pods */
  char *shim_exe;  /* the monitor: coracle-shim next to this binary, else this binary (`agent-shim`) */
} RuntimeConfig;

/* Fills cfg for data_dir (runc NULL = "runc"; shim_exe NULL = coracle-shim beside this
 * executable if there is one, else this executable) and creates the directories.
 */
int runtime_config_init(RuntimeConfig *cfg, const char *data_dir, const char *runc, const char *shim_exe,
                        Error *err);
void runtime_config_done(RuntimeConfig *cfg);

/* "runc --version" first line's version ("1.1.5+ds1"), or NULL. Caller frees. */
char *runtime_runc_version(const RuntimeConfig *cfg);

/* Runs argv (argv[0] looked up in PATH) and waits; stdout+stderr captured into *ret_output when not NULL
 * (caller frees). Returns the exit status (0-255, 128+signal), or a negative errno if it could not run. */
int runtime_exec(char *const argv[], char **ret_output);

/* ---- pods ---- */
char *runtime_pod_dir(const RuntimeConfig *cfg, const char *uid);
char *runtime_instance_dir(const RuntimeConfig *cfg, const char *uid, const char *container, int instance);
char *runtime_netns_name(const char *uid);
/* The cgroup of the pod (container NULL) or of one of its containers: under the pod cgroup that exists
 * (cgroup.h; looks at /sys/fs/cgroup), the Guaranteed one when none does. Caller frees. */
char *runtime_cgroup_path(const char *uid, const char *container);

/* Creates the pod's network namespace /run/netns/NAME in-process (netns.c; loopback up); succeeds if it
 * already exists. */
int runtime_netns_create(const char *name, Error *err);
/* Deletes it; a missing one is fine. */
int runtime_netns_delete(const char *name);

/* Mounts overlayfs on target with lower (top first), creating upper, work and target. */
int runtime_overlay_mount(char *const *lower, const char *upper, const char *work, const char *target,
                          Error *err);
/* Lazily unmounts path if it is a mount point; fine if not mounted. */
int runtime_unmount(const char *path);
/* Removes the cgroup path (absolute) from every hierarchy, children first; missing ones are fine. */
void runtime_cgroup_remove(const char *path);

/* `runc kill ID SIG` / `runc delete --force ID`. A container runc does not know is not an error. */
int runtime_runc_kill(const RuntimeConfig *cfg, const char *id, int sig);
int runtime_runc_delete(const RuntimeConfig *cfg, const char *id);

/* Removes an instance directory (unmounting its rootfs first). */
int runtime_instance_remove(const RuntimeConfig *cfg, const char *dir);
/* Everything of one pod: containers killed, mounts, cgroups, netns and the pod directory removed. */
int runtime_pod_remove(const RuntimeConfig *cfg, const char *uid);

/* Stops every container started from cfg's data directory and removes their mounts, cgroups and network
 * namespaces (k3s-killall.sh's job). Returns the number of containers killed. */
int runtime_killall(const RuntimeConfig *cfg);
