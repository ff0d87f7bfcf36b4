/* Unit tests for the workload controllers' pure logic: the cron parser and next-time computation, CronJob
 * most-recent-time and Job construction, Job planning (parallelism, completions, Indexed, backoff limit,
 * back-off delay, deadline, suspend, TTL, success/failure conditions), DaemonSet node eligibility and pod
 * construction, and StatefulSet ordinals, ordering and rolling-update steps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "controllers/workloads.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *v = json_loads(text, 0, &e);
  if (!v)
    fail_msg("bad JSON in test: %s: %s", e.text, text);
  return v;
}

static int64_t T(int y, int mo, int d, int h, int mi) {
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
  return (int64_t)timegm(&tm);
}

static CronSchedule P(const char *s) {
  CronSchedule c;
  Error e = ERROR_INIT;
  if (cron_parse(s, &c, &e) < 0)
    fail_msg("cron_parse(%s): %s", s, e.message);
  error_reset(&e);
  return c;
}

static void bad(const char *s, const char *needle) {
  CronSchedule c;
  Error e = ERROR_INIT;
  assert_int_equal(cron_parse(s, &c, &e), -EINVAL);
  if (needle && !strstr(e.message ?: "", needle))
    fail_msg("cron_parse(%s) message \"%s\" lacks \"%s\"", s, e.message, needle);
  error_reset(&e);
}

static void test_cron_parse(void **st) {
  CronSchedule c = P("*/15 0-6/2 1,15 jan-MAR mon-fri");
  assert_true(c.minute == ((1ull << 0) | (1ull << 15) | (1ull << 30) | (1ull << 45)));
  assert_true(c.hour == ((1u << 0) | (1u << 2) | (1u << 4) | (1u << 6)));
  assert_true(c.dom == ((1u << 1) | (1u << 15)));
  assert_true(c.month == ((1u << 1) | (1u << 2) | (1u << 3)));
  assert_true(c.dow == 0x3e);
  assert_false(c.dom_star || c.dow_star);
  c = P("0 0 * * 7"); /* 7 is Sunday */
  assert_true(c.dow == 1);
  c = P("5/20 * ? * *");
  assert_true(c.minute == ((1ull << 5) | (1ull << 25) | (1ull << 45)));
  assert_true(c.dom_star);
  c = P("@hourly");
  assert_true(c.minute == 1 && c.hour == 0xffffff);
  c = P("@weekly");
  assert_true(c.dow == 1 && c.minute == 1 && c.hour == 1);
  c = P("  30  4   1  *  *  ");
  assert_true(c.minute == 1ull << 30);
  bad("", "empty");
  bad("* * * *", "exactly 5 fields");
  bad("* * * * * *", "exactly 5 fields");
  bad("60 * * * *", "minute");
  bad("* 24 * * *", "hour");
  bad("* * 0 * *", "day of month");
  bad("* * * 13 *", "month");
  bad("* * * foo *", "month");
  bad("* * * * 8", "day of week");
  bad("5-1 * * * *", "beyond end");
  bad("*/0 * * * *", "step");
  bad("1,,2 * * * *", NULL);
  bad("@every 5m", "descriptor");
  bad("TZ=UTC * * * * *", "timeZone");
  bad("CRON_TZ=Europe/Paris 0 * * * *", "timeZone");
}

static void test_cron_next(void **st) {
  CronSchedule c = P("* * * * *");
  assert_int_equal(cron_next(&c, T(2024, 5, 1, 10, 0), 0), T(2024, 5, 1, 10, 1));
  assert_int_equal(cron_next(&c, T(2024, 5, 1, 10, 0) + 59, 0), T(2024, 5, 1, 10, 1));
  c = P("30 2 * * *");
  assert_int_equal(cron_next(&c, T(2024, 5, 1, 10, 0), 0), T(2024, 5, 2, 2, 30));
  c = P("0 0 29 2 *"); /* leap day */
  assert_int_equal(cron_next(&c, T(2025, 3, 1, 0, 0), 0), T(2028, 2, 29, 0, 0));
  c = P("0 0 31 * *"); /* skips 30-day months */
  assert_int_equal(cron_next(&c, T(2024, 4, 1, 0, 0), 0), T(2024, 5, 31, 0, 0));
  c = P("0 12 * * mon"); /* 2024-05-01 is a Wednesday */
  assert_int_equal(cron_next(&c, T(2024, 5, 1, 0, 0), 0), T(2024, 5, 6, 12, 0));
  c = P("0 0 1 * mon"); /* both restricted: the 1st or any Monday */
  assert_int_equal(cron_next(&c, T(2024, 5, 1, 0, 0), 0), T(2024, 5, 6, 0, 0));
  c = P("0 0 */2 * mon"); /* a step is not "*": either day field matches */
  assert_int_equal(cron_next(&c, T(2024, 5, 1, 0, 0), 0), T(2024, 5, 3, 0, 0));
  c = P("0 0 1 * *");
  assert_int_equal(cron_next(&c, T(2024, 12, 15, 0, 0), 0), T(2025, 1, 1, 0, 0));
  c = P("0 9 * * *"); /* 09:00 at UTC-5 is 14:00 UTC */
  assert_int_equal(cron_next(&c, T(2024, 5, 1, 0, 0), -5 * 3600), T(2024, 5, 1, 14, 0));
  c = P("0 0 30 2 *"); /* never */
  assert_int_equal(cron_next(&c, T(2024, 1, 1, 0, 0), 0), -1);
  int64_t off;
  assert_int_equal(cron_zone_offset("Etc/GMT+5", &off), 0);
  assert_int_equal(off, -5 * 3600);
  assert_int_equal(cron_zone_offset("UTC", &off), 0);
  assert_int_equal(off, 0);
  assert_int_equal(cron_zone_offset(NULL, &off), 0);
  assert_int_equal(cron_zone_offset("Europe/Paris", &off), -ENOENT);
}

static void test_cronjob_most_recent(void **st) {
  CronSchedule c = P("*/5 * * * *");
  int64_t missed;
  int64_t t = cronjob_most_recent(&c, T(2024, 5, 1, 10, 0), T(2024, 5, 1, 10, 12), 0, &missed);
  assert_int_equal(t, T(2024, 5, 1, 10, 10));
  assert_int_equal(missed, 2);
  assert_int_equal(cronjob_most_recent(&c, T(2024, 5, 1, 10, 0), T(2024, 5, 1, 10, 4), 0, &missed), -1);
  /* A year of missed minutes: the latest is still found, and "too many" is reported. */
  c = P("* * * * *");
  t = cronjob_most_recent(&c, T(2023, 5, 1, 10, 0), T(2024, 5, 1, 10, 0) + 30, 0, &missed);
  assert_int_equal(t, T(2024, 5, 1, 10, 0));
  assert_true(missed > 100);
  json_t *cj =
      J("{\"metadata\":{\"name\":\"tick\",\"namespace\":\"ns\",\"uid\":\"u1\"},\"spec\":{\"jobTemplate\":"
        "{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"backoffLimit\":2}}}}");
  json_t *job = cronjob_new_job(cj, T(2024, 5, 1, 10, 0));
  char want[64];
  snprintf(want, sizeof want, "tick-%lld", (long long)(T(2024, 5, 1, 10, 0) / 60));
  assert_string_equal(jstr(job, "metadata.name"), want);
  assert_string_equal(jstr(job, "metadata.labels.a"), "b");
  assert_int_equal(jint(job, "spec.backoffLimit", 0), 2);
  assert_string_equal(jstr(json_array_get(jpath(job, "metadata.ownerReferences"), 0), "kind"), "CronJob");
  assert_string_equal(json_string_value(json_object_get(jpath(job, "metadata.annotations"),
                                                        "batch.kubernetes.io/cronjob-scheduled-timestamp")),
                      "2024-05-01T10:00:00Z");
  json_decref(job);
  json_decref(cj);
}

/* ---- Job ---- */

static json_t *job(const char *extra_spec) {
  char buf[2048];
  snprintf(
      buf, sizeof buf,
      "{\"metadata\":{\"name\":\"j\",\"namespace\":\"ns\",\"uid\":\"ju\"},\"spec\":{\"parallelism\":2,"
      "\"completions\":3,\"backoffLimit\":2,\"template\":{\"metadata\":{\"labels\":{\"job-name\":\"j\"}},"
      "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}%s%s},"
      "\"status\":{}}",
      extra_spec ? "," : "", extra_spec ?: "");
  return J(buf);
}

static json_t *pod(const char *name, const char *phase, int64_t index, const char *finished) {
  json_t *p = json_pack("{s:{s:s,s:s,s:s},s:{s:s}}", "metadata", "name", name, "uid", name,
                        "creationTimestamp", "2024-05-01T10:00:00Z", "status", "phase", phase);
  if (index >= 0) {
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)index);
    json_object_set_new(json_object_get(p, "metadata"), "annotations", json_pack("{s:s}", JOB_INDEX_ANN, b));
  }
  if (finished)
    json_object_set_new(json_object_get(p, "status"), "containerStatuses",
                        json_pack("[{s:{s:{s:s}}}]", "state", "terminated", "finishedAt", finished));
  if (streq(phase, "Running"))
    json_object_set_new(json_object_get(p, "status"), "conditions",
                        json_pack("[{s:s,s:s}]", "type", "Ready", "status", "True"));
  return p;
}

static bool has_cond(json_t *status, const char *type) {
  json_t *c = ctrl_condition(status, "conditions", type);
  return c && streq_ptr(jstr(c, "status"), "True");
}

static void test_job_plan_nonindexed(void **st) {
  int64_t now = T(2024, 5, 1, 10, 5);
  json_t *j = job(NULL);
  json_t *pods = json_array();
  JobPlan p;
  job_plan(j, pods, now, &p);
  assert_int_equal(json_array_size(p.create), 2); /* parallelism */
  assert_non_null(jstr(p.status, "startTime"));
  assert_int_equal(jint(p.status, "ready", -1), 0);
  job_plan_done(&p);
  /* One succeeded, one running: one more may start (3 completions, 2 parallel). */
  json_array_append_new(pods, pod("a", "Succeeded", -1, NULL));
  json_array_append_new(pods, pod("b", "Running", -1, NULL));
  job_plan(j, pods, now, &p);
  assert_int_equal(json_array_size(p.create), 1);
  assert_int_equal(jint(p.status, "active", 0), 1);
  assert_int_equal(jint(p.status, "succeeded", 0), 1);
  assert_int_equal(jint(p.status, "ready", 0), 1);
  job_plan_done(&p);
  /* Three succeeded: complete, with completionTime and both conditions. */
  json_array_clear(pods);
  for (int i = 0; i < 3; i++)
    json_array_append_new(pods, pod(i == 0 ? "a" : i == 1 ? "b" : "c", "Succeeded", -1, NULL));
  job_plan(j, pods, now, &p);
  assert_int_equal(json_array_size(p.create), 0);
  assert_true(has_cond(p.status, "Complete") && has_cond(p.status, "SuccessCriteriaMet"));
  assert_non_null(jstr(p.status, "completionTime"));
  assert_string_equal(p.event_reason, "Completed");
  json_t *done = p.status;
  p.status = NULL;
  job_plan_done(&p);
  /* Finished with a TTL: deleted once it has passed, requeued until then. */
  json_object_set_new(j, "status", done);
  jset(j, "spec.ttlSecondsAfterFinished", json_integer(60));
  job_plan(j, pods, now + 30, &p);
  assert_false(p.delete_job);
  assert_int_equal(p.requeue, 30);
  job_plan_done(&p);
  job_plan(j, pods, now + 61, &p);
  assert_true(p.delete_job);
  job_plan_done(&p);
  json_decref(pods);
  json_decref(j);
}

static void test_job_plan_failures(void **st) {
  int64_t now = T(2024, 5, 1, 10, 5);
  json_t *j = job(NULL);
  json_t *pods = json_array();
  JobPlan p;
  /* One failure 5 s ago: the 10 s back-off holds the replacement back. */
  json_array_append_new(pods, pod("f1", "Failed", -1, "2024-05-01T10:04:55Z"));
  json_array_append_new(pods, pod("r1", "Running", -1, NULL));
  job_plan(j, pods, now, &p);
  assert_int_equal(json_array_size(p.create), 0);
  assert_int_equal(p.requeue, 5);
  assert_int_equal(jint(p.status, "failed", 0), 1);
  job_plan_done(&p);
  job_plan(j, pods, now + 6, &p);
  assert_int_equal(json_array_size(p.create), 1);
  job_plan_done(&p);
  /* Three failures with backoffLimit 2: FailureTarget, the running pod is deleted, Failed after. */
  json_array_append_new(pods, pod("f2", "Failed", -1, "2024-05-01T10:04:00Z"));
  json_array_append_new(pods, pod("f3", "Failed", -1, "2024-05-01T10:04:00Z"));
  job_plan(j, pods, now, &p);
  assert_true(has_cond(p.status, "FailureTarget"));
  assert_false(has_cond(p.status, "Failed"));
  assert_int_equal(json_array_size(p.delete), 1);
  assert_string_equal(jstr(json_array_get(p.delete, 0), "metadata.name"), "r1");
  json_t *ft = p.status;
  p.status = NULL;
  job_plan_done(&p);
  json_object_set_new(j, "status", ft);
  json_array_remove(pods, 1); /* r1 gone */
  job_plan(j, pods, now, &p);
  json_t *c = ctrl_condition(p.status, "conditions", "Failed");
  assert_non_null(c);
  assert_string_equal(jstr(c, "reason"), "BackoffLimitExceeded");
  assert_null(jstr(p.status, "completionTime"));
  job_plan_done(&p);
  json_decref(j);
  /* activeDeadlineSeconds. */
  j = job("\"activeDeadlineSeconds\":30");
  jset(j, "status.startTime", json_string("2024-05-01T10:04:50Z"));
  json_array_clear(pods);
  json_array_append_new(pods, pod("r", "Running", -1, NULL));
  job_plan(j, pods, now, &p);
  assert_int_equal(p.requeue, 20);
  job_plan_done(&p);
  job_plan(j, pods, now + 30, &p);
  assert_string_equal(jstr(ctrl_condition(p.status, "conditions", "FailureTarget"), "reason"),
                      "DeadlineExceeded");
  job_plan_done(&p);
  json_decref(j);
  /* OnFailure: container restarts count against the backoff limit. */
  j = job(NULL);
  jset(j, "spec.template.spec.restartPolicy", json_string("OnFailure"));
  json_t *r = pod("r", "Running", -1, NULL);
  jset(r, "status.containerStatuses", json_pack("[{s:i}]", "restartCount", 3));
  json_array_clear(pods);
  json_array_append_new(pods, r);
  job_plan(j, pods, now, &p);
  assert_true(has_cond(p.status, "FailureTarget"));
  job_plan_done(&p);
  json_decref(j);
  json_decref(pods);
}

static void test_job_plan_indexed_and_suspend(void **st) {
  int64_t now = T(2024, 5, 1, 10, 5);
  json_t *j = job("\"completionMode\":\"Indexed\"");
  jset(j, "spec.completions", json_integer(5));
  jset(j, "spec.parallelism", json_integer(3));
  json_t *pods = json_array();
  json_array_append_new(pods, pod("a", "Succeeded", 0, NULL));
  json_array_append_new(pods, pod("b", "Running", 2, NULL));
  json_array_append_new(pods, pod("dup", "Running", 2, NULL));
  json_array_append_new(pods, pod("c", "Succeeded", 3, NULL));
  JobPlan p;
  job_plan(j, pods, now, &p);
  assert_string_equal(jstr(p.status, "completedIndexes"), "0,3");
  assert_int_equal(json_array_size(p.create), 2); /* indexes 1 and 4 */
  assert_int_equal(json_integer_value(json_array_get(p.create, 0)), 1);
  assert_int_equal(json_integer_value(json_array_get(p.create, 1)), 4);
  assert_int_equal(json_array_size(p.delete), 1); /* the duplicate of index 2 */
  job_plan_done(&p);
  bool set[] = {true, true, true, false, true, false, true};
  char *s = job_format_indexes(set, 7);
  assert_string_equal(s, "0-2,4,6");
  free(s);
  json_t *np = job_new_pod(j, 4);
  assert_string_equal(jstr(np, "metadata.generateName"), "j-4-");
  assert_string_equal(jstr(np, "spec.hostname"), "j-4");
  assert_string_equal(json_string_value(json_object_get(jpath(np, "metadata.annotations"), JOB_INDEX_ANN)),
                      "4");
  assert_string_equal(
      jstr(json_array_get(jpath(json_array_get(jpath(np, "spec.containers"), 0), "env"), 0), "name"),
      "JOB_COMPLETION_INDEX");
  json_decref(np);
  /* Suspended: running pods stop, no new ones, startTime cleared, Suspended condition. */
  jset(j, "spec.suspend", json_true());
  jset(j, "status.startTime", json_string("2024-05-01T10:00:00Z"));
  job_plan(j, pods, now, &p);
  assert_int_equal(json_array_size(p.create), 0);
  assert_int_equal(json_array_size(p.delete), 2);
  assert_true(has_cond(p.status, "Suspended"));
  assert_null(jstr(p.status, "startTime"));
  assert_string_equal(p.event_reason, "Suspended");
  job_plan_done(&p);
  json_decref(pods);
  json_decref(j);
}

/* ---- DaemonSet ---- */

static void test_ds_eligibility(void **st) {
  json_t *ds =
      J("{\"metadata\":{\"name\":\"d\",\"namespace\":\"ns\",\"uid\":\"du\",\"generation\":4},"
        "\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}},\"spec\":{\"containers\":[]}}}}");
  json_t *node = J("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"a\",\"size\":\"4\"}},\"spec\":{}}");
  bool run, cont;
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(run && cont);
  /* Cordoned, not ready, under pressure: DaemonSet pods still go there. */
  jset(node, "spec.taints",
       J("[{\"key\":\"node.kubernetes.io/unschedulable\",\"effect\":\"NoSchedule\"},"
         "{\"key\":\"node.kubernetes.io/not-ready\",\"effect\":\"NoExecute\"},"
         "{\"key\":\"node.kubernetes.io/disk-pressure\",\"effect\":\"NoSchedule\"},"
         "{\"key\":\"x\",\"effect\":\"PreferNoSchedule\"}]"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(run && cont);
  /* A foreign NoSchedule taint: no new pod, but a running one stays; NoExecute evicts. */
  jset(node, "spec.taints", J("[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoSchedule\"}]"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(!run && cont);
  jset(node, "spec.taints", J("[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoExecute\"}]"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(!run && !cont);
  jset(ds, "spec.template.spec.tolerations",
       J("[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"db\"}]"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(run && cont);
  jset(ds, "spec.template.spec.tolerations",
       J("[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"web\"}]"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_false(run);
  jset(ds, "spec.template.spec.tolerations", J("[{\"operator\":\"Exists\"}]"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(run);
  /* nodeSelector and required node affinity. */
  jset(ds, "spec.template.spec.nodeSelector", J("{\"zone\":\"b\"}"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(!run && !cont);
  jset(ds, "spec.template.spec.nodeSelector", J("{\"zone\":\"a\"}"));
  jset(ds, "spec.template.spec.affinity",
       J("{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":["
         "{\"matchExpressions\":[{\"key\":\"size\",\"operator\":\"Gt\",\"values\":[\"8\"]}]},"
         "{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n1\"]}]}]}}}"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_true(run);
  jset(ds, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
       J("{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"size\",\"operator\":\"Gt\",\"values\":["
         "\"8\"]}]}]}"));
  ds_node_should_run(ds, node, &run, &cont);
  assert_false(run);
  /* The pod: pinned by matchFields, automatic tolerations added once, hash and generation labels. */
  jset(ds, "spec.template.spec.tolerations",
       J("[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
         "\"tolerationSeconds\":5}]"));
  json_t *p = ds_new_pod(ds, "n7", "abc");
  assert_string_equal(ds_pod_node(p), "n7");
  json_t *terms =
      jpath(p, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms");
  assert_int_equal(json_array_size(terms), 1);
  assert_int_equal(json_array_size(jpath(p, "spec.tolerations")), 6);
  assert_int_equal(jint(json_array_get(jpath(p, "spec.tolerations"), 0), "tolerationSeconds", 0), 5);
  assert_string_equal(json_string_value(json_object_get(jpath(p, "metadata.labels"), HIST_HASH_LABEL)),
                      "abc");
  assert_string_equal(jstr(p, "metadata.labels.pod-template-generation"), "4");
  assert_string_equal(jstr(p, "metadata.generateName"), "d-");
  json_decref(p);
  json_decref(node);
  json_decref(ds);
}

/* ---- StatefulSet ---- */

static json_t *sts(int replicas, const char *policy, int partition) {
  json_t *s =
      J("{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\",\"uid\":\"su\"},\"spec\":{\"serviceName\":"
        "\"web\",\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":"
        "{\"app\":\"web\"}},\"spec\":{\"containers\":[],\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}]}},"
        "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\"},\"spec\":{}}]}}");
  jset(s, "spec.replicas", json_integer(replicas));
  jset(s, "spec.podManagementPolicy", json_string(policy));
  jset(s, "spec.updateStrategy",
       json_pack("{s:s,s:{s:i}}", "type", "RollingUpdate", "rollingUpdate", "partition", partition));
  return s;
}

static void put(json_t *pods, int ord, bool ready, const char *rev) {
  char k[8], name[16];
  snprintf(k, sizeof k, "%d", ord);
  snprintf(name, sizeof name, "web-%d", ord);
  json_t *p = pod(name, ready ? "Running" : "Pending", -1, NULL);
  json_object_set_new(json_object_get(p, "metadata"), "labels", json_pack("{s:s}", HIST_HASH_LABEL, rev));
  json_object_set_new(pods, k, p);
}

static void test_sts_plan(void **st) {
  assert_int_equal(sts_ordinal("web", "web-12"), 12);
  assert_int_equal(sts_ordinal("web", "web-0"), 0);
  assert_int_equal(sts_ordinal("web", "web-01"), -1);
  assert_int_equal(sts_ordinal("web", "web-x"), -1);
  assert_int_equal(sts_ordinal("web", "webby-1"), -1);
  assert_int_equal(sts_ordinal("web", "web-"), -1);
  StsAction a[8];
  json_t *s = sts(3, "OrderedReady", 0);
  json_t *pods = json_object();
  /* Ordered start: web-0 first, then nothing until it is ready. */
  assert_int_equal(sts_plan(s, pods, "r1", "r1", a, 8), 1);
  assert_true(a[0].type == STS_CREATE && a[0].ordinal == 0);
  put(pods, 0, false, "r1");
  assert_int_equal(sts_plan(s, pods, "r1", "r1", a, 8), 0);
  put(pods, 0, true, "r1");
  assert_int_equal(sts_plan(s, pods, "r1", "r1", a, 8), 1);
  assert_true(a[0].type == STS_CREATE && a[0].ordinal == 1);
  put(pods, 1, true, "r1");
  put(pods, 2, true, "r1");
  assert_int_equal(sts_plan(s, pods, "r1", "r1", a, 8), 0);
  /* Rolling update: highest ordinal first, one at a time. */
  assert_int_equal(sts_plan(s, pods, "r2", "r1", a, 8), 1);
  assert_true(a[0].type == STS_DELETE && a[0].ordinal == 2);
  json_object_del(pods, "2");
  assert_int_equal(sts_plan(s, pods, "r2", "r1", a, 8), 1);
  assert_true(a[0].type == STS_CREATE && a[0].ordinal == 2 && !a[0].current);
  put(pods, 2, false, "r2");
  assert_int_equal(sts_plan(s, pods, "r2", "r1", a, 8), 0); /* waits for web-2 */
  put(pods, 2, true, "r2");
  assert_int_equal(sts_plan(s, pods, "r2", "r1", a, 8), 1);
  assert_true(a[0].type == STS_DELETE && a[0].ordinal == 1);
  /* Partition 2: web-0 and web-1 stay; a recreated web-0 comes back at the current revision. */
  json_decref(s);
  s = sts(3, "OrderedReady", 2);
  assert_int_equal(sts_plan(s, pods, "r2", "r1", a, 8), 0);
  json_object_del(pods, "0");
  assert_int_equal(sts_plan(s, pods, "r2", "r1", a, 8), 1);
  assert_true(a[0].type == STS_CREATE && a[0].ordinal == 0 && a[0].current);
  put(pods, 0, true, "r1");
  /* Scale down: highest first, one at a time. */
  json_decref(s);
  s = sts(1, "OrderedReady", 0);
  assert_int_equal(sts_plan(s, pods, "r1", "r1", a, 8), 1);
  assert_true(a[0].type == STS_DELETE && a[0].ordinal == 2);
  /* Parallel: every missing pod at once; every condemned one at once. */
  json_decref(s);
  s = sts(5, "Parallel", 0);
  assert_int_equal(sts_plan(s, pods, "r1", "r1", a, 8), 2);
  assert_true(a[0].ordinal == 3 && a[1].ordinal == 4);
  json_decref(s);
  s = sts(1, "Parallel", 0);
  assert_int_equal(sts_plan(s, pods, "r1", "r1", a, 8), 2);
  assert_true(a[0].type == STS_DELETE && a[0].ordinal == 2 && a[1].ordinal == 1);
  /* Pod and claims. */
  json_t *p = sts_new_pod(s, jpath(s, "spec.template"), 3, "web-r1");
  assert_string_equal(jstr(p, "metadata.name"), "web-3");
  assert_string_equal(jstr(p, "spec.hostname"), "web-3");
  assert_string_equal(jstr(p, "spec.subdomain"), "web");
  assert_int_equal(json_array_size(jpath(p, "spec.volumes")), 1);
  assert_string_equal(jstr(json_array_get(jpath(p, "spec.volumes"), 0), "persistentVolumeClaim.claimName"),
                      "data-web-3");
  json_decref(p);
  json_t *claims = sts_new_claims(s, 3);
  assert_string_equal(jstr(json_array_get(claims, 0), "metadata.name"), "data-web-3");
  assert_string_equal(jstr(json_array_get(claims, 0), "metadata.labels.app"), "web");
  json_decref(claims);
  /* Status: the update revision becomes current once every pod runs it and is ready. */
  json_decref(s);
  s = sts(2, "OrderedReady", 0);
  json_object_clear(pods);
  put(pods, 0, true, "r2");
  put(pods, 1, true, "r1");
  json_t *status = sts_status(s, pods, "r2", "r1", 0);
  assert_string_equal(jstr(status, "currentRevision"), "r1");
  assert_int_equal(jint(status, "updatedReplicas", 0), 1);
  assert_int_equal(jint(status, "currentReplicas", 0), 1);
  json_decref(status);
  put(pods, 1, true, "r2");
  status = sts_status(s, pods, "r2", "r1", 0);
  assert_string_equal(jstr(status, "currentRevision"), "r2");
  assert_int_equal(jint(status, "currentReplicas", 0), 2);
  assert_int_equal(jint(status, "readyReplicas", 0), 2);
  json_decref(status);
  json_decref(pods);
  json_decref(s);
}

static void test_hist_data(void **st) {
  json_t *t = J("{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{}}");
  json_t *d = hist_revision_data(t);
  assert_string_equal(jstr(d, "spec.template.$patch"), "replace");
  json_t *rev = json_pack("{s:O}", "data", d);
  assert_string_equal(jstr(hist_revision_template(rev), "metadata.labels.a"), "b");
  json_decref(rev);
  json_decref(d);
  json_decref(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cron_parse),          cmocka_unit_test(test_cron_next),
      cmocka_unit_test(test_cronjob_most_recent), cmocka_unit_test(test_job_plan_nonindexed),
      cmocka_unit_test(test_job_plan_failures),   cmocka_unit_test(test_job_plan_indexed_and_suspend),
      cmocka_unit_test(test_ds_eligibility),      cmocka_unit_test(test_sts_plan),
      cmocka_unit_test(test_hist_data),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
