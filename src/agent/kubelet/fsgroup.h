/* pod.spec.securityContext.fsGroup applied to volumes, as the kubelet's SetVolumeOwnership does: every
 * file and directory of the volume gets the group fsGroup (lchown), regular files and directories gain the
 * group's read and write bits (read only for read-only volumes: configMap, secret, downwardAPI, projected),
 * directories also the group's search bit and the setgid bit, so that what the containers create there
 * belongs to fsGroup too. Symlinks are re-grouped but never chmod'ed. The containers' processes get fsGroup
 * as a supplementary group from the runtime (security.c, process.user.additionalGids).
 *
 * Which volumes: emptyDir once when it is created (the kubelet ignores fsGroupChangePolicy there), the
 * atomic-writer volumes whenever their files are (re)written (also without the policy), and the volumes
 * of persistent storage with fsGroupChangePolicy (OnRootMismatch: nothing is done when the volume's root
 * already has the group, the bits and setgid). hostPath volumes are never touched. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "agent/kubelet/volumes.h"
#include "base/error.h"

/* The pod's fsGroup: false when it has none. *ret_on_root_mismatch (may be NULL) is whether
 * fsGroupChangePolicy is OnRootMismatch (the default, Always, is false). */
bool volume_pod_fsgroup(json_t *pod, gid_t *ret_gid, bool *ret_on_root_mismatch);

/* SetVolumeOwnership of a writable volume's directory (persistent volumes call this): the walk above with
 * the group read/write bits. on_root_mismatch skips the walk when the root already looks done. Errors on
 * single entries are logged and the walk goes on (as the kubelet does); -errno when dir cannot be
 * opened. */
int volume_apply_fsgroup(const char *dir, gid_t gid, bool on_root_mismatch, Error *e);
/* The same with the read-only mask (group read only) when readonly. */
int volume_apply_fsgroup_mode(const char *dir, gid_t gid, bool readonly, bool on_root_mismatch, Error *e);
/* Whether the kubelet's OnRootMismatch check asks for the walk: dir's group is not gid, it is not a
 * directory, it lacks the group bits of the mask or the setgid bit. */
bool volume_fsgroup_root_mismatch(const char *dir, gid_t gid, bool readonly);

/* ---- the volume manager's hooks (volumes.c) ---- */
/* Applies the pod's fsGroup (if any) to dir without a change policy; 0 when the pod has none. */
int volume_pod_apply_fsgroup(json_t *pod, const char *dir, bool readonly, Error *e);
/* The same honouring the pod's fsGroupChangePolicy (OnRootMismatch), as the kubelet treats persistent
 * volumes: readonly for a read-only claim. Call it when the volume is set up for the pod (not on every
 * refresh: with the default policy, Always, each call walks the whole volume). */
int volume_pod_apply_fsgroup_policy(json_t *pod, const char *dir, bool readonly, Error *e);
/* Before an atomic write under an fsGroup: the files' modes gain the group read bit, so that the writer's
 * comparison with what is on disk still matches after the walk. */
void volume_pod_fsgroup_payload(json_t *pod, VolumePayload *p);
