/* libFuzzer target for the selector parsers: the input is read as a label selector and as a field
 * selector. Besides looking for crashes and leaks it checks the property clients rely on: whatever
 * parses prints a canonical form that parses back to the same form. */
#include <stdint.h>

#include "api/selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *sample_labels(void) {
  return json_pack("{s:s, s:s, s:s, s:s}", "app", "web", "tier", "", "example.com/n", "7", "in", "notin");
}

static json_t *sample_pod(void) {
  return json_pack("{s:{s:s, s:s}, s:{s:s, s:b}, s:{s:s, s:[{s:s}]}}", "metadata", "name", "web-1",
                   "namespace", "default", "spec", "nodeName", "node-a", "hostNetwork", 1, "status", "phase",
                   "Running", "podIPs", "ip", "10.0.0.5");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = xstrndup((const char *)data, size); /* stops at a NUL, as a C caller would */

  Error err = ERROR_INIT;
  LabelSelector *sel = NULL;
  if (label_selector_parse(s, &sel, &err) == 0) {
    json_t *labels = sample_labels();
    (void)label_selector_matches(sel, labels);
    (void)label_selector_matches(sel, NULL);
    json_decref(labels);
    char *canon = label_selector_to_string(sel);
    /* " in (" is one byte longer than "in(", so a canonical form near the size limit may not fit. */
    if (strlen(canon) <= 64 * 1024) {
      LabelSelector *again = NULL;
      if (label_selector_parse(canon, &again, NULL) < 0)
        abort();
      char *canon2 = label_selector_to_string(again);
      if (!streq(canon, canon2))
        abort();
      free(canon2);
      label_selector_free(again);
    }
    free(canon);
    label_selector_free(sel);
  } else if (!err.message) {
    abort(); /* every failure must say why */
  }
  error_reset(&err);

  FieldSelector *fs = NULL;
  if (field_selector_parse(s, &fs, &err) == 0) {
    json_t *pod = sample_pod();
    (void)field_selector_validate(fs, "", "pods", NULL);
    (void)field_selector_validate(fs, "batch", "jobs", NULL);
    (void)field_selector_validate(fs, "apps", "replicasets", NULL);
    (void)field_selector_matches(fs, "", "pods", pod);
    (void)field_selector_matches(fs, "events.k8s.io", "events", pod);
    (void)field_selector_matches(fs, "", "widgets", pod);
    (void)field_selector_required_value(fs, "metadata.name");
    json_decref(pod);
    field_selector_free(fs);
  } else if (!err.message) {
    abort();
  }
  error_reset(&err);

  free(s);
  return 0;
}
