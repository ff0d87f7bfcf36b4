/* The kubelet's image garbage collector (the policy is src/agent/images/gc.c): every --image-gc-period the
 * node thread measures the image filesystem (statvfs of DATA_DIR/agent/images), marks the images that the
 * containers of this node's pods use (spec images and status imageIDs from the pod informer, so exited
 * containers kept by their pod count too), and deletes what the plan names, least recently used first.
 * When it cannot free enough it records Warning events on the Node as the kubelet does: FreeDiskSpaceFailed
 * for each such pass, ImageGCFailed when two passes in a row failed.
 *
 * As in the kubelet, first-seen and last-used times live in memory: after a restart every image counts as
 * just seen, which the minimum age protects. Runs on the node thread only (no lock). */
#include <errno.h>
#include <sys/statvfs.h>

#include "agent/kubelet/events.h"
#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"

/* Adds the image ID (config digest) that ref resolves to, if stored, to the set. */
static void mark_used(Kubelet *k, const char *ref, json_t *used) {
  if (isempty(ref))
    return;
  _cleanup_image_info_ ImageInfo *img = NULL;
  if (image_lookup(k->images, ref, &img, NULL) == 0 && img->config)
    json_object_set_new(used, img->config, json_true());
}

static json_t *images_in_use(Kubelet *k) {
  json_t *used = json_object();
  _cleanup_json_ json_t *pods = k->pods ? informer_list(k->pods) : json_array();
  size_t i;
  json_t *pod;
  json_array_foreach(pods, i, pod) {
    static const char *const specs[] = {"spec.containers", "spec.initContainers", "spec.ephemeralContainers"};
    for (size_t s = 0; s < ELEMENTSOF(specs); s++) {
      size_t j;
      json_t *c;
      json_array_foreach(jpath(pod, specs[s]), j, c) mark_used(k, jstr(c, "image"), used);
    }
    static const char *const stats[] = {"status.containerStatuses", "status.initContainerStatuses"};
    for (size_t s = 0; s < ELEMENTSOF(stats); s++) {
      size_t j;
      json_t *c;
      json_array_foreach(jpath(pod, stats[s]), j, c) mark_used(k, jstr(c, "imageID"), used);
    }
  }
  return used;
}

size_t kubelet_image_gc(Kubelet *k) {
  ImageGcPolicy p = {.high_percent = k->opts.image_gc_high_percent,
                     .low_percent = k->opts.image_gc_low_percent,
                     .min_age_sec = k->opts.image_minimum_gc_age_sec};
  if (p.high_percent <= 0) /* not set: the kubelet's defaults */
    p = (ImageGcPolicy){.high_percent = 85, .low_percent = 80, .min_age_sec = 120};
  if (p.high_percent >= 100)
    return 0;
  _cleanup_free_ char *dir = xasprintf("%s/agent/images", k->opts.data_dir);
  struct statvfs vfs;
  if (statvfs(dir, &vfs) < 0) {
    log_warn("kubelet", "msg=\"image garbage collection: cannot measure the image filesystem\" dir=%s err=%m",
             dir);
    return 0;
  }
  uint64_t capacity = (uint64_t)vfs.f_blocks * vfs.f_frsize,
           available = (uint64_t)vfs.f_bavail * vfs.f_frsize;

  ImageInfo **list = NULL;
  size_t n_list = 0;
  _cleanup_error_ Error err = ERROR_INIT;
  if (image_list(k->images, &list, &n_list, &err) < 0) {
    log_warn("kubelet", "msg=\"image garbage collection: listing images failed\" err=\"%s\"",
             err.message ?: "");
    return 0;
  }
  _cleanup_json_ json_t *used = images_in_use(k);
  int64_t now = (int64_t)(now_realtime_usec() / 1000000u);
  if (!k->image_gc_seen)
    k->image_gc_seen = json_object();
  /* One item per image ID (an image may be stored under several names). */
  ImageGcItem *items = xcalloc(n_list ? n_list : 1, sizeof *items);
  size_t n = 0;
  _cleanup_json_ json_t *present = json_object();
  for (size_t i = 0; i < n_list; i++) {
    const char *id = list[i]->config;
    if (!id || json_object_get(present, id))
      continue;
    json_object_set_new(present, id, json_true());
    json_t *seen = json_object_get(k->image_gc_seen, id);
    bool in_use = json_object_get(used, id) != NULL;
    if (!seen) {
      seen = json_pack("{s:I,s:I}", "first", (json_int_t)now, "last", (json_int_t)now);
      json_object_set_new(k->image_gc_seen, id, seen);
    }
    if (in_use)
      json_object_set_new(seen, "last", json_integer(now));
    items[n++] = (ImageGcItem){.id = id,
                               .size = list[i]->size,
                               .first_seen = jint(seen, "first", now),
                               .last_used = jint(seen, "last", now),
                               .in_use = in_use};
  }
  /* Forget images that are gone. */
  const char *key;
  json_t *val;
  void *tmp;
  json_object_foreach_safe(k->image_gc_seen, tmp, key, val) {
    if (!json_object_get(present, key))
      json_object_del(k->image_gc_seen, key);
  }

  size_t *order = xcalloc(n ? n : 1, sizeof *order);
  ImageGcResult res;
  size_t chosen = image_gc_plan(&p, capacity, available, items, n, now, order, &res);
  int64_t freed = 0;
  size_t removed = 0;
  for (size_t j = 0; j < chosen; j++) {
    const ImageGcItem *it = &items[order[j]];
    int64_t f = 0;
    Error e = ERROR_INIT;
    if (image_remove(k->images, it->id, &f, &e) < 0 && e.code != -ENOENT)
      log_warn("kubelet", "msg=\"image garbage collection: removing image failed\" image=%s err=\"%s\"",
               it->id, e.message ?: "");
    else {
      log_info("kubelet", "msg=\"image garbage collection: removed image\" image=%s size=%lld", it->id,
               (long long)it->size);
      freed += it->size;
      removed++;
      json_object_del(k->image_gc_seen, it->id);
    }
    error_reset(&e);
  }
  if (res.triggered)
    log_info("kubelet", "msg=\"image garbage collection\" usage=%d%% high=%d%% to_free=%lld freed=%lld",
             res.usage_percent, p.high_percent, (long long)res.to_free, (long long)freed);
  /* As the kubelet: FreeDiskSpaceFailed on every pass that cannot free enough, ImageGCFailed when that
   * happens twice in a row. */
  bool failed = res.triggered && freed < res.to_free;
  if (failed) {
    static const char *const fmt = "Failed to garbage collect required amount of images. Attempted to free "
                                   "%lld bytes, but only found %lld bytes eligible to free.";
    kubelet_event(k, NULL, k->opts.node_name, k->opts.node_name, NULL, "Warning", "FreeDiskSpaceFailed", fmt,
                  (long long)res.to_free, (long long)freed);
    if (k->image_gc_failed_before)
      kubelet_event(k, NULL, k->opts.node_name, k->opts.node_name, NULL, "Warning", "ImageGCFailed", fmt,
                    (long long)res.to_free, (long long)freed);
  }
  k->image_gc_failed_before = failed;
  free(order);
  free(items);
  image_info_list_free(list, n_list);
  return removed;
}
