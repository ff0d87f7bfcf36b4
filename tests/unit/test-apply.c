/* Unit tests of src/api/apply-merge.c, the pure part of server-side apply: the FieldsV1 set of an applied
 * Deployment, the merge (overwrite, keyed lists item by item, removal of what the applier stopped
 * setting unless someone else owns it, atomic lists replaced, set lists), conflict detection, the path
 * notation of conflict messages, and the set algebra the managedFields bookkeeping uses. JSON literals use
 * ' for " and ` for an escaped quote inside a string, to keep FieldsV1 keys readable. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/apply-merge.h"
#include "base/strv.h"

static json_t *parse(const char *text) {
  char *s = xmalloc(2 * strlen(text) + 1), *o = s;
  for (const char *c = text; *c; c++) {
    if (*c == '`')
      *o++ = '\\', *o++ = '"';
    else
      *o++ = *c == '\'' ? '"' : *c;
  }
  *o = 0;
  json_error_t e;
  json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
  if (!j)
    fail_msg("test JSON does not parse (%s): %s", e.text, s);
  free(s);
  return j;
}

static void assert_json(json_t *got, const char *want_text) {
  json_t *want = parse(want_text);
  char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT),
       *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
  if (!json_equal(got, want))
    fail_msg("got  %s\nwant %s", g, w);
  free(g);
  free(w);
  json_decref(want);
}

static const SchemaMessage *deployment(void) {
  const SchemaMessage *m = schema_for_kind("apps", "v1", "Deployment");
  assert_non_null(m);
  return m;
}

static const char *const CONFIG =
    "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
    "'spec':{'replicas':2,'template':{'spec':{'containers':[{'name':'web','image':'nginx',"
    "'args':['a','b'],'ports':[{'containerPort':80}],'env':[{'name':'A','value':'1'}]}]}}},"
    "'status':{'replicas':9}}";

static void test_fieldset(void **state) {
  (void)state;
  json_t *cfg = parse(CONFIG);
  json_t *set = fieldset_from_object(deployment(), cfg, true);
  assert_json(set, "{'f:metadata':{'f:labels':{'f:app':{}}},'f:spec':{'f:replicas':{},'f:template':{'f:spec':"
                   "{'f:containers':{'k:{`name`:`web`}':{'.':{},'f:name':{},'f:image':{},'f:args':{},"
                   "'f:ports':{'k:{`containerPort`:80,`protocol`:`TCP`}':{'.':{},'f:containerPort':{}}},"
                   "'f:env':{'k:{`name`:`A`}':{'.':{},'f:name':{},'f:value':{}}}}}}}}}");
  /* Without a status subresource status is owned like the rest; explicit nulls set nothing. */
  json_t *other =
      parse("{'metadata':{'name':'x','finalizers':['a','b']},'spec':null,'status':{'phase':'P'}}");
  json_t *set2 = fieldset_from_object(NULL, other, false);
  assert_json(set2, "{'f:metadata':{'f:finalizers':{}},'f:status':{'f:phase':{}}}");
  json_t *set3 = fieldset_from_object(schema_for_kind("", "v1", "Namespace"), other, true);
  assert_json(set3, "{'f:metadata':{'f:finalizers':{'v:`a`':{},'v:`b`':{}}}}");
  char **paths = fieldset_paths(set);
  assert_true(strv_contains(paths, ".spec.template.spec.containers[name=\"web\"].image"));
  assert_true(strv_contains(paths, ".spec.template.spec.containers[name=\"web\"]"));
  assert_true(strv_contains(paths, ".spec.replicas"));
  strv_free(paths);
  json_decref(cfg), json_decref(set), json_decref(other), json_decref(set2), json_decref(set3);
}

static void test_merge(void **state) {
  (void)state;
  json_t *live = parse("{'metadata':{'name':'web','labels':{'app':'web','tier':'x'}},'spec':{'replicas':5,"
                       "'template':{'spec':{'containers':[{'name':'web','image':'nginx','args':['a','b','c'],"
                       "'imagePullPolicy':'Always','env':[{'name':'A','value':'1'},{'name':'B','value':'2'},"
                       "{'name':'C','value':'3'}]},{'name':'side','image':'busybox'}]}}}}");
  json_t *prev = parse("{'f:metadata':{'f:labels':{'f:app':{}}},'f:spec':{'f:replicas':{},'f:template':{"
                       "'f:spec':{'f:containers':{'k:{`name`:`web`}':{'.':{},'f:name':{},'f:image':{},"
                       "'f:args':{},'f:env':{'k:{`name`:`A`}':{'.':{},'f:name':{},'f:value':{}},"
                       "'k:{`name`:`B`}':{'.':{},'f:name':{},'f:value':{}}}}}}}}}");
  json_t *others = parse("{'f:metadata':{'f:labels':{'f:tier':{}}},'f:spec':{'f:template':{'f:spec':{"
                         "'f:containers':{'k:{`name`:`web`}':{'f:imagePullPolicy':{},'f:env':{"
                         "'k:{`name`:`C`}':{'.':{},'f:name':{},'f:value':{}}}},'k:{`name`:`side`}':{"
                         "'.':{},'f:name':{},'f:image':{}}}}}}}");
  /* replicas and label app are no longer applied; B is dropped from env; args shrink (atomic). */
  json_t *cfg = parse("{'metadata':{'name':'web'},'spec':{'template':{'spec':{'containers':[{'name':'web',"
                      "'image':'nginx:2','args':['z'],'env':[{'name':'A','value':'10'}]}]}}}}");
  json_t *res = apply_merge(deployment(), live, cfg, prev, others);
  assert_json(res, "{'metadata':{'name':'web','labels':{'tier':'x'}},'spec':{'template':{'spec':{"
                   "'containers':[{'name':'web','image':'nginx:2','args':['z'],'imagePullPolicy':'Always',"
                   "'env':[{'name':'A','value':'10'},{'name':'C','value':'3'}]},{'name':'side','image':"
                   "'busybox'}]}}}}");
  /* Nothing owned before: only additions and overwrites. */
  json_t *res2 = apply_merge(deployment(), live, cfg, NULL, NULL);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(res2, "spec"), "replicas")), 5);
  json_decref(live), json_decref(prev), json_decref(others), json_decref(cfg), json_decref(res);
  json_decref(res2);
}

static void test_merge_sets_and_unknown(void **state) {
  (void)state;
  const SchemaMessage *ns = schema_for_kind("", "v1", "Namespace");
  json_t *live = parse("{'metadata':{'finalizers':['a','b','c']},'x':{'l':[1,2],'m':{'p':1,'q':2}}}");
  json_t *prev = parse("{'f:metadata':{'f:finalizers':{'v:`a`':{},'v:`b`':{}}},'f:x':{'f:m':{'f:p':{}}}}");
  json_t *cfg = parse("{'metadata':{'finalizers':['a','d']},'x':{'l':[3]}}");
  json_t *res = apply_merge(ns, live, cfg, prev, NULL);
  assert_json(res, "{'metadata':{'finalizers':['a','d','c']},'x':{'l':[3],'m':{'q':2}}}");
  json_decref(live), json_decref(prev), json_decref(cfg), json_decref(res);
}

static void test_conflicts(void **state) {
  (void)state;
  json_t *live =
      parse("{'spec':{'replicas':5,'template':{'spec':{'containers':[{'name':'web','image':'a'}]}}}}");
  json_t *other = parse("{'f:spec':{'f:replicas':{},'f:template':{'f:spec':{'f:containers':{"
                        "'k:{`name`:`web`}':{'f:image':{}}}}}}}");
  json_t *cfg =
      parse("{'spec':{'replicas':4,'template':{'spec':{'containers':[{'name':'web','image':'a'}]}}}}");
  json_t *applied = fieldset_from_object(deployment(), cfg, true);
  json_t *c = apply_conflicts(applied, cfg, live, other);
  assert_json(c, "{'f:spec':{'f:replicas':{}}}");
  char **paths = fieldset_paths(c);
  assert_int_equal(strv_length(paths), 1);
  assert_string_equal(paths[0], ".spec.replicas");
  strv_free(paths);
  json_decref(c);
  /* The live value applied again is shared ownership, not a conflict. */
  json_object_set_new(json_object_get(cfg, "spec"), "replicas", json_integer(5));
  c = apply_conflicts(applied, cfg, live, other);
  assert_true(fieldset_is_empty(c));
  json_decref(c);
  c = apply_conflicts(applied, cfg, live, NULL);
  assert_true(fieldset_is_empty(c));
  json_decref(live), json_decref(other), json_decref(cfg), json_decref(applied), json_decref(c);
}

static void test_set_algebra(void **state) {
  (void)state;
  json_t *old = parse("{'metadata':{'name':'a','labels':{'x':'1'}},'spec':{'replicas':1,'paused':false}}");
  json_t *nw =
      parse("{'metadata':{'name':'a','labels':{'x':'1','y':'2'},'generation':3},'spec':{'replicas':2}}");
  json_t *changed = fieldset_changed(deployment(), old, nw, true);
  assert_json(changed, "{'f:metadata':{'f:labels':{'f:y':{}}},'f:spec':{'f:replicas':{}}}");
  json_t *set =
      parse("{'f:metadata':{'f:labels':{'f:x':{},'f:y':{}}},'f:spec':{'f:replicas':{},'f:paused':{}}}");
  fieldset_subtract(set, changed);
  assert_json(set, "{'f:metadata':{'f:labels':{'f:x':{}}},'f:spec':{'f:paused':{}}}");
  fieldset_prune(set, nw); /* paused is gone from the object */
  assert_json(set, "{'f:metadata':{'f:labels':{'f:x':{}}}}");
  fieldset_union_into(set, changed);
  assert_json(set, "{'f:metadata':{'f:labels':{'f:x':{},'f:y':{}}},'f:spec':{'f:replicas':{}}}");
  json_t *none = fieldset_changed(deployment(), nw, nw, true);
  assert_true(fieldset_is_empty(none));
  json_decref(old), json_decref(nw), json_decref(changed), json_decref(set), json_decref(none);
}

/* Container and service ports are keyed by number and protocol, as Kubernetes' list-map-keys: the same
 * port on TCP and UDP are two items (DNS), and a port without protocol is the TCP one the server defaulted.
 */
static void test_port_keys(void **state) {
  (void)state;
  json_t *live = parse("{'metadata':{'name':'dns'},'spec':{'template':{'spec':{'containers':[{'name':'d',"
                       "'image':'i','ports':[{'containerPort':53,'protocol':'UDP','name':'dns'},"
                       "{'containerPort':53,'protocol':'TCP','name':'dns-tcp'}]}]}}}}");
  json_t *set = fieldset_from_object(deployment(), live, true);
  char **paths = fieldset_paths(set);
  assert_true(strv_contains(
      paths, ".spec.template.spec.containers[name=\"d\"].ports[containerPort=53,protocol=\"UDP\"].name"));
  assert_true(strv_contains(
      paths, ".spec.template.spec.containers[name=\"d\"].ports[containerPort=53,protocol=\"TCP\"].name"));
  strv_free(paths);
  /* Re-applying only the TCP port (no protocol) updates that item and drops the UDP one this manager owned.
   */
  json_t *cfg = parse("{'metadata':{'name':'dns'},'spec':{'template':{'spec':{'containers':[{'name':'d',"
                      "'image':'i','ports':[{'containerPort':53,'name':'tcp'}]}]}}}}");
  json_t *res = apply_merge(deployment(), live, cfg, set, NULL);
  assert_json(res, "{'metadata':{'name':'dns'},'spec':{'template':{'spec':{'containers':[{'name':'d',"
                   "'image':'i','ports':[{'containerPort':53,'name':'tcp'}]}]}}}}");
  const SchemaMessage *svc = schema_for_kind("", "v1", "Service");
  json_t *s = parse("{'spec':{'ports':[{'port':53,'protocol':'UDP'},{'port':53}]}}");
  json_t *sset = fieldset_from_object(svc, s, true);
  assert_json(sset,
              "{'f:spec':{'f:ports':{'k:{`port`:53,`protocol`:`UDP`}':{'.':{},'f:port':{},'f:protocol':{}},"
              "'k:{`port`:53,`protocol`:`TCP`}':{'.':{},'f:port':{}}}}}");
  json_decref(live), json_decref(set), json_decref(cfg), json_decref(res), json_decref(s), json_decref(sset);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fieldset),
      cmocka_unit_test(test_merge),
      cmocka_unit_test(test_merge_sets_and_unknown),
      cmocka_unit_test(test_conflicts),
      cmocka_unit_test(test_set_algebra),
      cmocka_unit_test(test_port_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
