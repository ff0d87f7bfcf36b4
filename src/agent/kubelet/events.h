/* The kubelet's event recorder: core/v1 Events about a pod or one of its containers (involvedObject with
 * fieldPath spec.containers{NAME} or spec.initContainers{NAME}), source component kubelet on this host, a
 * repeat within ten minutes counted on the first one (count, lastTimestamp) as client-go's correlator does.
 * Best effort: a failure is logged at debug level. Thread-safe (the recorder's own lock guards its memory of
 * recent events). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/util.h"

typedef struct Kubelet Kubelet;
typedef struct KubeletPod KubeletPod;
typedef struct KubeletEvents KubeletEvents;

KubeletEvents *kubelet_events_new(void);
void kubelet_events_free(KubeletEvents *ev);

/* Records an event about pod (ns, name, uid), or about this Node when ns is NULL (name = the node);
 * field_path may be NULL (the pod itself). type is "Normal" or
 * "Warning". */
void kubelet_event(Kubelet *k, const char *ns, const char *name, const char *uid, const char *field_path,
                   const char *type, const char *reason, const char *fmt, ...) _printf_(8, 9);

/* The fieldPath of container `name` of kp: spec.initContainers{name} for an init container, else
 * spec.containers{name}. Caller frees. */
char *kubelet_ctr_field_path(const KubeletPod *kp, const char *name);

/* Shorthand: an event about container `name` of kp. */
#define kubelet_ctr_event(k_, kp_, ctr_, type_, reason_, ...)                                                \
  do {                                                                                                       \
    _cleanup_free_ char *fp_ = kubelet_ctr_field_path(kp_, ctr_);                                            \
    kubelet_event(k_, (kp_)->ns, (kp_)->name, (kp_)->uid, fp_, type_, reason_, __VA_ARGS__);                 \
  } while (0)

typedef struct ImageInfo ImageInfo;
/* Before an image is made ready for container ctr: records Pulling when it will be pulled (policy Always, or
 * not present). Returns whether it was already present, for kubelet_event_image_ready. */
bool kubelet_event_image_pulling(Kubelet *k, const KubeletPod *kp, const char *ctr, const char *image,
                                 const char *policy);
/* After: Pulled ("already present on machine" or "Successfully pulled ... in Xs"), since started_usec
 * (monotonic), or Failed with the pull error and "Error: REASON". img NULL = failed. */
void kubelet_event_image_ready(Kubelet *k, const KubeletPod *kp, const char *ctr, const char *image,
                               bool was_present, uint64_t started_usec, const ImageInfo *img,
                               const char *reason, const char *error);
