/* Image garbage collection policy, as the kubelet's image GC manager applies it: when the image filesystem's
 * usage reaches the high threshold, free enough bytes to come back to the low threshold, deleting images
 * that no container uses, least recently used first, and never one first seen less than the minimum age
 * ago. Pure: the caller (the kubelet, src/agent/kubelet/imagegc.c) supplies the disk figures and the images'
 * usage, and deletes what the plan names. */
#include <errno.h>
#include <stdlib.h>

#include "agent/images/images.h"

static int gc_item_cmp(const void *a, const void *b, void *arg) {
  const ImageGcItem *items = arg;
  const ImageGcItem *x = &items[*(const size_t *)a], *y = &items[*(const size_t *)b];
  if (x->last_used != y->last_used)
    return x->last_used < y->last_used ? -1 : 1;
  if (x->first_seen != y->first_seen)
    return x->first_seen < y->first_seen ? -1 : 1;
  return 0;
}

int image_gc_check_thresholds(int high, int low, Error *err) {
  if (high < 0 || high > 100)
    return error_set(err, -EINVAL, NULL, "invalid --image-gc-high-threshold %d: must be between 0 and 100",
                     high);
  if (low < 0 || low > 100)
    return error_set(err, -EINVAL, NULL, "invalid --image-gc-low-threshold %d: must be between 0 and 100",
                     low);
  if (low >= high && high != 100)
    return error_set(err, -EINVAL, NULL,
                     "--image-gc-low-threshold (%d) must be less than --image-gc-high-threshold (%d)", low,
                     high);
  return 0;
}

size_t image_gc_plan(const ImageGcPolicy *p, uint64_t capacity, uint64_t available, const ImageGcItem *items,
                     size_t n, int64_t now, size_t *order, ImageGcResult *res) {
  *res = (ImageGcResult){0};
  if (p->high_percent >= 100 || capacity == 0)
    return 0; /* disabled, or nothing known of the disk */
  if (available > capacity)
    available = capacity;
  int usage = 100 - (int)(available * 100 / capacity);
  res->usage_percent = usage;
  if (usage < p->high_percent)
    return 0;
  uint64_t target = capacity * (uint64_t)(100 - p->low_percent) / 100; /* bytes to have available */
  res->to_free = target > available ? (int64_t)(target - available) : 0;
  res->triggered = true;
  if (res->to_free == 0)
    return 0;
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (!items[i].in_use)
      order[m++] = i;
  qsort_r(order, m, sizeof *order, gc_item_cmp, (void *)items);
  size_t chosen = 0;
  for (size_t j = 0; j < m && res->freed < res->to_free; j++) {
    const ImageGcItem *it = &items[order[j]];
    if (now - it->first_seen < p->min_age_sec)
      continue; /* too young: it may be about to be used */
    order[chosen++] = order[j];
    res->freed += it->size;
  }
  return chosen;
}
