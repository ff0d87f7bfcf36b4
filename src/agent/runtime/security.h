/* A container's securityContext turned into OCI settings the way the kubelet and containerd's CRI plugin do
 * it: the pod's securityContext under the container's (the container wins field by field), the runAsNonRoot
 * check on the image's user, capabilities (default set, add/drop with or without CAP_, ALL, privileged),
 * supplementary groups (the image's /etc/group, fsGroup, supplementalGroups), the pod's namespaced sysctls
 * (Kubernetes' safe set only), seccomp (Unconfined by default as the kubelet's --seccomp-default=false,
 * RuntimeDefault as a small deny-list profile of ours, Localhost from a profile file) and a privileged
 * container's host devices. Pure functions except where a comment names the file read; no threads. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* Where Localhost seccomp profiles live (the kubelet's default root-dir/seccomp). */
#define RUNTIME_SECCOMP_ROOT "/var/lib/kubelet/seccomp"

/* The effective value of a field both levels have (runAsUser, runAsGroup, runAsNonRoot, seccompProfile,
 * seLinuxOptions, appArmorProfile): the container's when set, else the pod's. Borrowed; NULL if neither. */
json_t *runtime_sc_field(json_t *pod_sc, json_t *ctr_sc, const char *field);

/* The checks the kubelet makes before it creates a container, failing it with CreateContainerConfigError:
 * runAsNonRoot against runAsUser or the image config's User (a non-numeric user cannot be verified, an
 * empty one is root), and the pod's sysctls (only Kubernetes' safe namespaced set; net.* not with
 * hostNetwork, kernel.shm* not with hostIPC). pod is the whole Pod (for its name in messages), ctr its
 * container spec, image_config the image config's "config" object (may be NULL). -EPERM with the message. */
int runtime_security_check(json_t *pod, json_t *ctr, json_t *image_config, Error *err);

/* Whether name is one of Kubernetes' safe (namespaced, allowed by default) sysctls; "/" separators
 * accepted. */
bool runtime_sysctl_is_safe(const char *name);
/* The pod's sysctls as the OCI linux.sysctl object (names with dots), or NULL when there are none. */
json_t *runtime_sysctls(json_t *pod_sc);

/* The capability sets {bounding, effective, permitted}. privileged or add ALL gives every capability the
 * host's bounding set holds (host_bounding: a bit per CAP_ number; 0 = all known); then drop ALL, then the
 * named adds, then the named drops, as containerd applies them. */
json_t *runtime_capabilities(json_t *ctr_sc, bool privileged, uint64_t host_bounding);
/* The capability bounding set of this process (/proc/self/status CapBnd), 0 if unreadable. */
uint64_t runtime_host_cap_bounding(void);

/* process.user.additionalGids: the primary gid, the groups of /etc/group (group_path, may be NULL) that
 * list user_name (may be NULL), then the pod's fsGroup and supplementalGroups; without duplicates. */
json_t *runtime_additional_gids(json_t *pod_sc, int64_t gid, const char *user_name, const char *group_path);

/* linux.seccomp for the effective seccompProfile: NULL for Unconfined, unset, or privileged; our
 * RuntimeDefault profile; a Localhost profile read from root/localhostProfile (root NULL =
 * RUNTIME_SECCOMP_ROOT). sys_admin: the container keeps CAP_SYS_ADMIN, so the default profile lets it
 * mount and unshare. -EINVAL (CreateContainerError) for a bad type, path or profile. */
int runtime_seccomp(json_t *pod_sc, json_t *ctr_sc, bool privileged, bool sys_admin, const char *root,
                    json_t **ret, Error *err);
/* The RuntimeDefault profile: allow by default, EPERM for the syscalls that reach outside the container's
 * namespaces or widen the kernel's attack surface (module loading, kexec, reboot, clocks, swap, keyrings,
 * bpf, perf, userfaultfd, io_uring, open_by_handle_at, and without CAP_SYS_ADMIN mount, umount2,
 * pivot_root, unshare, setns). A deny list, not containerd's allow list. */
json_t *runtime_seccomp_default(bool sys_admin);

/* linux.devices for a privileged container: every character and block device under dev_dir (NULL =
 * "/dev"), skipping pts, shm, mqueue, fd and console as containerd does. Reads the directory. */
json_t *runtime_host_devices(const char *dev_dir);
