/* Unit tests of src/api/patch.c and patch-meta.c: JSON merge patch (RFC 7386 appendix A), JSON patch (RFC
 * 6902 appendix A, bounds and error wording), and strategic merge patch as kubectl uses it — the literal
 * bodies kubectl apply / set image / rollout restart send, applied to a live Deployment — plus every
 * directive, the per-kind metadata and malformed input. Cases are tables of JSON literals written with
 * single quotes (turned into double quotes before parsing) to keep them readable. Every run also checks
 * that the inputs were left untouched and that no directive leaks into a strategic result. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/patch.h"

/* ---- helpers ----------------------------------------------------------------------------------------- */

static json_t *parse(const char *text) {
  char *s = xstrdup(text);
  for (char *c = s; *c; c++)
    if (*c == '\'')
      *c = '"';
  json_error_t e;
  json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
  if (!j)
    fail_msg("test JSON does not parse (%s): %s", e.text, s);
  free(s);
  return j;
}

static char *dump(const json_t *j) {
  char *s = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  return s ? s : xstrdup("(null)");
}

/* True if some object key anywhere is a strategic-merge directive. */
static bool has_directive(json_t *j) {
  if (json_is_object(j)) {
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
      if (streq(k, "$patch") || streq(k, "$retainKeys") || startswith(k, "$setElementOrder") ||
          startswith(k, "$deleteFromPrimitiveList") || has_directive(v))
        return true;
    }
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) {
      if (has_directive(v))
        return true;
    }
  }
  return false;
}

enum { MERGE, JSONPATCH, STRATEGIC };

typedef struct Case {
  const char *name;
  const char *target;
  const char *patch;
  const char *want;  /* expected result, NULL when an error is expected */
  int code;          /* expected negative errno, 0 for success */
  const char *msg;   /* substring of the error message, or NULL */
  const char *group; /* strategic only */
  const char *kind;  /* strategic only */
} Case;

#define OK(name, target, patch, want)                                                                        \
  { name, target, patch, want, 0, NULL, NULL, NULL }
#define FAIL(name, target, patch, code, msg)                                                                 \
  { name, target, patch, NULL, code, msg, NULL, NULL }
#define KIND(group, kind, name, target, patch, want)                                                         \
  { name, target, patch, want, 0, NULL, group, kind }

static void run_case(int flavour, const Case *c) {
  json_t *target = parse(c->target), *patch = parse(c->patch);
  char *target_before = dump(target), *patch_before = dump(patch);
  json_t *got = NULL;
  Error err = ERROR_INIT;
  int r;
  switch (flavour) {
  case MERGE:
    r = patch_merge(target, patch, &got, &err);
    break;
  case JSONPATCH:
    r = patch_json(target, patch, &got, &err);
    break;
  default:
    r = patch_strategic(target, patch, c->group ? c->group : "apps", c->kind ? c->kind : "Deployment", &got,
                        &err);
    break;
  }
  if (c->code) {
    if (r != c->code)
      fail_msg("%s: want error %d, got %d (%s) result %s", c->name, c->code, r,
               err.message ? err.message : "", dump(got));
    if (got)
      fail_msg("%s: result written on failure", c->name);
    if (c->msg && (!err.message || !strstr(err.message, c->msg)))
      fail_msg("%s: error message \"%s\" lacks \"%s\"", c->name, err.message ? err.message : "", c->msg);
  } else {
    if (r < 0)
      fail_msg("%s: unexpected error %d: %s", c->name, r, err.message ? err.message : "");
    json_t *want = parse(c->want);
    if (!json_equal(got, want))
      fail_msg("%s:\n  got  %s\n  want %s", c->name, dump(got), dump(want));
    if (flavour == STRATEGIC && has_directive(got))
      fail_msg("%s: a directive leaked into %s", c->name, dump(got));
    json_decref(want);
  }
  char *target_after = dump(target), *patch_after = dump(patch);
  if (!streq(target_before, target_after) || !streq(patch_before, patch_after))
    fail_msg("%s: an input was modified", c->name);
  /* The result must not share containers with the inputs: editing it leaves them alone. */
  if (json_is_object(got)) {
    json_object_set_new(got, "zzz-probe", json_true());
    json_t *meta = json_object_get(got, "metadata");
    if (json_is_object(meta))
      json_object_set_new(meta, "zzz-probe", json_true());
    free(target_after);
    target_after = dump(target);
    if (!streq(target_before, target_after))
      fail_msg("%s: the result shares values with the target", c->name);
  }
  free(target_before);
  free(target_after);
  free(patch_before);
  free(patch_after);
  json_decref(got);
  json_decref(target);
  json_decref(patch);
  error_reset(&err);
}

/* ---- JSON merge patch: RFC 7386 appendix A and the 400 for non-object patches ------------------------ */

static const Case merge_cases[] = {
    OK("A1 replace", "{'a':'b'}", "{'a':'c'}", "{'a':'c'}"),
    OK("A2 add", "{'a':'b'}", "{'b':'c'}", "{'a':'b','b':'c'}"),
    OK("A3 delete", "{'a':'b'}", "{'a':null}", "{}"),
    OK("A4 delete one", "{'a':'b','b':'c'}", "{'a':null}", "{'b':'c'}"),
    OK("A5 list to scalar", "{'a':['b']}", "{'a':'c'}", "{'a':'c'}"),
    OK("A6 scalar to list", "{'a':'c'}", "{'a':['b']}", "{'a':['b']}"),
    OK("A7 nested", "{'a':{'b':'c'}}", "{'a':{'b':'d','c':null}}", "{'a':{'b':'d'}}"),
    OK("A8 lists replace", "{'a':[{'b':'c'}]}", "{'a':[1]}", "{'a':[1]}"),
    OK("A12 null kept in target", "{'e':null}", "{'a':1}", "{'e':null,'a':1}"),
    OK("A13 non-object target", "[1,2]", "{'a':'b','c':null}", "{'a':'b'}"),
    OK("A14 nulls inside new maps vanish", "{}", "{'a':{'bb':{'ccc':null}}}", "{'a':{'bb':{}}}"),
    OK("labels like kubectl label", "{'metadata':{'name':'x','labels':{'a':'1'}}}",
       "{'metadata':{'labels':{'b':'2','a':null}}}", "{'metadata':{'name':'x','labels':{'b':'2'}}}"),
    FAIL("A9 array patch is rejected", "['a','b']", "['c','d']", -EBADMSG, NULL),
    FAIL("A10 array patch on object", "{'a':'b'}", "['c']", -EBADMSG, NULL),
    FAIL("A11 null patch", "{'a':'foo'}", "null", -EBADMSG, NULL),
    FAIL("string patch", "{'a':'foo'}", "'bar'", -EBADMSG, NULL),
};

static void test_merge_patch(void **state) {
  for (size_t i = 0; i < ELEMENTSOF(merge_cases); i++)
    run_case(MERGE, &merge_cases[i]);
}

/* ---- JSON patch: RFC 6902 appendix A plus bounds and wording ------------------------------------------ */

static const Case json_cases[] = {
    OK("A1 add member", "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux'}]",
       "{'baz':'qux','foo':'bar'}"),
    OK("A2 add element", "{'foo':['bar','baz']}", "[{'op':'add','path':'/foo/1','value':'qux'}]",
       "{'foo':['bar','qux','baz']}"),
    OK("A3 remove member", "{'baz':'qux','foo':'bar'}", "[{'op':'remove','path':'/baz'}]", "{'foo':'bar'}"),
    OK("A4 remove element", "{'foo':['bar','qux','baz']}", "[{'op':'remove','path':'/foo/1'}]",
       "{'foo':['bar','baz']}"),
    OK("A5 replace", "{'baz':'qux','foo':'bar'}", "[{'op':'replace','path':'/baz','value':'boo'}]",
       "{'baz':'boo','foo':'bar'}"),
    OK("A6 move member", "{'foo':{'bar':'baz','waldo':'fred'},'qux':{'corge':'grault'}}",
       "[{'op':'move','from':'/foo/waldo','path':'/qux/thud'}]",
       "{'foo':{'bar':'baz'},'qux':{'corge':'grault','thud':'fred'}}"),
    OK("A7 move element", "{'foo':['all','grass','cows','eat']}",
       "[{'op':'move','from':'/foo/1','path':'/foo/3'}]", "{'foo':['all','cows','eat','grass']}"),
    OK("A8 test success", "{'baz':'qux','foo':['a',2,'c']}",
       "[{'op':'test','path':'/baz','value':'qux'},{'op':'test','path':'/foo/1','value':2}]",
       "{'baz':'qux','foo':['a',2,'c']}"),
    FAIL("A9 test failure", "{'baz':'qux'}", "[{'op':'test','path':'/baz','value':'bar'}]", -EINVAL,
         "testing value /baz failed"),
    OK("A10 add nested object", "{'foo':'bar'}", "[{'op':'add','path':'/child','value':{'grandchild':{}}}]",
       "{'foo':'bar','child':{'grandchild':{}}}"),
    OK("A11 unknown members ignored", "{'foo':'bar'}", "[{'op':'add','path':'/baz','value':'qux','xyz':123}]",
       "{'foo':'bar','baz':'qux'}"),
    FAIL("A12 add to nonexistent target", "{'foo':'bar'}", "[{'op':'add','path':'/baz/bat','value':'qux'}]",
         -EINVAL, "add operation does not apply: doc is missing path: \"/baz/bat\""),
    OK("A14 ~ escapes", "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':10}]", "{'/':9,'~1':10}"),
    FAIL("A15 string is not number", "{'/':9,'~1':10}", "[{'op':'test','path':'/~01','value':'10'}]", -EINVAL,
         "test failed"),
    OK("A16 add array value", "{'foo':['bar']}", "[{'op':'add','path':'/foo/-','value':['abc','def']}]",
       "{'foo':['bar',['abc','def']]}"),
    OK("~1 is slash", "{'a/b':1}", "[{'op':'replace','path':'/a~1b','value':2}]", "{'a/b':2}"),
    FAIL("bad escape", "{'a':1}", "[{'op':'remove','path':'/a~2'}]", -EINVAL, "failed to decode path"),
    FAIL("pointer without slash", "{'a':1}", "[{'op':'remove','path':'a'}]", -EINVAL,
         "failed to decode path"),
    OK("copy", "{'a':{'b':[1]}}",
       "[{'op':'copy','from':'/a','path':'/c'},{'op':'add','path':'/c/b/-','value':2}]",
       "{'a':{'b':[1]},'c':{'b':[1,2]}}"),
    OK("test 1 equals 1.0", "{'a':1}", "[{'op':'test','path':'/a','value':1.0}]", "{'a':1}"),
    OK("test object ignores key order", "{'a':{'x':1,'y':[true,null]}}",
       "[{'op':'test','path':'/a','value':{'y':[true,null],'x':1}}]", "{'a':{'x':1,'y':[true,null]}}"),
    OK("replace root", "{'a':1}", "[{'op':'replace','path':'','value':[1]}]", "[1]"),
    OK("append at size", "{'a':[1]}", "[{'op':'add','path':'/a/1','value':2}]", "{'a':[1,2]}"),
    OK("rollout undo body",
       "{'metadata':{'annotations':{'x':'1','deployment.kubernetes.io/revision':'3'}},"
       "'spec':{'template':{'a':1}}}",
       "[{'op':'replace','path':'/spec/template','value':{'b':2}},"
       "{'op':'replace','path':'/metadata/annotations','value':{'deployment.kubernetes.io/revision':'2'}}]",
       "{'metadata':{'annotations':{'deployment.kubernetes.io/revision':'2'}},'spec':{'template':{'b':2}}}"),
    OK("empty ops", "{'a':1}", "[]", "{'a':1}"),
    FAIL("replace missing key", "{'spec':{}}", "[{'op':'replace','path':'/spec/x','value':1}]", -EINVAL,
         "the server rejected our request due to an error in our request: "
         "replace operation does not apply: doc is missing key: /spec/x"),
    FAIL("index past end", "{'a':[1]}", "[{'op':'add','path':'/a/2','value':2}]", -EINVAL,
         "Unable to access invalid index: 2"),
    FAIL("leading zero index", "{'a':[1,2]}", "[{'op':'remove','path':'/a/01'}]", -EINVAL, "invalid index"),
    FAIL("dash only for add", "{'a':[1]}", "[{'op':'replace','path':'/a/-','value':0}]", -EINVAL,
         "invalid index"),
    FAIL("remove missing key", "{'a':1}", "[{'op':'remove','path':'/b'}]", -EINVAL,
         "Unable to remove nonexistent key: b"),
    FAIL("remove through scalar", "{'a':1}", "[{'op':'remove','path':'/a/b'}]", -EINVAL,
         "remove operation does not apply"),
    FAIL("unknown op", "{}", "[{'op':'frob','path':'/a'}]", -EINVAL, "Unexpected kind: frob"),
    FAIL("missing op", "{}", "[{'path':'/a'}]", -EINVAL, "Unexpected kind"),
    FAIL("missing path", "{}", "[{'op':'add','value':1}]", -EINVAL, "missing path"),
    FAIL("missing value", "{}", "[{'op':'add','path':'/a'}]", -EINVAL, "missing value field"),
    OK("null value is a value", "{}", "[{'op':'add','path':'/a','value':null}]", "{'a':null}"),
    FAIL("missing from", "{'a':1}", "[{'op':'move','path':'/b'}]", -EINVAL, "missing from"),
    FAIL("move into own child", "{'a':{'b':{}}}", "[{'op':'move','from':'/a','path':'/a/b/c'}]", -EINVAL,
         "move operation does not apply"),
    FAIL("move missing from", "{'a':1}", "[{'op':'move','from':'/x','path':'/b'}]", -EINVAL,
         "doc is missing from path: /x"),
    FAIL("failure is atomic", "{'a':1}",
         "[{'op':'add','path':'/b','value':2},{'op':'test','path':'/a','value':5}]", -EINVAL,
         "testing value /a failed"),
    FAIL("ops not an array", "{}", "{'op':'add','path':'/a','value':1}", -EBADMSG, NULL),
    FAIL("op not an object", "{}", "[1]", -EBADMSG, NULL),
};

static void test_json_patch(void **state) {
  for (size_t i = 0; i < ELEMENTSOF(json_cases); i++)
    run_case(JSONPATCH, &json_cases[i]);
}

static void test_json_patch_too_many_ops(void **state) {
  json_t *ops = json_array(), *doc = json_object(), *got = NULL;
  for (int i = 0; i < 10001; i++)
    json_array_append_new(ops, json_pack("{s:s, s:s, s:i}", "op", "test", "path", "", "value", 0));
  Error err = ERROR_INIT;
  assert_int_equal(patch_json(doc, ops, &got, &err), -E2BIG);
  assert_null(got);
  assert_non_null(strstr(err.message, "10000"));
  error_reset(&err);
  json_decref(ops);
  json_decref(doc);
}

/* ---- strategic merge patch --------------------------------------------------------------------------- */

/* A live Deployment as the API server would hold it. */
#define LIVE_DEPLOY                                                                                          \
  "{'apiVersion':'apps/v1','kind':'Deployment',"                                                             \
  "'metadata':{'name':'web','namespace':'default','uid':'0c1d','resourceVersion':'10','generation':1,"       \
  "'labels':{'app':'web'},"                                                                                  \
  "'annotations':{'deployment.kubernetes.io/revision':'1','kubectl.kubernetes.io/"                           \
  "last-applied-configuration':"                                                                             \
  "'{old}\\n'}},"                                                                                            \
  "'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},"                                           \
  "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%','maxUnavailable':'25%'}},"           \
  "'template':{'metadata':{'labels':{'app':'web'}},"                                                         \
  "'spec':{'containers':[{'name':'web','image':'nginx:1.25','ports':[{'containerPort':8080,'protocol':'TCP'" \
  "}],"                                                                                                      \
  "'resources':{'limits':{'cpu':'500m'}},'terminationMessagePolicy':'File'}],"                               \
  "'restartPolicy':'Always','dnsPolicy':'ClusterFirst'}}},"                                                  \
  "'status':{'replicas':2,'conditions':[{'type':'Available','status':'True'},"                               \
  "{'type':'Progressing','status':'True'}]}}"

/* The same Deployment with its pieces spelled out, for building expectations. */
#define DEPLOY_META(labels, annotations)                                                                     \
  "'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default','uid':'0c1d',"  \
  "'resourceVersion':'10','generation':1" labels ",'annotations':" annotations "}"
#define OLD_LABELS ",'labels':{'app':'web'}"
#define OLD_ANNOTATIONS                                                                                      \
  "{'deployment.kubernetes.io/revision':'1','kubectl.kubernetes.io/last-applied-configuration':'{old}\\n'}"
#define OLD_STRATEGY                                                                                         \
  "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%','maxUnavailable':'25%'}}"
#define STATUS                                                                                               \
  "'status':{'replicas':2,'conditions':[{'type':'Available','status':'True'},"                               \
  "{'type':'Progressing','status':'True'}]}"
#define DEPLOY_WITH(meta, strategy, template_meta, containers)                                               \
  "{" meta ",'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}}," strategy ",'template':{"        \
  "'metadata':" template_meta ",'spec':{'containers':" containers                                            \
  ",'restartPolicy':'Always','dnsPolicy':'ClusterFirst'}}}," STATUS "}"
#define OLD_WEB_WITH(image, ports, extra)                                                                    \
  "{'name':'web','image':'" image "','ports':" ports extra ",'resources':{'limits':{'cpu':'500m'}},"         \
  "'terminationMessagePolicy':'File'}"

/* The body kubectl apply sent in §6.1 of the wire reference (annotation shortened). */
#define APPLY_BODY                                                                                           \
  "{'metadata':{'annotations':{'kubectl.kubernetes.io/"                                                      \
  "last-applied-configuration':'{new}\\n'},'labels':null},"                                                  \
  "'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'},"                                           \
  "'template':{'spec':{'$setElementOrder/containers':[{'name':'web'},{'name':'side'}],"                      \
  "'containers':[{'$setElementOrder/ports':[{'containerPort':9090}],'env':[{'name':'A','value':'1'}],"       \
  "'name':'web','ports':[{'containerPort':9090},{'$patch':'delete','containerPort':8080}],'resources':null}" \
  ","                                                                                                        \
  "{'image':'busybox','name':'side'}]}}}}"

static const Case smp_deploy_cases[] = {
    OK("kubectl apply body", LIVE_DEPLOY, APPLY_BODY,
       DEPLOY_WITH(DEPLOY_META("", "{'deployment.kubernetes.io/revision':'1',"
                                   "'kubectl.kubernetes.io/last-applied-configuration':'{new}\\n'}"),
                   "'strategy':{'type':'Recreate'}", "{'labels':{'app':'web'}}",
                   "[{'name':'web','image':'nginx:1.25','ports':[{'containerPort':9090}],'env':[{'name':'A',"
                   "'value':'1'}],'terminationMessagePolicy':'File'},{'name':'side','image':'busybox'}]")),
    OK("kubectl set image", LIVE_DEPLOY,
       "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'web'}],"
       "'containers':[{'image':'nginx:1.27','name':'web'}]}}}}",
       DEPLOY_WITH(DEPLOY_META(OLD_LABELS, OLD_ANNOTATIONS), OLD_STRATEGY, "{'labels':{'app':'web'}}",
                   "[" OLD_WEB_WITH("nginx:1.27", "[{'containerPort':8080,'protocol':'TCP'}]", "") "]")),
    OK("kubectl apply replicas and image", LIVE_DEPLOY,
       "{'spec':{'replicas':3,'template':{'spec':{'$setElementOrder/containers':[{'name':'web'}],"
       "'containers':[{'image':'nginx:1.26','name':'web'}]}}}}",
       "{" DEPLOY_META(
           OLD_LABELS,
           OLD_ANNOTATIONS) ",'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web'}}," OLD_STRATEGY
                            ",'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':"
                            "[" OLD_WEB_WITH(
                                "nginx:1.26", "[{'containerPort':8080,'protocol':'TCP'}]",
                                "") "],'restartPolicy':'Always','dnsPolicy':'ClusterFirst'}}}," STATUS "}"),
    OK("kubectl rollout restart", LIVE_DEPLOY,
       "{'spec':{'template':{'metadata':{'annotations':{'kubectl.kubernetes.io/"
       "restartedAt':'2026-01-02T03:04:05Z'}}}}}",
       DEPLOY_WITH(DEPLOY_META(OLD_LABELS, OLD_ANNOTATIONS), OLD_STRATEGY,
                   "{'labels':{'app':'web'},'annotations':{'kubectl.kubernetes.io/"
                   "restartedAt':'2026-01-02T03:04:05Z'}}",
                   "[" OLD_WEB_WITH("nginx:1.25", "[{'containerPort':8080,'protocol':'TCP'}]", "") "]")),
    OK("retainKeys RollingUpdate to Recreate", LIVE_DEPLOY,
       "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}",
       DEPLOY_WITH(DEPLOY_META(OLD_LABELS, OLD_ANNOTATIONS), "'strategy':{'type':'Recreate'}",
                   "{'labels':{'app':'web'}}",
                   "[" OLD_WEB_WITH("nginx:1.25", "[{'containerPort':8080,'protocol':'TCP'}]", "") "]")),
    OK("null deletes labels", LIVE_DEPLOY, "{'metadata':{'labels':null}}",
       DEPLOY_WITH(DEPLOY_META("", OLD_ANNOTATIONS), OLD_STRATEGY, "{'labels':{'app':'web'}}",
                   "[" OLD_WEB_WITH("nginx:1.25", "[{'containerPort':8080,'protocol':'TCP'}]", "") "]")),
    OK("$patch delete on a map", LIVE_DEPLOY, "{'spec':{'strategy':{'rollingUpdate':{'$patch':'delete'}}}}",
       DEPLOY_WITH(DEPLOY_META(OLD_LABELS, OLD_ANNOTATIONS), "'strategy':{'type':'RollingUpdate'}",
                   "{'labels':{'app':'web'}}",
                   "[" OLD_WEB_WITH("nginx:1.25", "[{'containerPort':8080,'protocol':'TCP'}]", "") "]")),
    OK("$patch replace on a map", LIVE_DEPLOY,
       "{'spec':{'template':{'metadata':{'$patch':'replace','labels':{'tier':'x'}}}}}",
       DEPLOY_WITH(DEPLOY_META(OLD_LABELS, OLD_ANNOTATIONS), OLD_STRATEGY, "{'labels':{'tier':'x'}}",
                   "[" OLD_WEB_WITH("nginx:1.25", "[{'containerPort':8080,'protocol':'TCP'}]", "") "]")),
    OK("$patch replace on a list", LIVE_DEPLOY,
       "{'spec':{'template':{'spec':{'containers':[{'name':'only','image':'busybox'},{'$patch':'replace'}]}}}"
       "}",
       DEPLOY_WITH(DEPLOY_META(OLD_LABELS, OLD_ANNOTATIONS), OLD_STRATEGY, "{'labels':{'app':'web'}}",
                   "[{'name':'only','image':'busybox'}]")),
    OK("status conditions merge by type", LIVE_DEPLOY,
       "{'status':{'conditions':[{'type':'Progressing','status':'False','reason':'Stuck'}]}}",
       "{" DEPLOY_META(
           OLD_LABELS,
           OLD_ANNOTATIONS) ",'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}}," OLD_STRATEGY
                            ",'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':"
                            "[" OLD_WEB_WITH("nginx:1.25", "[{'containerPort':8080,'protocol':'TCP'}]",
                                             "") "],'restartPolicy':'Always','dnsPolicy':'ClusterFirst'}}},'"
                                                 "status':{'replicas':2,'conditions':["
                                                 "{'type':'Available','status':'True'},{'type':'Progressing',"
                                                 "'status':'False','reason':'Stuck'}]}}"),
};

static void test_strategic_kubectl_bodies(void **state) {
  for (size_t i = 0; i < ELEMENTSOF(smp_deploy_cases); i++)
    run_case(STRATEGIC, &smp_deploy_cases[i]);
}

/* Smaller documents, one behaviour each. The kind is a Deployment unless said otherwise. */
#define C(name) "{'spec':{'template':{'spec':{'containers':" name "}}}}"
#define WEB(fields) "[{'name':'web'" fields "}]"

static const Case smp_cases[] = {
    /* env: add, change, delete; $setElementOrder puts the result in the order kubectl computed */
    OK("env add and delete", C(WEB(",'env':[{'name':'A','value':'1'},{'name':'B','value':'2'}]")),
       C("[{'name':'web','$setElementOrder/env':[{'name':'A'},{'name':'C'}],"
         "'env':[{'name':'C','value':'3'},{'$patch':'delete','name':'B'}]}]"),
       C(WEB(",'env':[{'name':'A','value':'1'},{'name':'C','value':'3'}]"))),
    OK("env change value, drop valueFrom",
       C(WEB(",'env':[{'name':'A','valueFrom':{'fieldRef':{'fieldPath':'x'}}}]")),
       C("[{'name':'web','env':[{'name':'A','value':'v','valueFrom':null}]}]"),
       C(WEB(",'env':[{'name':'A','value':'v'}]"))),
    /* without $setElementOrder, new items come before server-only ones (Kubernetes' interleaving) */
    OK("port add and delete without order", C(WEB(",'ports':[{'containerPort':80},{'containerPort':443}]")),
       C("[{'name':'web','ports':[{'containerPort':8080},{'$patch':'delete','containerPort':443}]}]"),
       C(WEB(",'ports':[{'containerPort':8080},{'containerPort':80}]"))),
    OK("port merge key matches 80 and 80.0", C(WEB(",'ports':[{'containerPort':80}]")),
       C("[{'name':'web','ports':[{'containerPort':80.0,'name':'http'}]}]"),
       C(WEB(",'ports':[{'containerPort':80.0,'name':'http'}]"))),
    OK("$setElementOrder reorders", C("[{'name':'a'},{'name':'b'},{'name':'c'}]"),
       "{'spec':{'template':{'spec':{'$setElementOrder/"
       "containers':[{'name':'c'},{'name':'a'},{'name':'b'}]}}}}",
       C("[{'name':'c'},{'name':'a'},{'name':'b'}]")),
    OK("$setElementOrder keeps server-only items in place",
       C("[{'name':'1','x':'a'},{'name':'2'},{'name':'9'},{'name':'3'},{'name':'4'}]"),
       "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'2'},{'name':'1'},{'name':'4'},"
       "{'name':'3'}]}}}}",
       C("[{'name':'2'},{'name':'1','x':'a'},{'name':'9'},{'name':'4'},{'name':'3'}]")),
    OK("$setElementOrder with a run of server-only items",
       C("[{'name':'1'},{'name':'2'},{'name':'7'},{'name':'9'},{'name':'8'},{'name':'3'},{'name':'4'}]"),
       "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'2'},{'name':'1'},{'name':'4'},"
       "{'name':'3'}]}}}}",
       C("[{'name':'2'},{'name':'1'},{'name':'7'},{'name':'9'},{'name':'8'},{'name':'4'},{'name':'3'}]")),
    OK("$setElementOrder with duplicates in the live list",
       C("[{'name':'1'},{'name':'2','v':'d1'},{'name':'3'},{'name':'2','v':'d2'},{'name':'4'}]"),
       "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'2'},{'name':'1'},{'name':'4'},"
       "{'name':'3'},{'name':'2'}]}}}}",
       C("[{'name':'2','v':'d1'},{'name':'2','v':'d2'},{'name':'1'},{'name':'4'},{'name':'3'}]")),
    OK("$setElementOrder naming absent items", C("[{'name':'1'},{'name':'3'}]"),
       "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'3'},{'name':'2'},{'name':'1'}],"
       "'containers':[{'name':'3','v':3},{'name':'1','v':1}]}}}}",
       C("[{'name':'3','v':3},{'name':'1','v':1}]")),
    FAIL(
        "$setElementOrder disagreeing with the patch list", C("[{'name':'1'},{'name':'3'},{'name':'2'}]"),
        "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'1'},{'name':'2'},{'name':'3'}],"
        "'containers':[{'name':'3','v':3},{'name':'1','v':1}]}}}}",
        -EBADMSG, "does not match"),
    /* directives never leak, even into items that are new */
    OK("new item with nested directives", C("[]"),
       C("[{'name':'new','$setElementOrder/ports':[{'containerPort':1}],"
         "'ports':[{'containerPort':1},{'$patch':'delete','containerPort':2}],'env':[{'name':'X','value':"
         "null}]}]"),
       C("[{'name':'new','ports':[{'containerPort':1}],'env':[{'name':'X'}]}]")),
    OK("atomic list drops directive items", "{'spec':{'template':{'spec':{'tolerations':[{'key':'old'}]}}}}",
       "{'spec':{'template':{'spec':{'tolerations':[{'key':'a'},{'$patch':'replace'}]}}}}",
       "{'spec':{'template':{'spec':{'tolerations':[{'key':'a'}]}}}}"),
    OK("atomic list replaced, not merged", "{'spec':{'template':{'spec':{'tolerations':[{'key':'a'}]}}}}",
       "{'spec':{'template':{'spec':{'tolerations':[{'key':'b'}]}}}}",
       "{'spec':{'template':{'spec':{'tolerations':[{'key':'b'}]}}}}"),
    OK("container args are atomic", C(WEB(",'args':['a','b']")), C(WEB(",'args':['c']")),
       C(WEB(",'args':['c']"))),
    OK("volumes merge by name with $retainKeys",
       "{'spec':{'template':{'spec':{'volumes':[{'name':'v','emptyDir':{}}]}}}}",
       "{'spec':{'template':{'spec':{'volumes':[{'$retainKeys':['configMap','name'],'name':'v',"
       "'configMap':{'name':'cm'}}]}}}}",
       "{'spec':{'template':{'spec':{'volumes':[{'name':'v','configMap':{'name':'cm'}}]}}}}"),
    OK("volumeMounts by mountPath", C(WEB(",'volumeMounts':[{'name':'a','mountPath':'/a'}]")),
       C(WEB(",'volumeMounts':[{'name':'b','mountPath':'/a','readOnly':true}]")),
       C(WEB(",'volumeMounts':[{'name':'b','mountPath':'/a','readOnly':true}]"))),
    FAIL("$retainKeys rejects unlisted fields", "{'spec':{'strategy':{'type':'RollingUpdate'}}}",
         "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate','rollingUpdate':{}}}}", -EBADMSG,
         "retainKeys"),
    FAIL("$retainKeys must be a list", "{'spec':{'strategy':{}}}",
         "{'spec':{'strategy':{'$retainKeys':'type'}}}", -EBADMSG, "retainKeys"),
    /* primitive lists with merge strategy are sets */
    OK("finalizers union", "{'metadata':{'finalizers':['a','b']}}", "{'metadata':{'finalizers':['b','c']}}",
       "{'metadata':{'finalizers':['a','b','c']}}"),
    OK("finalizers union + $deleteFromPrimitiveList", "{'metadata':{'finalizers':['a','b']}}",
       "{'metadata':{'finalizers':['c','a'],'$deleteFromPrimitiveList/finalizers':['b']}}",
       "{'metadata':{'finalizers':['c','a']}}"),
    OK("finalizers delete + order", "{'metadata':{'finalizers':['a','b','c']}}",
       "{'metadata':{'$setElementOrder/finalizers':['c','a'],'$deleteFromPrimitiveList/finalizers':['b']}}",
       "{'metadata':{'finalizers':['c','a']}}"),
    OK("objects in a primitive list lose their directives", "{'metadata':{'finalizers':['a']}}",
       "{'metadata':{'finalizers':[{'$patch':'merge','x':{'$retainKeys':['y'],'y':1}},'a']}}",
       "{'metadata':{'finalizers':[{'x':{'y':1}},'a']}}"),
    OK("$deleteFromPrimitiveList of absent list", "{'metadata':{}}",
       "{'metadata':{'$deleteFromPrimitiveList/finalizers':['x']}}", "{'metadata':{}}"),
    FAIL("$deleteFromPrimitiveList must be a list", "{'metadata':{'finalizers':['a']}}",
         "{'metadata':{'$deleteFromPrimitiveList/finalizers':'a'}}", -EBADMSG, "primitive list"),
    OK("template finalizers are a set too", "{'spec':{'template':{'metadata':{'finalizers':['a']}}}}",
       "{'spec':{'template':{'metadata':{'finalizers':['a','b']}}}}",
       "{'spec':{'template':{'metadata':{'finalizers':['a','b']}}}}"),
    OK("ownerReferences by uid", "{'metadata':{'ownerReferences':[{'uid':'1','name':'a'}]}}",
       "{'metadata':{'ownerReferences':[{'uid':'2','name':'b'},{'uid':'1','controller':true}]}}",
       "{'metadata':{'ownerReferences':[{'uid':'2','name':'b'},{'uid':'1','name':'a','controller':true}]}}"),
    /* malformed directives and content */
    FAIL("$setElementOrder not a list", C("[]"),
         "{'spec':{'template':{'spec':{'$setElementOrder/containers':{'name':'web'}}}}}", -EBADMSG,
         "spec.template.spec: invalid patch format of setElementOrder"),
    FAIL("$setElementOrder without list name", "{}", "{'$setElementOrder':[]}", -EBADMSG,
         "invalid patch directive"),
    FAIL("unknown $patch in a map", "{'metadata':{}}", "{'metadata':{'$patch':'frob'}}", -EBADMSG,
         "unknown patch type: frob"),
    FAIL("unknown $patch in a list", C(WEB("")), C("[{'$patch':'frob','name':'web'}]"), -EBADMSG,
         "unknown patch type: frob"),
    FAIL("$patch not a string", "{'metadata':{}}", "{'metadata':{'$patch':1}}", -EBADMSG, NULL),
    FAIL("item without merge key", C(WEB("")), C("[{'image':'x'}]"), -EINVAL, "merge key: name"),
    FAIL("delete without merge key", C(WEB("")), C("[{'$patch':'delete'}]"), -EINVAL, "merge key"),
    FAIL("scalar in a keyed list", C(WEB("")), C("['web']"), -EINVAL, NULL),
    FAIL("lists of lists", C(WEB("")), C("[['web']]"), -EINVAL, "lists of lists"),
    FAIL("patch not an object", "{}", "[]", -EBADMSG, NULL),
    /* type changes and other data */
    OK("list replaces scalar", "{'spec':{'template':{'spec':{'containers':'x'}}}}", C(WEB("")), C(WEB(""))),
    OK("$-keys that are not directives are data", "{'spec':{'schema':{'$ref':'a'}}}",
       "{'spec':{'schema':{'$schema':'b'}}}", "{'spec':{'schema':{'$ref':'a','$schema':'b'}}}"),
    OK("$patch merge is the default", "{'metadata':{'labels':{'a':'1'}}}",
       "{'metadata':{'labels':{'$patch':'merge','b':'2'}}}", "{'metadata':{'labels':{'a':'1','b':'2'}}}"),
    OK("$patch delete at the top", "{'a':1}", "{'$patch':'delete'}", "{}"),
};

static void test_strategic_directives(void **state) {
  for (size_t i = 0; i < ELEMENTSOF(smp_cases); i++)
    run_case(STRATEGIC, &smp_cases[i]);
}

/* Other kinds: the metadata table decides, and unknown kinds merge maps and replace lists. */
static const Case smp_kind_cases[] = {
    KIND("example.com", "Widget", "unknown kind replaces lists",
         "{'spec':{'items':[{'name':'a','v':1}],'m':{'x':1}}}",
         "{'spec':{'items':[{'name':'b'}],'m':{'y':2}}}",
         "{'spec':{'items':[{'name':'b'}],'m':{'x':1,'y':2}}}"),
    KIND("example.com", "Widget", "unknown kind with a deployment-shaped path", C(WEB(",'image':'a'")),
         C("[{'name':'side'}]"), C("[{'name':'side'}]")),
    KIND("example.com", "Widget", "unknown kind still honours directives", "{'a':{'b':1,'c':2}}",
         "{'a':{'$retainKeys':['b'],'b':3}}", "{'a':{'b':3}}"),
    KIND("", "Pod", "Pod containers",
         "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b','image':'1'}]}}",
         "{'spec':{'containers':[{'name':'b','image':'2'}]}}",
         "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b','image':'2'}]}}"),
    KIND("", "Pod", "Pod status conditions", "{'status':{'conditions':[{'type':'Ready','status':'False'}]}}",
         "{'status':{'conditions':[{'type':'PodScheduled','status':'True'},{'type':'Ready','status':'True'}]}"
         "}",
         "{'status':{'conditions':[{'type':'PodScheduled','status':'True'},{'type':'Ready','status':'True'}]}"
         "}"),
    KIND("batch", "CronJob", "CronJob job template containers",
         "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':["
         "{'name':'a','image':'1'},{'name':'b','image':'1'}]}}}}}}",
         "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'2'}]}}}}}}",
         "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'2'},"
         "{'name':'b','image':'1'}]}}}}}}"),
    KIND("", "Service", "Service ports by port",
         "{'spec':{'ports':[{'port':80,'targetPort':8080},{'port':443}]}}",
         "{'spec':{'ports':[{'port':80,'targetPort':9090}]}}",
         "{'spec':{'ports':[{'port':80,'targetPort':9090},{'port':443}]}}"),
    KIND("", "Node", "Node cordon", "{'spec':{'podCIDR':'10.0.0.0/24'}}", "{'spec':{'unschedulable':true}}",
         "{'spec':{'podCIDR':'10.0.0.0/24','unschedulable':true}}"),
    KIND("", "Node", "Node taints are atomic", "{'spec':{'taints':[{'key':'a','effect':'NoSchedule'}]}}",
         "{'spec':{'taints':[{'key':'b','effect':'NoSchedule'}]}}",
         "{'spec':{'taints':[{'key':'b','effect':'NoSchedule'}]}}"),
    KIND("", "Node", "Node addresses by type",
         "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.1'},"
         "{'type':'Hostname','address':'n1'}]}}",
         "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.2'}]}}",
         "{'status':{'addresses':[{'type':'InternalIP','address':'10.0.0.2'},{'type':'Hostname','address':'"
         "n1'}]}}"),
    KIND("policy", "PodDisruptionBudget", "PDB selector is replaced whole",
         "{'spec':{'selector':{'matchLabels':{'a':'1'}}}}", "{'spec':{'selector':{'matchExpressions':[]}}}",
         "{'spec':{'selector':{'matchExpressions':[]}}}"),
    KIND("apps", "StatefulSet", "StatefulSet template",
         "{'spec':{'template':{'spec':{'containers':[{'name':'a'}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'b'}]}}}}",
         "{'spec':{'template':{'spec':{'containers':[{'name':'b'},{'name':'a'}]}}}}"),
};

static void test_strategic_kinds(void **state) {
  for (size_t i = 0; i < ELEMENTSOF(smp_kind_cases); i++)
    run_case(STRATEGIC, &smp_kind_cases[i]);
}

static void test_patch_meta(void **state) {
  PatchMeta m;
  assert_true(patch_meta_lookup("apps", "Deployment", "spec.template.spec.containers", &m));
  assert_string_equal(m.merge_key, "name");
  assert_true(m.merge);
  assert_false(m.retain_keys);
  assert_true(
      patch_meta_lookup("batch", "CronJob", "spec.jobTemplate.spec.template.spec.containers.ports", &m));
  assert_string_equal(m.merge_key, "containerPort");
  assert_true(patch_meta_lookup("apps", "DaemonSet", "spec.template.spec.initContainers.volumeMounts", &m));
  assert_string_equal(m.merge_key, "mountPath");
  assert_true(patch_meta_lookup("", "Pod", "spec.ephemeralContainers.env", &m));
  assert_string_equal(m.merge_key, "name");
  assert_true(patch_meta_lookup("", "Pod", "spec.volumes", &m));
  assert_true(m.merge && m.retain_keys);
  assert_true(patch_meta_lookup("", "Pod", "metadata.finalizers", &m));
  assert_true(m.merge);
  assert_null(m.merge_key);
  assert_true(patch_meta_lookup("apps", "Deployment", "spec.strategy", &m));
  assert_true(m.retain_keys && !m.merge);
  assert_true(patch_meta_lookup("policy", "PodDisruptionBudget", "spec.selector", &m));
  assert_true(m.replace);
  assert_true(patch_meta_lookup("", "Service", "spec.ports", &m));
  assert_string_equal(m.merge_key, "port");
  assert_true(patch_meta_lookup("", "Pod", "spec.topologySpreadConstraints", &m));
  assert_string_equal(m.merge_key, "topologyKey");
  assert_true(patch_meta_lookup("", "Pod", "spec.hostAliases", &m));
  assert_string_equal(m.merge_key, "ip");
  assert_false(patch_meta_lookup("", "Pod", "spec.tolerations", &m));
  assert_false(patch_meta_lookup("", "Pod", "spec.containers.args", &m));
  assert_false(patch_meta_lookup("", "Pod", "spec.containers.resizePolicy", &m));
  assert_false(patch_meta_lookup("", "Node", "spec.taints", &m));
  assert_false(patch_meta_lookup("apps", "DaemonSet", "spec.updateStrategy", &m));
  assert_false(patch_meta_lookup("apps", "Deployment", "spec.template", &m));
  assert_false(patch_meta_lookup("apps", "Pod", "spec.containers", &m)); /* wrong group */
  assert_false(patch_meta_lookup("example.com", "Widget", "metadata.finalizers", &m));
  assert_false(patch_meta_lookup(NULL, NULL, NULL, &m));
}

/* Nesting beyond the limit is refused, not recursed into. */
static void test_depth_limit(void **state) {
  json_t *deep = json_string("x");
  for (int i = 0; i < 300; i++)
    deep = json_pack("{s:o}", "a", deep);
  json_t *target = json_object(), *got = NULL;
  Error err = ERROR_INIT;
  assert_int_equal(patch_merge(target, deep, &got, &err), -EBADMSG);
  assert_null(got);
  error_reset(&err);
  assert_int_equal(patch_strategic(target, deep, "apps", "Deployment", &got, &err), -EBADMSG);
  assert_null(got);
  error_reset(&err);
  json_t *list = json_string("x");
  for (int i = 0; i < 300; i++)
    list = json_pack("[o]", list);
  json_t *p = json_pack("{s:o}", "a", list);
  assert_int_equal(patch_strategic(target, p, "", "Pod", &got, &err), -EBADMSG);
  error_reset(&err);
  /* 50 levels is fine */
  json_t *ok = json_string("x");
  for (int i = 0; i < 50; i++)
    ok = json_pack("{s:o}", "a", ok);
  assert_int_equal(patch_strategic(target, ok, "", "Pod", &got, &err), 0);
  assert_true(json_equal(got, ok));
  json_decref(got);
  json_decref(ok);
  json_decref(p);
  json_decref(deep);
  json_decref(target);
}

/* Whatever the types, nothing crashes: every JSON type as target and as patch, for all three flavours. */
static void test_any_types(void **state) {
  static const char *values[] = {
      "null",
      "true",
      "1",
      "1.5",
      "'s'",
      "[]",
      "{}",
      "[null,1,'a',{},[]]",
      "{'a':null,'$patch':'x'}",
      "{'spec':{'template':{'spec':{'containers':[1,null,{'name':{}}]}}}}",
      "{'spec':{'template':{'spec':{'$setElementOrder/containers':[1,{}],'containers':{}}}}}",
      "{'metadata':{'finalizers':[{},[],null],'$deleteFromPrimitiveList/finalizers':[{}]}}",
      "[{'op':'move','from':'','path':'/a'},{'op':'copy','from':'','path':''}]",
  };
  for (size_t i = 0; i < ELEMENTSOF(values); i++)
    for (size_t j = 0; j < ELEMENTSOF(values); j++) {
      json_t *t = parse(values[i]), *p = parse(values[j]), *got = NULL;
      Error err = ERROR_INIT;
      if (patch_merge(t, p, &got, &err) >= 0)
        json_decref(got);
      error_reset(&err);
      got = NULL;
      if (patch_json(t, p, &got, &err) >= 0)
        json_decref(got);
      error_reset(&err);
      got = NULL;
      if (patch_strategic(t, p, "apps", "Deployment", &got, &err) >= 0) {
        if (!has_directive(t)) /* the live object's own keys are data, whatever they look like */
          assert_false(has_directive(got));
        json_decref(got);
      }
      error_reset(&err);
      json_decref(t);
      json_decref(p);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_merge_patch),
      cmocka_unit_test(test_json_patch),
      cmocka_unit_test(test_json_patch_too_many_ops),
      cmocka_unit_test(test_strategic_kubectl_bodies),
      cmocka_unit_test(test_strategic_directives),
      cmocka_unit_test(test_strategic_kinds),
      cmocka_unit_test(test_patch_meta),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_any_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
