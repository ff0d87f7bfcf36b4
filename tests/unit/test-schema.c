/* Unit tests for the schema layer (src/api/schema*.c): strict decoding with kube-apiserver's wording (type
 * errors, quantities, times, base64, unknown fields under Strict/Warn/Ignore), normalisation of what is
 * kept, real manifests (the tutorials' Service + Deployment + HPA, nginx, demo.yaml, and one realistic
 * object of every other served kind) that must pass with no false unknowns, the OpenAPI documents kubectl
 * reads, and the Go-compatible scalar parsers. Expected messages are Kubernetes' v1.32 ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "api/jsonutil.h"
#include "api/kinds.h"
#include "api/schema-internal.h"
#include "base/strv.h"

/* JSON written with single quotes for readability; they become double quotes. */
static json_t *J(const char *text) {
  char *s = xstrdup(text);
  for (char *p = s; *p; p++)
    if (*p == '\'')
      *p = '"';
  json_error_t e;
  json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
  if (!j)
    fail_msg("bad test JSON %s: %s", s, e.text);
  free(s);
  return j;
}

static json_t *Y(const char *yaml) {
  json_t *o = NULL;
  Error err = ERROR_INIT;
  if (yaml_decode_body(yaml, strlen(yaml), &o, &err) < 0)
    fail_msg("bad test YAML: %s", err.message);
  return o;
}

static const SchemaMessage *schema_of(json_t *o) {
  const char *av = json_string_value(json_object_get(o, "apiVersion"));
  const char *kind = json_string_value(json_object_get(o, "kind"));
  assert_non_null(av);
  assert_non_null(kind);
  const char *slash = strchr(av, '/');
  _cleanup_free_ char *group = slash ? xstrndup(av, (size_t)(slash - av)) : xstrdup("");
  const SchemaMessage *m = schema_for_kind(group, slash ? slash + 1 : av, kind);
  if (!m)
    fail_msg("no schema for %s %s", av, kind);
  return m;
}

/* Checks obj (consumed) strictly and expects the given failure message. */
static void assert_rejected(json_t *obj, const char *want) {
  Error err = ERROR_INIT;
  char **unknown = NULL;
  int r = schema_check(schema_of(obj), obj, SCHEMA_CHECK_STRICT, &unknown, &err);
  if (r != -EBADMSG)
    fail_msg("want -EBADMSG, got %d for %s", r, want);
  assert_null(unknown);
  assert_int_equal(error_http_status(&err), 400);
  assert_string_equal(error_reason(&err), "BadRequest");
  if (!streq(err.message, want)) {
    fprintf(stderr, "got  %s\nwant %s\n", err.message, want);
    fail_msg("wrong message");
  }
  error_reset(&err);
  json_decref(obj);
}

/* Checks obj (consumed) in mode, expects the unknown paths listed (NULL-terminated) and, when want_obj is
 * given, the object left afterwards. */
static void assert_unknowns(json_t *obj, SchemaCheckMode mode, const char *const *want,
                            const char *want_obj) {
  Error err = ERROR_INIT;
  char **unknown = NULL;
  int r = schema_check(schema_of(obj), obj, mode, &unknown, &err);
  if (r < 0)
    fail_msg("check failed: %s", err.message);
  size_t n = 0;
  while (want[n])
    n++;
  assert_int_equal(r, (int)n);
  assert_int_equal(strv_length(unknown), n);
  for (size_t i = 0; i < n; i++)
    assert_string_equal(unknown[i], want[i]);
  if (want_obj) {
    json_t *w = J(want_obj);
    if (!json_equal(w, obj)) {
      char *g = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
      fprintf(stderr, "got %s\n", g);
      free(g);
      fail_msg("object differs");
    }
    json_decref(w);
  }
  strv_free(unknown);
  json_decref(obj);
}

/* ---- the tutorials' manifests ---- */

/* Seed 003 (demo.yaml), with the typo the tutorial's first listing carries. */
static const char replicas_3e[] = "apiVersion: apps/v1\n"
                                  "kind: Deployment\n"
                                  "metadata:\n"
                                  "  name: welcome-deploy\n"
                                  "spec:\n"
                                  "  replicas: 3e\n"
                                  "  template:\n"
                                  "    metadata:\n"
                                  "      labels:\n"
                                  "        app: welcome\n"
                                  "    spec:\n"
                                  "      containers:\n"
                                  "      - name: welcome-container\n"
                                  "        image: docker/welcome-to-docker:latest\n"
                                  "        ports:\n"
                                  "        - containerPort: 80\n";

/* Seed 001: the gourmetgram Service, Deployment and HorizontalPodAutoscaler. */
static const char *const seed_001[] = {
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: gourmetgram-kube-svc\n"
    "  namespace: kube-gourmetgram\n"
    "spec:\n"
    "  selector:\n"
    "    app: gourmetgram-kube-app\n"
    "  ports:\n"
    "    - protocol: \"TCP\"\n"
    "      port: 80          # Service port inside the cluster\n"
    "      targetPort: 8000  # Forward to the pod's port 8000\n"
    "  externalIPs:\n"
    "    - 10.56.1.2\n"
    "  type: ClusterIP\n",
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: gourmetgram-kube-app\n"
    "  namespace: kube-gourmetgram\n"
    "spec:\n"
    "  selector:\n"
    "    matchLabels:\n"
    "      app: gourmetgram-kube-app\n"
    "  replicas: 1\n"
    "  template:\n"
    "    metadata:\n"
    "      labels:\n"
    "        app: gourmetgram-kube-app\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: gourmetgram-kube-app\n"
    "        image: node1:5000/gourmetgram-app:latest\n"
    "        imagePullPolicy: Always\n"
    "        ports:\n"
    "        - containerPort: 8000\n"
    "        readinessProbe:\n"
    "          httpGet:\n"
    "            path: /test\n"
    "            port: 8000\n"
    "          periodSeconds: 5\n"
    "          initialDelaySeconds: 5\n"
    "          successThreshold: 3\n"
    "        resources:\n"
    "          limits:\n"
    "            cpu: \"0.5\"\n"
    "            memory: \"500Mi\"\n"
    "          requests:\n"
    "            cpu: \"0.3\"\n"
    "            memory: \"300Mi\"\n",
    "apiVersion: autoscaling/v2\n"
    "kind: HorizontalPodAutoscaler\n"
    "metadata:\n"
    "  name: gourmetgram-kube-hpa\n"
    "  namespace: kube-gourmetgram\n"
    "spec:\n"
    "  scaleTargetRef:\n"
    "    apiVersion: apps/v1\n"
    "    kind: Deployment\n"
    "    name: gourmetgram-kube-app\n"
    "  minReplicas: 2\n"
    "  maxReplicas: 6\n"
    "  metrics:\n"
    "  - type: Resource\n"
    "    resource:\n"
    "      name: cpu\n"
    "      target:\n"
    "        type: Utilization\n"
    "        averageUtilization: 50\n",
    NULL,
};

/* Seed 002: nginx; seed 003: demo.yaml (Deployment + LoadBalancer Service). */
static const char *const seed_002_003[] = {
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: nginx-deployment\n"
    "  labels:\n"
    "    app: nginx\n"
    "spec:\n"
    "  replicas: 3\n"
    "  selector:\n"
    "    matchLabels:\n"
    "      app: nginx\n"
    "  template:\n"
    "    metadata:\n"
    "      labels:\n"
    "        app: nginx\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: nginx\n"
    "        image: nginx:1.14.2\n"
    "        ports:\n"
    "        - containerPort: 80\n",
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: welcome-deploy # this is the name of the deployment\n"
    "spec:\n"
    "  replicas: 3\n"
    "  selector:\n"
    "    matchLabels:\n"
    "      app: welcome-deploy\n"
    "  template:\n"
    "    metadata:\n"
    "      labels:\n"
    "        app: welcome-deploy\n"
    "    spec:\n"
    "      containers:\n"
    "      - name: welcome-pod\n"
    "        image: docker/welcome-to-docker:latest\n"
    "        ports:\n"
    "        - containerPort: 80 # Specify the port the container is listening on.\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: welcome-service\n"
    "spec:\n"
    "  type: LoadBalancer\n"
    "  ports:\n"
    "  - port: 80\n"
    "  selector:\n"
    "    app: welcome-deploy\n",
    NULL,
};

static size_t count_leaves(json_t *v) {
  const char *key;
  json_t *e;
  size_t i, n = 0;
  if (json_is_object(v)) {
    json_object_foreach(v, key, e) n += count_leaves(e);
    return n;
  }
  if (json_is_array(v)) {
    json_array_foreach(v, i, e) n += count_leaves(e);
    return n;
  }
  return 1;
}

/* Every manifest passes Strict with nothing unknown; nothing is dropped, and a second pass changes
 * nothing (only quantities may be rewritten, into their canonical form). */
static void assert_clean(const char *const *docs) {
  for (size_t i = 0; docs[i]; i++) {
    json_t *o = Y(docs[i]);
    size_t leaves = count_leaves(o);
    Error err = ERROR_INIT;
    char **unknown = NULL;
    int r = schema_check(schema_of(o), o, SCHEMA_CHECK_STRICT, &unknown, &err);
    if (r != 0)
      fail_msg("manifest %zu: %d %s (%s)", i, r, err.message ? err.message : "",
               unknown && unknown[0] ? unknown[0] : "");
    if (count_leaves(o) != leaves)
      fail_msg("manifest %zu lost fields", i);
    json_t *copy = json_deep_copy(o);
    assert_int_equal(schema_check(schema_of(o), o, SCHEMA_CHECK_STRICT, NULL, NULL), 0);
    if (!json_equal(o, copy))
      fail_msg("manifest %zu changed on a second pass", i);
    json_decref(o);
    json_decref(copy);
  }
}

static void test_seeds(void **state) {
  assert_clean(seed_001);
  assert_clean(seed_002_003);

  /* Quantities are stored as Kubernetes writes them back. */
  json_t *o = Y(seed_001[1]);
  assert_int_equal(schema_check(schema_of(o), o, SCHEMA_CHECK_STRICT, NULL, NULL), 0);
  json_t *res = json_object_get(json_array_get(jpath(o, "spec.template.spec.containers"), 0), "resources");
  assert_string_equal(jstr(res, "limits.cpu"), "500m");
  assert_string_equal(jstr(res, "limits.memory"), "500Mi");
  assert_string_equal(jstr(res, "requests.cpu"), "300m");
  json_decref(o);
}

static void test_replicas_3e(void **state) {
  /* What kubectl prints after "Error from server (BadRequest): error when creating "demo.yaml": ". */
  assert_rejected(Y(replicas_3e),
                  "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot "
                  "unmarshal string into Go struct field DeploymentSpec.spec.replicas of type "
                  "int32");
}

#define DEPLOY(spec) "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':" spec "}"
#define DEPLOY_PREFIX "Deployment in version \"v1\" cannot be handled as a Deployment: "
#define POD(spec) "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':" spec "}"
#define POD_PREFIX "Pod in version \"v1\" cannot be handled as a Pod: "
#define SVC(spec) "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},'spec':" spec "}"
#define SVC_PREFIX "Service in version \"v1\" cannot be handled as a Service: "

static void test_type_errors(void **state) {
  assert_rejected(J(DEPLOY("{'paused':'yes'}")), DEPLOY_PREFIX
                  "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of "
                  "type bool");
  assert_rejected(J(DEPLOY("{'template':{'spec':{'containers':{}}}}")), DEPLOY_PREFIX
                  "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec."
                  "containers of type []v1.Container");
  assert_rejected(
      J(DEPLOY("{'template':{'spec':{'containers':[{'name':'c','ports':[{'containerPort':3000000000}"
               "]}]}}}")),
      DEPLOY_PREFIX "json: cannot unmarshal number 3000000000 into Go struct field ContainerPort.spec."
                    "template.spec.containers.ports.containerPort of type int32");
  assert_rejected(J(DEPLOY("{'replicas':2.5}")),
                  DEPLOY_PREFIX "json: cannot unmarshal number 2.5 into Go struct field DeploymentSpec.spec."
                                "replicas of type int32");
  assert_rejected(J(DEPLOY("{'template':'x'}")), DEPLOY_PREFIX
                  "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.template "
                  "of type v1.PodTemplateSpec");
  assert_rejected(J(DEPLOY("{'selector':[]}")), DEPLOY_PREFIX
                  "json: cannot unmarshal array into Go struct field DeploymentSpec.spec.selector "
                  "of type v1.LabelSelector");
  assert_rejected(J(DEPLOY("{'strategy':{'type':1}}")),
                  DEPLOY_PREFIX "json: cannot unmarshal number into Go struct field DeploymentStrategy.spec."
                                "strategy.type of type v1.DeploymentStrategyType");
  assert_rejected(J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','labels':{'a':1}}}"),
                  DEPLOY_PREFIX
                  "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of "
                  "type string");
  assert_rejected(J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':'d'}"), DEPLOY_PREFIX
                  "json: cannot unmarshal string into Go struct field Deployment.metadata of type "
                  "v1.ObjectMeta");

  /* A body that is not an object at all. */
  Error err = ERROR_INIT;
  json_t *arr = J("[]");
  assert_int_equal(
      schema_check(schema_for_kind("apps", "v1", "Deployment"), arr, SCHEMA_CHECK_IGNORE, NULL, &err),
      -EBADMSG);
  assert_string_equal(err.message,
                      DEPLOY_PREFIX "json: cannot unmarshal array into Go value of type v1.Deployment");
  error_reset(&err);
  json_decref(arr);
}

static void test_type_errors_pod(void **state) {
  assert_rejected(J(POD("{'containers':[{'name':'c','args':'sleep 1'}]}")), POD_PREFIX
                  "json: cannot unmarshal string into Go struct field Container.spec.containers.args of "
                  "type []string");
  assert_rejected(J(POD("{'containers':[{'name':'c','args':[1]}]}")), POD_PREFIX
                  "json: cannot unmarshal number into Go struct field Container.spec.containers.args of "
                  "type string");
  assert_rejected(
      J(POD("{'containers':[{'name':'c','securityContext':{'capabilities':{'add':'NET_ADMIN'}}}]}")),
      POD_PREFIX "json: cannot unmarshal string into Go struct field Capabilities.spec.containers."
                 "securityContext.capabilities.add of type []v1.Capability");
  assert_rejected(J(POD("{'containers':[{'name':'c','resources':{'limits':{'memory':'500MB'}}}]}")),
                  POD_PREFIX "quantities must match the regular expression "
                             "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  assert_rejected(J(POD("{'containers':[{'name':'c','resources':{'requests':{'memory':'5mi'}}}]}")),
                  POD_PREFIX "unable to parse quantity's suffix");
  assert_rejected(J(POD("{'containers':[{'name':'c','resources':{'requests':'1'}}]}")),
                  POD_PREFIX "json: cannot unmarshal string into Go struct field ResourceRequirements.spec."
                             "containers.resources.requests of type v1.ResourceList");
  assert_rejected(J(POD("{'containers':[{'name':'c','livenessProbe':{'httpGet':{'port':true}}}]}")),
                  POD_PREFIX "json: cannot unmarshal bool into Go struct field HTTPGetAction.spec.containers."
                             "livenessProbe.httpGet.port of type int32");
  /* Fields promoted from an inline struct belong to the outer struct in Go's messages. */
  assert_rejected(J(POD("{'volumes':[{'name':'v','configMap':{'name':3}}]}")), POD_PREFIX
                  "json: cannot unmarshal number into Go struct field ConfigMapVolumeSource.spec.volumes."
                  "configMap.name of type string");
  assert_rejected(
      J("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','creationTimestamp':'yesterday'}}"),
      POD_PREFIX "parsing time \"yesterday\" as \"2006-01-02T15:04:05Z07:00\": cannot parse "
                 "\"yesterday\" as \"2006\"");
  assert_rejected(J("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','creationTimestamp':5}}"),
                  POD_PREFIX "json: cannot unmarshal number into Go struct field ObjectMeta.metadata."
                             "creationTimestamp of type string");
}

static void test_type_errors_service_secret(void **state) {
  assert_rejected(J(SVC("{'ports':[{'port':80,'protocol':6}]}")), SVC_PREFIX
                  "json: cannot unmarshal number into Go struct field ServicePort.spec.ports.protocol "
                  "of type v1.Protocol");
  assert_rejected(J(SVC("{'ports':[{'port':80,'targetPort':true}]}")), SVC_PREFIX
                  "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort "
                  "of type int32");
  assert_rejected(J(SVC("{'ports':[{'port':80,'targetPort':80.5}]}")),
                  SVC_PREFIX "json: cannot unmarshal number 80.5 into Go struct field ServicePort.spec.ports."
                             "targetPort of type int32");
  assert_rejected(J(SVC("{'ports':[{'port':'80'}]}")), SVC_PREFIX
                  "json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of "
                  "type int32");
  /* Plain text where base64 is expected: Go's decoder reports the first byte it cannot use. */
  assert_rejected(
      J("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'data':{'password':'secret'}}"),
      "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 4");
  assert_rejected(
      J("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'data':{'k':'a b='}}"),
      "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 1");
  assert_rejected(
      J("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'h'},"
        "'spec':{'maxReplicas':'6'}}"),
      "HorizontalPodAutoscaler in version \"v1\" cannot be handled as a HorizontalPodAutoscaler: json: "
      "cannot unmarshal string into Go struct field HorizontalPodAutoscalerSpec.spec.maxReplicas of "
      "type int32");
}

/* Go reports the first mismatch, unless a custom decoder (Quantity, Time, IntOrString) fails later: that
 * error stops decoding and wins. Unknown fields count only when nothing else failed. */
static void test_error_precedence(void **state) {
  assert_rejected(J(DEPLOY("{'replicas':'1','paused':'no'}")), DEPLOY_PREFIX
                  "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
                  "type int32");
  assert_rejected(
      J(DEPLOY("{'replicas':'1','template':{'spec':{'containers':[{'name':'c','resources':{'limits':"
               "{'cpu':'1x'}}}]}}}")),
      DEPLOY_PREFIX "quantities must match the regular expression "
                    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  assert_rejected(J(DEPLOY("{'replica':1,'paused':1}")), DEPLOY_PREFIX
                  "json: cannot unmarshal number into Go struct field DeploymentSpec.spec.paused of "
                  "type bool");
}

/* What Go keeps: integral floats in integer fields (YAML's 3.0) become integers, explicit nulls leave a
 * field unset, null list elements become the zero value. */
static void test_normalisation(void **state) {
  static const char *const none[] = {NULL};
  assert_unknowns(
      J(DEPLOY("{'replicas':3.0,'paused':null,'template':{'spec':{'containers':[{'name':'c','args':["
               "null,'x'],'ports':[{'containerPort':8e1}]}]}}}")),
      SCHEMA_CHECK_STRICT, none,
      DEPLOY("{'replicas':3,'template':{'spec':{'containers':[{'name':'c','args':['','x'],'ports':[{"
             "'containerPort':80}]}]}}}"));
  assert_unknowns(J(SVC("{'ports':[{'port':80,'targetPort':8080.0}],'selector':{'a':null}}")),
                  SCHEMA_CHECK_STRICT, none,
                  SVC("{'ports':[{'port':80,'targetPort':8080}],'selector':{'a':''}}"));
  /* Numbers are quantities too, and int64 fields take what int32 ones refuse. */
  assert_unknowns(J(POD("{'containers':[{'name':'c','resources':{'limits':{'cpu':0.5,'memory':1e9}}}],"
                        "'activeDeadlineSeconds':30000000000}")),
                  SCHEMA_CHECK_STRICT, none, NULL);
}

/* ---- unknown fields ---- */

static void test_unknown_strict(void **state) {
  json_t *o =
      J(DEPLOY("{'replica':3,'template':{'spec':{'containers':[{'name':'c','imagePullPolcy':'Always'}]}}}"));
  assert_rejected(o, DEPLOY_PREFIX "strict decoding error: unknown field \"spec.replica\", unknown field "
                                   "\"spec.template.spec.containers[0].imagePullPolcy\"");
}

static const char unknown_everywhere[] = DEPLOY(
    "{'replicas':1,'replica':2,'selector':{'matchLabels':{'a':'b'},'matchLabel':{}},"
    "'template':{'metadata':{'labels':{'a':'b'},'label':{}},'spec':{'containers':[{'name':'a'},"
    "{'name':'b','ports':[{'containerPort':80,'hostPorts':1}],'env':[{'name':'X','valueFrom':{'secretKeyRef':"
    "{'name':'s','key':'k','optionl':true}}}]}],'volumes':[{'name':'v','configMap':{'name':'c','itms':[]}}]}}"
    "}");

static void test_unknown_paths(void **state) {
  static const char *const want[] = {
      "spec.replica",
      "spec.selector.matchLabel",
      "spec.template.metadata.label",
      "spec.template.spec.containers[1].ports[0].hostPorts",
      "spec.template.spec.containers[1].env[0].valueFrom.secretKeyRef.optionl",
      "spec.template.spec.volumes[0].configMap.itms",
      NULL,
  };
  const char *pruned =
      DEPLOY("{'replicas':1,'selector':{'matchLabels':{'a':'b'}},"
             "'template':{'metadata':{'labels':{'a':'b'}},'spec':{'containers':[{'name':'a'},"
             "{'name':'b','ports':[{'containerPort':80}],'env':[{'name':'X','valueFrom':{'secretKeyRef':"
             "{'name':'s','key':'k'}}}]}],'volumes':[{'name':'v','configMap':{'name':'c'}}]}}}");
  assert_unknowns(J(unknown_everywhere), SCHEMA_CHECK_WARN, want, pruned);
  assert_unknowns(J(unknown_everywhere), SCHEMA_CHECK_IGNORE, want, pruned);

  /* ObjectMeta, status, and the top level are strict too; inline structs of other kinds as well. */
  static const char *const want2[] = {"metadata.labelz", "status.foo", "extra", NULL};
  assert_unknowns(
      J("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d','labelz':{}},"
        "'status':{'replicas':1,'foo':1},'extra':true}"),
      SCHEMA_CHECK_WARN, want2,
      "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'status':{'replicas':1}}");
  static const char *const want3[] = {"spec.rules[0].http.paths[0].backend.service.port.numbr", NULL};
  assert_unknowns(J("{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'i'},'spec':{"
                    "'rules':[{'host':'a.io','http':{'paths':[{'path':'/','pathType':'Prefix','backend':{"
                    "'service':{'name':'s','port':{'numbr':80}}}}]}}]}}"),
                  SCHEMA_CHECK_WARN, want3, NULL);

  /* Without a place for the paths, only the count comes back. */
  json_t *o = J(unknown_everywhere);
  assert_int_equal(schema_check(schema_of(o), o, SCHEMA_CHECK_IGNORE, NULL, NULL), 6);
  json_decref(o);
}

static void test_unknown_limit(void **state) {
  json_t *o = J(DEPLOY("{}")), *spec = jpath(o, "spec");
  for (int i = 0; i < 150; i++) {
    char key[16];
    snprintf(key, sizeof key, "x%03d", i);
    json_object_set_new(spec, key, json_true());
  }
  char **unknown = NULL;
  assert_int_equal(schema_check(schema_of(o), o, SCHEMA_CHECK_WARN, &unknown, NULL), 100);
  assert_string_equal(unknown[99], "spec.x099");
  assert_int_equal(json_object_size(spec), 0); /* all dropped, reported or not */
  strv_free(unknown);
  json_decref(o);
}

/* A PATCH whose result has unknown fields, under Strict: 422 naming the patch as Go prints it. */
static void test_patch_strict(void **state) {
  json_t *patch = J("{'spec':{'replica':3,'template':{'spec':{'$setElementOrder/containers':[{'name':'web'}],"
                    "'containers':[{'name':'web','imagePullPolcy':'Always'}]}}},'metadata':{'labels':null},"
                    "'x':[true,2.5,1e6,'a b']}");
  char *paths[] = {"spec.replica", "spec.template.spec.containers[0].imagePullPolcy", NULL};
  Error err = ERROR_INIT;
  assert_int_equal(schema_patch_strict_error(patch, paths, &err), -EINVAL);
  assert_int_equal(error_http_status(&err), 422);
  assert_string_equal(error_reason(&err), "Invalid");
  const char *body =
      "Invalid value: \"map[metadata:map[labels:<nil>] spec:map[replica:3 template:map[spec:map["
      "$setElementOrder/containers:[map[name:web]] containers:[map[imagePullPolcy:Always name:web]]]]] "
      "x:[true 2.5 1e+06 a b]]\": strict decoding error: unknown field \"spec.replica\", unknown "
      "field \"spec.template.spec.containers[0].imagePullPolcy\"";
  assert_int_equal(err.n_causes, 1);
  assert_string_equal(err.causes[0].field, "patch");
  assert_string_equal(err.causes[0].reason, "FieldValueInvalid");
  assert_string_equal(err.causes[0].message, body);
  _cleanup_free_ char *want = xasprintf(" \"\" is invalid: patch: %s", body);
  assert_string_equal(err.message, want);
  error_reset(&err);
  json_decref(patch);

  /* The whole PATCH path: the patched object is checked, the patch is what the message shows. */
  const SchemaMessage *m = schema_for_kind("apps", "v1", "Deployment");
  patch = J("{'spec':{'replica':3}}");
  json_t *patched = J(DEPLOY("{'replicas':1,'replica':3}"));
  assert_int_equal(schema_check_patched(m, patch, patched, SCHEMA_CHECK_STRICT, NULL, &err), -EINVAL);
  assert_string_equal(err.message,
                      " \"\" is invalid: patch: Invalid value: \"map[spec:map[replica:3]]\": strict "
                      "decoding error: unknown field \"spec.replica\"");
  error_reset(&err);
  json_decref(patched); /* a failed check leaves it partly normalised */
  patched = J(DEPLOY("{'replicas':1,'replica':3}"));
  char **unknown = NULL;
  assert_int_equal(schema_check_patched(m, patch, patched, SCHEMA_CHECK_WARN, &unknown, &err), 1);
  assert_string_equal(unknown[0], "spec.replica");
  assert_null(json_object_get(jpath(patched, "spec"), "replica"));
  strv_free(unknown);
  json_decref(patch);
  json_decref(patched);

  patch = J("{'spec':{'replicas':'3e'}}");
  patched = J(DEPLOY("{'replicas':'3e'}"));
  assert_int_equal(schema_check_patched(m, patch, patched, SCHEMA_CHECK_IGNORE, NULL, &err), -EINVAL);
  assert_string_equal(err.message,
                      " \"\" is invalid: patch: Invalid value: \"map[spec:map[replicas:3e]]\": json: "
                      "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
                      "type int32");
  error_reset(&err);
  json_decref(patch);
  json_decref(patched);
}

static void test_warning_text(void **state) {
  _cleanup_free_ char *w = schema_unknown_field_warning("spec.replica");
  assert_string_equal(w, "unknown field \"spec.replica\"");
  _cleanup_free_ char *w2 = schema_unknown_field_warning("metadata.annotations.a\"b\n");
  assert_string_equal(w2, "unknown field \"metadata.annotations.a\\\"b\\n\"");

  assert_int_equal(schema_check_mode_from_string("Strict"), SCHEMA_CHECK_STRICT);
  assert_int_equal(schema_check_mode_from_string("Warn"), SCHEMA_CHECK_WARN);
  assert_int_equal(schema_check_mode_from_string("Ignore"), SCHEMA_CHECK_IGNORE);
  assert_int_equal(schema_check_mode_from_string(NULL), SCHEMA_CHECK_WARN);
  assert_int_equal(schema_check_mode_from_string(""), SCHEMA_CHECK_WARN);
  assert_int_equal(schema_check_mode_from_string("strict"), _SCHEMA_CHECK_MODE_INVALID);
  assert_string_equal(schema_check_mode_to_string(SCHEMA_CHECK_STRICT), "Strict");
}

/* One realistic object of every kind with a schema, status included: all must pass Strict unchanged. */
static const char *const every_kind[] = {
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: web\n"
    "  namespace: default\n"
    "  labels: {app: web}\n"
    "  annotations: {a: b}\n"
    "  ownerReferences:\n"
    "  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-abc, uid: u1, controller: true, "
    "blockOwnerDeletion: true}\n"
    "  finalizers: [example.com/x]\n"
    "  uid: 11111111-2222-3333-4444-555555555555\n"
    "  resourceVersion: \"12\"\n"
    "  generation: 1\n"
    "  creationTimestamp: \"2024-01-31T12:00:00Z\"\n"
    "  managedFields:\n"
    "  - manager: kubectl\n"
    "    operation: Update\n"
    "    apiVersion: v1\n"
    "    time: \"2024-01-31T12:00:00Z\"\n"
    "    fieldsType: FieldsV1\n"
    "    fieldsV1: {\"f:metadata\": {}}\n"
    "spec:\n"
    "  initContainers:\n"
    "  - {name: init, image: busybox, command: [sh, -c, \"true\"], restartPolicy: Always}\n"
    "  containers:\n"
    "  - name: web\n"
    "    image: nginx:1.27\n"
    "    imagePullPolicy: IfNotPresent\n"
    "    args: [\"-g\", \"daemon off;\"]\n"
    "    workingDir: /\n"
    "    ports:\n"
    "    - {name: http, containerPort: 80, protocol: TCP, hostPort: 8080, hostIP: 0.0.0.0}\n"
    "    env:\n"
    "    - {name: A, value: \"1\"}\n"
    "    - name: B\n"
    "      valueFrom: {fieldRef: {fieldPath: metadata.name, apiVersion: v1}}\n"
    "    - name: C\n"
    "      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m, containerName: web}}\n"
    "    - name: D\n"
    "      valueFrom: {configMapKeyRef: {name: cm, key: k, optional: true}}\n"
    "    envFrom:\n"
    "    - {prefix: P_, configMapRef: {name: cm}}\n"
    "    - secretRef: {name: s, optional: false}\n"
    "    resources:\n"
    "      limits: {cpu: 500m, memory: 128Mi, ephemeral-storage: 1Gi}\n"
    "      requests: {cpu: 250m, memory: 64Mi}\n"
    "    volumeMounts:\n"
    "    - {name: data, mountPath: /data, readOnly: true, subPath: x, mountPropagation: None}\n"
    "    livenessProbe:\n"
    "      httpGet: {path: /healthz, port: http, scheme: HTTP, httpHeaders: [{name: X, value: y}]}\n"
    "      initialDelaySeconds: 3\n"
    "      periodSeconds: 10\n"
    "      timeoutSeconds: 1\n"
    "      failureThreshold: 3\n"
    "      terminationGracePeriodSeconds: 30\n"
    "    readinessProbe:\n"
    "      tcpSocket: {port: 80}\n"
    "    startupProbe:\n"
    "      exec: {command: [cat, /tmp/ok]}\n"
    "    lifecycle:\n"
    "      preStop: {exec: {command: [sleep, \"5\"]}}\n"
    "      postStart: {httpGet: {path: /, port: 80}}\n"
    "    securityContext:\n"
    "      runAsUser: 1000\n"
    "      runAsNonRoot: true\n"
    "      allowPrivilegeEscalation: false\n"
    "      readOnlyRootFilesystem: true\n"
    "      capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}\n"
    "      seccompProfile: {type: RuntimeDefault}\n"
    "    terminationMessagePath: /dev/termination-log\n"
    "    terminationMessagePolicy: File\n"
    "    stdin: false\n"
    "    tty: false\n"
    "  volumes:\n"
    "  - {name: data, emptyDir: {medium: Memory, sizeLimit: 1Gi}}\n"
    "  - name: cfg\n"
    "    configMap: {name: cm, defaultMode: 420, items: [{key: k, path: p, mode: 420}]}\n"
    "  - {name: sec, secret: {secretName: s}}\n"
    "  - {name: host, hostPath: {path: /var/log, type: Directory}}\n"
    "  - {name: claim, persistentVolumeClaim: {claimName: pvc, readOnly: true}}\n"
    "  - name: proj\n"
    "    projected:\n"
    "      sources:\n"
    "      - serviceAccountToken: {path: token, expirationSeconds: 3600, audience: api}\n"
    "      - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}\n"
    "  restartPolicy: Always\n"
    "  terminationGracePeriodSeconds: 30\n"
    "  dnsPolicy: ClusterFirst\n"
    "  nodeSelector: {kubernetes.io/os: linux}\n"
    "  serviceAccountName: default\n"
    "  nodeName: node1\n"
    "  hostNetwork: false\n"
    "  securityContext: {fsGroup: 2000, runAsGroup: 3000, sysctls: [{name: net.core.somaxconn, value: "
    "\"1024\"}]}\n"
    "  imagePullSecrets: [{name: reg}]\n"
    "  hostname: web\n"
    "  subdomain: svc\n"
    "  affinity:\n"
    "    nodeAffinity:\n"
    "      requiredDuringSchedulingIgnoredDuringExecution:\n"
    "        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a, b]}]}]\n"
    "      preferredDuringSchedulingIgnoredDuringExecution:\n"
    "      - {weight: 1, preference: {matchExpressions: [{key: disk, operator: Exists}]}}\n"
    "    podAntiAffinity:\n"
    "      preferredDuringSchedulingIgnoredDuringExecution:\n"
    "      - weight: 100\n"
    "        podAffinityTerm: {labelSelector: {matchLabels: {app: web}}, topologyKey: "
    "kubernetes.io/hostname}\n"
    "  schedulerName: default-scheduler\n"
    "  tolerations:\n"
    "  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}\n"
    "  hostAliases: [{ip: 127.0.0.1, hostnames: [foo.local]}]\n"
    "  priorityClassName: high\n"
    "  priority: 1000\n"
    "  dnsConfig: {nameservers: [1.1.1.1], searches: [svc.cluster.local], options: [{name: ndots, value: "
    "\"2\"}]}\n"
    "  readinessGates: [{conditionType: example.com/ready}]\n"
    "  enableServiceLinks: true\n"
    "  preemptionPolicy: PreemptLowerPriority\n"
    "  topologySpreadConstraints:\n"
    "  - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: "
    "{app: web}}}\n"
    "  os: {name: linux}\n"
    "status:\n"
    "  phase: Running\n"
    "  conditions:\n"
    "  - {type: Ready, status: \"True\", lastTransitionTime: \"2024-01-31T12:00:05Z\"}\n"
    "  hostIP: 10.0.0.1\n"
    "  hostIPs: [{ip: 10.0.0.1}]\n"
    "  podIP: 10.244.0.5\n"
    "  podIPs: [{ip: 10.244.0.5}]\n"
    "  startTime: \"2024-01-31T12:00:00Z\"\n"
    "  qosClass: Burstable\n"
    "  containerStatuses:\n"
    "  - name: web\n"
    "    ready: true\n"
    "    started: true\n"
    "    restartCount: 0\n"
    "    image: nginx:1.27\n"
    "    imageID: docker.io/library/nginx@sha256:abc\n"
    "    containerID: containerd://abc\n"
    "    state: {running: {startedAt: \"2024-01-31T12:00:01Z\"}}\n"
    "    lastState:\n"
    "      terminated: {exitCode: 137, signal: 9, reason: OOMKilled, startedAt: \"2024-01-31T11:00:00Z\", "
    "finishedAt: \"2024-01-31T11:59:00Z\"}\n"
    "  initContainerStatuses:\n"
    "  - {name: init, ready: true, restartCount: 0, image: busybox, imageID: \"\", state: {waiting: {reason: "
    "PodInitializing, message: x}}}\n",
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: web}\n"
    "spec:\n"
    "  type: NodePort\n"
    "  selector: {app: web}\n"
    "  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080, protocol: TCP, appProtocol: http}]\n"
    "  clusterIP: 10.96.0.10\n"
    "  clusterIPs: [10.96.0.10]\n"
    "  ipFamilies: [IPv4]\n"
    "  ipFamilyPolicy: SingleStack\n"
    "  sessionAffinity: ClientIP\n"
    "  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}\n"
    "  externalTrafficPolicy: Local\n"
    "  internalTrafficPolicy: Cluster\n"
    "  publishNotReadyAddresses: false\n"
    "status: {loadBalancer: {ingress: [{ip: 5.6.7.8, ipMode: VIP, ports: [{port: 80, protocol: TCP}]}]}}\n",
    "apiVersion: v1\n"
    "kind: ConfigMap\n"
    "metadata: {name: cm}\n"
    "data: {k: v, app.properties: a=b}\n"
    "binaryData: {bin: AAEC}\n"
    "immutable: false\n",
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata: {name: s}\n"
    "type: kubernetes.io/tls\n"
    "data: {tls.crt: YQ==, tls.key: YWI=}\n"
    "stringData: {extra: plain text}\n",
    "apiVersion: v1\n"
    "kind: Namespace\n"
    "metadata: {name: demo, labels: {kubernetes.io/metadata.name: demo}}\n"
    "spec: {finalizers: [kubernetes]}\n"
    "status: {phase: Active}\n",
    "apiVersion: v1\n"
    "kind: ServiceAccount\n"
    "metadata: {name: sa}\n"
    "secrets: [{name: sa-token}]\n"
    "imagePullSecrets: [{name: reg}]\n"
    "automountServiceAccountToken: false\n",
    "apiVersion: v1\n"
    "kind: Binding\n"
    "metadata: {name: web, namespace: default}\n"
    "target: {apiVersion: v1, kind: Node, name: node1}\n",
    "apiVersion: v1\n"
    "kind: Endpoints\n"
    "metadata: {name: web}\n"
    "subsets:\n"
    "- addresses: [{ip: 10.244.0.5, nodeName: node1, targetRef: {kind: Pod, name: web, namespace: default, "
    "uid: u}}]\n"
    "  notReadyAddresses: [{ip: 10.244.0.6, hostname: b}]\n"
    "  ports: [{name: http, port: 80, protocol: TCP, appProtocol: http}]\n",
    "apiVersion: v1\n"
    "kind: Event\n"
    "metadata: {name: web.123, namespace: default}\n"
    "involvedObject: {kind: Pod, name: web, namespace: default, uid: u, apiVersion: v1, resourceVersion: "
    "\"1\", fieldPath: \"spec.containers{web}\"}\n"
    "reason: Scheduled\n"
    "message: Successfully assigned default/web to node1\n"
    "source: {component: default-scheduler, host: node1}\n"
    "firstTimestamp: \"2024-01-31T12:00:00Z\"\n"
    "lastTimestamp: \"2024-01-31T12:00:00Z\"\n"
    "count: 1\n"
    "type: Normal\n"
    "eventTime: \"2024-01-31T12:00:00.000000Z\"\n"
    "series: {count: 2, lastObservedTime: \"2024-01-31T12:00:01.000000Z\"}\n"
    "action: Binding\n"
    "reportingComponent: default-scheduler\n"
    "reportingInstance: default-scheduler-node1\n"
    "related: {kind: Node, name: node1}\n",
    "apiVersion: v1\n"
    "kind: Node\n"
    "metadata: {name: node1, labels: {kubernetes.io/hostname: node1}}\n"
    "spec:\n"
    "  podCIDR: 10.244.0.0/24\n"
    "  podCIDRs: [10.244.0.0/24]\n"
    "  providerID: coracle://node1\n"
    "  unschedulable: false\n"
    "  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule, timeAdded: "
    "\"2024-01-31T12:00:00Z\"}]\n"
    "status:\n"
    "  capacity: {cpu: \"2\", memory: 4Gi, pods: \"110\"}\n"
    "  allocatable: {cpu: 1900m, memory: 3Gi, pods: \"110\"}\n"
    "  conditions:\n"
    "  - {type: Ready, status: \"True\", lastHeartbeatTime: \"2024-01-31T12:00:00Z\", lastTransitionTime: "
    "\"2024-01-31T12:00:00Z\", reason: KubeletReady, message: ready}\n"
    "  addresses: [{type: InternalIP, address: 10.0.0.1}, {type: Hostname, address: node1}]\n"
    "  daemonEndpoints: {kubeletEndpoint: {Port: 10250}}\n"
    "  nodeInfo: {machineID: m, systemUUID: s, bootID: b, kernelVersion: \"6.1\", osImage: Debian, "
    "containerRuntimeVersion: \"runc://1.1\", kubeletVersion: v1.32.0, kubeProxyVersion: v1.32.0, "
    "operatingSystem: linux, architecture: amd64}\n"
    "  images: [{names: [\"nginx:1.27\"], sizeBytes: 1000}]\n"
    "  volumesInUse: [kubernetes.io/csi/x]\n"
    "  volumesAttached: [{name: kubernetes.io/csi/x, devicePath: /dev/sdb}]\n"
    "  runtimeHandlers: [{name: runc, features: {recursiveReadOnlyMounts: true}}]\n"
    "  features: {supplementalGroupsPolicy: true}\n",
    "apiVersion: v1\n"
    "kind: PersistentVolume\n"
    "metadata: {name: pv1}\n"
    "spec:\n"
    "  capacity: {storage: 10Gi}\n"
    "  accessModes: [ReadWriteOnce, ReadOnlyMany]\n"
    "  persistentVolumeReclaimPolicy: Retain\n"
    "  storageClassName: local\n"
    "  volumeMode: Filesystem\n"
    "  mountOptions: [noatime]\n"
    "  claimRef: {namespace: default, name: data, uid: u}\n"
    "  local: {path: /mnt/disk1}\n"
    "  nodeAffinity:\n"
    "    required:\n"
    "      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: "
    "[node1]}]}]\n"
    "status: {phase: Bound, lastPhaseTransitionTime: \"2024-01-31T12:00:00Z\"}\n",
    "apiVersion: v1\n"
    "kind: PersistentVolumeClaim\n"
    "metadata: {name: data}\n"
    "spec:\n"
    "  accessModes: [ReadWriteOnce]\n"
    "  resources: {requests: {storage: 1Gi}, limits: {storage: 2Gi}}\n"
    "  storageClassName: standard\n"
    "  volumeMode: Filesystem\n"
    "  volumeName: pv1\n"
    "  selector: {matchLabels: {tier: fast}}\n"
    "  dataSource: {kind: VolumeSnapshot, name: snap, apiGroup: snapshot.storage.k8s.io}\n"
    "status: {phase: Bound, accessModes: [ReadWriteOnce], capacity: {storage: 10Gi}}\n",
    "apiVersion: v1\n"
    "kind: ResourceQuota\n"
    "metadata: {name: q}\n"
    "spec: {hard: {pods: \"10\", requests.cpu: \"4\"}, scopes: [NotBestEffort]}\n"
    "status: {hard: {pods: \"10\"}, used: {pods: \"2\"}}\n",
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata: {name: web}\n"
    "spec:\n"
    "  replicas: 2\n"
    "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}\n"
    "  progressDeadlineSeconds: 600\n"
    "  revisionHistoryLimit: 10\n"
    "  selector: {matchLabels: {app: web}}\n"
    "  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}\n"
    "status:\n"
    "  observedGeneration: 1\n"
    "  replicas: 2\n"
    "  updatedReplicas: 2\n"
    "  readyReplicas: 2\n"
    "  availableReplicas: 2\n"
    "  conditions:\n"
    "  - {type: Available, status: \"True\", lastUpdateTime: \"2024-01-31T12:00:00Z\", lastTransitionTime: "
    "\"2024-01-31T12:00:00Z\", reason: MinimumReplicasAvailable, message: ok}\n",
    "apiVersion: apps/v1\n"
    "kind: ReplicaSet\n"
    "metadata: {name: web-5d4f, labels: {pod-template-hash: 5d4f}, annotations: "
    "{deployment.kubernetes.io/revision: \"1\"}}\n"
    "spec:\n"
    "  replicas: 2\n"
    "  minReadySeconds: 0\n"
    "  selector: {matchLabels: {app: web, pod-template-hash: 5d4f}}\n"
    "  template: {metadata: {labels: {app: web, pod-template-hash: 5d4f}}, spec: {containers: [{name: web, "
    "image: nginx}]}}\n"
    "status: {replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, "
    "observedGeneration: 1, conditions: [{type: ReplicaFailure, status: \"False\"}]}\n",
    "apiVersion: apps/v1\n"
    "kind: StatefulSet\n"
    "metadata: {name: db}\n"
    "spec:\n"
    "  serviceName: db\n"
    "  replicas: 3\n"
    "  podManagementPolicy: Parallel\n"
    "  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 0, maxUnavailable: 1}}\n"
    "  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Delete}\n"
    "  minReadySeconds: 5\n"
    "  revisionHistoryLimit: 5\n"
    "  ordinals: {start: 0}\n"
    "  selector: {matchLabels: {app: db}}\n"
    "  template:\n"
    "    metadata: {labels: {app: db}}\n"
    "    spec: {containers: [{name: db, image: postgres, volumeMounts: [{name: data, mountPath: "
    "/var/lib/postgresql}]}]}\n"
    "  volumeClaimTemplates:\n"
    "  - metadata: {name: data}\n"
    "    spec: {accessModes: [ReadWriteOnce], storageClassName: standard, resources: {requests: {storage: "
    "1Gi}}}\n"
    "status: {replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, "
    "currentRevision: db-1, updateRevision: db-1, observedGeneration: 1, collisionCount: 0}\n",
    "apiVersion: apps/v1\n"
    "kind: DaemonSet\n"
    "metadata: {name: agent, namespace: kube-system}\n"
    "spec:\n"
    "  selector: {matchLabels: {app: agent}}\n"
    "  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}\n"
    "  template:\n"
    "    metadata: {labels: {app: agent}}\n"
    "    spec: {tolerations: [{operator: Exists}], containers: [{name: agent, image: \"agent:1\"}]}\n"
    "status: {currentNumberScheduled: 1, numberMisscheduled: 0, desiredNumberScheduled: 1, numberReady: 1, "
    "updatedNumberScheduled: 1, numberAvailable: 1, observedGeneration: 1}\n",
    "apiVersion: apps/v1\n"
    "kind: ControllerRevision\n"
    "metadata: {name: db-1}\n"
    "data: {spec: {template: {metadata: {labels: {app: db}}}}}\n"
    "revision: 1\n",
    "apiVersion: batch/v1\n"
    "kind: Job\n"
    "metadata: {name: pi}\n"
    "spec:\n"
    "  parallelism: 1\n"
    "  completions: 1\n"
    "  backoffLimit: 4\n"
    "  activeDeadlineSeconds: 100\n"
    "  ttlSecondsAfterFinished: 60\n"
    "  completionMode: NonIndexed\n"
    "  suspend: false\n"
    "  podFailurePolicy:\n"
    "    rules:\n"
    "    - {action: FailJob, onExitCodes: {containerName: pi, operator: In, values: [42]}}\n"
    "    - {action: Ignore, onPodConditions: [{type: DisruptionTarget, status: \"True\"}]}\n"
    "  template:\n"
    "    spec:\n"
    "      restartPolicy: Never\n"
    "      containers: [{name: pi, image: perl, command: [perl, -e, print 1]}]\n"
    "status: {active: 1, startTime: \"2024-01-31T12:00:00Z\", ready: 0, uncountedTerminatedPods: {}}\n",
    "apiVersion: batch/v1\n"
    "kind: CronJob\n"
    "metadata: {name: hello}\n"
    "spec:\n"
    "  schedule: \"*/1 * * * *\"\n"
    "  timeZone: Etc/UTC\n"
    "  concurrencyPolicy: Forbid\n"
    "  startingDeadlineSeconds: 10\n"
    "  successfulJobsHistoryLimit: 3\n"
    "  failedJobsHistoryLimit: 1\n"
    "  jobTemplate:\n"
    "    metadata: {labels: {a: b}}\n"
    "    spec:\n"
    "      template:\n"
    "        spec: {restartPolicy: OnFailure, containers: [{name: hello, image: busybox, args: [date]}]}\n"
    "status: {lastScheduleTime: \"2024-01-31T12:00:00Z\", active: [{kind: Job, name: hello-1, namespace: "
    "default, uid: u, apiVersion: batch/v1, resourceVersion: \"3\"}]}\n",
    "apiVersion: autoscaling/v1\n"
    "kind: HorizontalPodAutoscaler\n"
    "metadata: {name: web}\n"
    "spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, minReplicas: 1, maxReplicas: "
    "5, targetCPUUtilizationPercentage: 80}\n"
    "status: {currentReplicas: 1, desiredReplicas: 1, currentCPUUtilizationPercentage: 10, lastScaleTime: "
    "\"2024-01-31T12:00:00Z\"}\n",
    "apiVersion: autoscaling/v2\n"
    "kind: HorizontalPodAutoscaler\n"
    "metadata: {name: web}\n"
    "spec:\n"
    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
    "  minReplicas: 1\n"
    "  maxReplicas: 10\n"
    "  metrics:\n"
    "  - {type: Resource, resource: {name: memory, target: {type: AverageValue, averageValue: 500Mi}}}\n"
    "  - {type: Pods, pods: {metric: {name: packets, selector: {matchLabels: {a: b}}}, target: {type: "
    "AverageValue, averageValue: 1k}}}\n"
    "  - type: Object\n"
    "    object: {metric: {name: requests}, describedObject: {apiVersion: networking.k8s.io/v1, kind: "
    "Ingress, name: main}, target: {type: Value, value: 10k}}\n"
    "  - {type: External, external: {metric: {name: queue}, target: {type: AverageValue, averageValue: "
    "30}}}\n"
    "  - {type: ContainerResource, containerResource: {name: cpu, container: app, target: {type: "
    "Utilization, averageUtilization: 60}}}\n"
    "  behavior:\n"
    "    scaleDown: {stabilizationWindowSeconds: 300, selectPolicy: Min, policies: [{type: Percent, value: "
    "10, periodSeconds: 60}]}\n"
    "    scaleUp: {policies: [{type: Pods, value: 4, periodSeconds: 15}]}\n"
    "status:\n"
    "  observedGeneration: 1\n"
    "  lastScaleTime: \"2024-01-31T12:00:00Z\"\n"
    "  currentReplicas: 2\n"
    "  desiredReplicas: 2\n"
    "  currentMetrics:\n"
    "  - {type: Resource, resource: {name: memory, current: {averageValue: 300Mi, averageUtilization: 40}}}\n"
    "  conditions:\n"
    "  - {type: AbleToScale, status: \"True\", lastTransitionTime: \"2024-01-31T12:00:00Z\", reason: "
    "ReadyForNewScale, message: ok}\n",
    "apiVersion: autoscaling/v1\n"
    "kind: Scale\n"
    "metadata: {name: web, namespace: default}\n"
    "spec: {replicas: 3}\n"
    "status: {replicas: 2, selector: app=web}\n",
    "apiVersion: coordination.k8s.io/v1\n"
    "kind: Lease\n"
    "metadata: {name: node1, namespace: kube-node-lease}\n"
    "spec: {holderIdentity: node1, leaseDurationSeconds: 40, renewTime: \"2024-01-31T12:00:00.000000Z\", "
    "acquireTime: \"2024-01-31T11:00:00.000000Z\", leaseTransitions: 0}\n",
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata: {name: web-abc, labels: {kubernetes.io/service-name: web}}\n"
    "addressType: IPv4\n"
    "endpoints:\n"
    "- addresses: [10.244.0.5]\n"
    "  conditions: {ready: true, serving: true, terminating: false}\n"
    "  nodeName: node1\n"
    "  zone: a\n"
    "  targetRef: {kind: Pod, name: web, namespace: default}\n"
    "  hints: {forZones: [{name: a}]}\n"
    "ports: [{name: http, port: 80, protocol: TCP}]\n",
    "apiVersion: events.k8s.io/v1\n"
    "kind: Event\n"
    "metadata: {name: web.1, namespace: default}\n"
    "eventTime: \"2024-01-31T12:00:00.123456Z\"\n"
    "reportingController: coracle/scheduler\n"
    "reportingInstance: scheduler-1\n"
    "action: Scheduling\n"
    "reason: Scheduled\n"
    "regarding: {kind: Pod, name: web, namespace: default}\n"
    "note: assigned\n"
    "type: Normal\n"
    "series: {count: 2, lastObservedTime: \"2024-01-31T12:00:01.000000Z\"}\n",
    "apiVersion: networking.k8s.io/v1\n"
    "kind: IngressClass\n"
    "metadata: {name: nginx}\n"
    "spec: {controller: k8s.io/ingress-nginx, parameters: {apiGroup: k8s.example.com, kind: "
    "IngressParameters, name: external-lb, scope: Namespace, namespace: default}}\n",
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: ing, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}}\n"
    "spec:\n"
    "  ingressClassName: nginx\n"
    "  defaultBackend: {service: {name: def, port: {number: 80}}}\n"
    "  tls: [{hosts: [foo.com], secretName: tls}]\n"
    "  rules:\n"
    "  - host: foo.com\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /bar, pathType: Prefix, backend: {service: {name: svc, port: {name: http}}}}\n"
    "      - {path: /res, pathType: Exact, backend: {resource: {apiGroup: k8s.example.com, kind: "
    "StorageBucket, name: static}}}\n"
    "status: {loadBalancer: {ingress: [{ip: 1.2.3.4, ports: [{port: 80, protocol: TCP}]}]}}\n",
    "apiVersion: networking.k8s.io/v1\n"
    "kind: NetworkPolicy\n"
    "metadata: {name: np}\n"
    "spec:\n"
    "  podSelector: {matchLabels: {role: db}}\n"
    "  policyTypes: [Ingress, Egress]\n"
    "  ingress:\n"
    "  - from:\n"
    "    - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24]}\n"
    "    - namespaceSelector: {matchLabels: {project: myproject}}\n"
    "    - podSelector: {matchLabels: {role: frontend}}\n"
    "    ports: [{protocol: TCP, port: 6379}]\n"
    "  egress:\n"
    "  - to: [{ipBlock: {cidr: 10.0.0.0/24}}]\n"
    "    ports: [{protocol: TCP, port: 5978, endPort: 6000}]\n",
    "apiVersion: policy/v1\n"
    "kind: PodDisruptionBudget\n"
    "metadata: {name: pdb}\n"
    "spec: {minAvailable: 50%, selector: {matchLabels: {app: web}}, unhealthyPodEvictionPolicy: "
    "AlwaysAllow}\n"
    "status: {currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 2, "
    "observedGeneration: 1, disruptedPods: {web-1: \"2024-01-31T12:00:00Z\"}, conditions: [{type: "
    "DisruptionAllowed, status: \"True\", reason: SufficientPods, message: \"\", lastTransitionTime: "
    "\"2024-01-31T12:00:00Z\"}]}\n",
    "apiVersion: policy/v1\n"
    "kind: Eviction\n"
    "metadata: {name: web, namespace: default}\n"
    "deleteOptions: {gracePeriodSeconds: 0, propagationPolicy: Background, preconditions: {uid: u}}\n",
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: Role\n"
    "metadata: {name: r}\n"
    "rules: [{apiGroups: [\"\"], resources: [pods], verbs: [get, list], resourceNames: [a]}]\n",
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: ClusterRole\n"
    "metadata: {name: cr}\n"
    "rules: [{nonResourceURLs: [/logs/*], verbs: [get]}]\n"
    "aggregationRule: {clusterRoleSelectors: [{matchLabels: {a: b}}]}\n",
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: RoleBinding\n"
    "metadata: {name: rb}\n"
    "subjects: [{kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}, {kind: ServiceAccount, name: "
    "sa1, namespace: default}]\n"
    "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\n",
    "apiVersion: rbac.authorization.k8s.io/v1\n"
    "kind: ClusterRoleBinding\n"
    "metadata: {name: crb}\n"
    "subjects: [{kind: Group, name: g, apiGroup: rbac.authorization.k8s.io}]\n"
    "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr}\n",
    "apiVersion: scheduling.k8s.io/v1\n"
    "kind: PriorityClass\n"
    "metadata: {name: high}\n"
    "value: 1000000\n"
    "globalDefault: false\n"
    "description: important\n"
    "preemptionPolicy: Never\n",
    "apiVersion: storage.k8s.io/v1\n"
    "kind: StorageClass\n"
    "metadata: {name: standard, annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}}\n"
    "provisioner: rancher.io/local-path\n"
    "parameters: {type: ssd}\n"
    "reclaimPolicy: Delete\n"
    "volumeBindingMode: WaitForFirstConsumer\n"
    "allowVolumeExpansion: true\n"
    "mountOptions: [discard]\n"
    "allowedTopologies: [{matchLabelExpressions: [{key: zone, values: [a]}]}]\n",
    "apiVersion: v1\n"
    "kind: LimitRange\n"
    "metadata: {name: limits}\n"
    "spec:\n"
    "  limits:\n"
    "  - type: Container\n"
    "    default: {cpu: 500m, memory: 256Mi}\n"
    "    defaultRequest: {cpu: 100m}\n"
    "    max: {cpu: \"2\"}\n"
    "    min: {cpu: 10m}\n"
    "    maxLimitRequestRatio: {cpu: \"10\"}\n"
    "  - {type: PersistentVolumeClaim, max: {storage: 10Gi}}\n",
    "apiVersion: v1\n"
    "kind: PodTemplate\n"
    "metadata: {name: tmpl}\n"
    "template:\n"
    "  metadata: {labels: {app: web}}\n"
    "  spec: {containers: [{name: web, image: nginx}]}\n",
    "apiVersion: v1\n"
    "kind: ReplicationController\n"
    "metadata: {name: rc}\n"
    "spec:\n"
    "  replicas: 2\n"
    "  minReadySeconds: 1\n"
    "  selector: {app: rc}\n"
    "  template:\n"
    "    metadata: {labels: {app: rc}}\n"
    "    spec: {containers: [{name: web, image: nginx}]}\n"
    "status: {replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, "
    "observedGeneration: 1, conditions: [{type: ReplicaFailure, status: \"False\", lastTransitionTime: "
    "\"2024-01-31T12:00:00Z\"}]}\n",
    NULL,
};

static void test_every_kind_clean(void **state) {
  assert_clean(every_kind);
  /* ... and they cover every kind there is a schema for. */
  for (size_t k = 0; k < schema_kinds_count; k++) {
    bool seen = false;
    for (size_t i = 0; every_kind[i] && !seen; i++) {
      json_t *o = Y(every_kind[i]);
      seen = schema_of(o) == schema_kinds[k].message;
      json_decref(o);
    }
    if (!seen)
      fail_msg("no manifest of %s/%s %s", schema_kinds[k].group, schema_kinds[k].version,
               schema_kinds[k].kind);
  }
}

/* ---- lookups and derived names ---- */

static void test_every_served_kind(void **state) {
  for (size_t i = 0; i < api_resources_count; i++) {
    const ApiResource *r = &api_resources[i];
    const SchemaMessage *m = schema_for_kind(r->group, r->version, r->kind);
    if (!m)
      fail_msg("no schema for %s/%s %s", r->group, r->version, r->kind);
    assert_string_equal(m->name, r->kind);
    assert_ptr_equal(schema_kind_of(m)->message, m);
    assert_non_null(schema_field_find(m, "apiVersion"));
    assert_non_null(schema_field_find(m, "metadata"));
  }
  assert_null(schema_for_kind("apps", "v1beta1", "Deployment"));
  assert_non_null(schema_for_kind("autoscaling", "v1", "Scale"));

  const SchemaMessage *pod = schema_for_kind("", "v1", "Pod");
  const SchemaField *spec = schema_field_find(pod, "spec");
  const SchemaField *containers = schema_field_find(spec->message, "containers");
  char buf[64];
  assert_string_equal(schema_field_go_type(containers, false, buf, sizeof buf), "[]v1.Container");
  assert_string_equal(schema_field_go_type(containers, true, buf, sizeof buf), "v1.Container");
  assert_int_equal(schema_field_json_kind(containers), SCHEMA_JSON_ARRAY);
  assert_int_equal(schema_field_element_json_kind(containers), SCHEMA_JSON_OBJECT);
  assert_string_equal(containers->merge_key, "name");
  assert_true(containers->patch & SCHEMA_PATCH_MERGE);
  assert_true(containers->required);
  const SchemaField *policy = schema_field_find(containers->message, "imagePullPolicy");
  assert_string_equal(policy->named->go_type, "v1.PullPolicy");
  assert_int_equal(policy->named->n_values, 3);
  assert_string_equal(policy->named->values[1], "IfNotPresent");
  /* Inline structs are searched too. */
  const SchemaMessage *ing = schema_for_kind("networking.k8s.io", "v1", "Ingress");
  const SchemaField *rules = schema_field_find(schema_field_find(ing, "spec")->message, "rules");
  assert_non_null(schema_field_find(rules->message, "http"));
  assert_int_equal(schema_field_json_kind(schema_field_find(pod, "metadata")), SCHEMA_JSON_OBJECT);

  _cleanup_free_ char *name = schema_openapi_name(spec->message);
  assert_string_equal(name, "io.k8s.api.core.v1.PodSpec");
  assert_string_equal(schema_type_to_string(SCHEMA_QUANTITY), "Quantity");
  assert_string_equal(schema_json_kind_to_string(SCHEMA_JSON_INT_OR_STRING), "int-or-string");
  assert_null(schema_json_kind_to_string(_SCHEMA_JSON_KIND_INVALID));
}

/* The patch tags strategic merge patch needs, at the paths patch-meta.c lists them. */
static void assert_patch(const char *group, const char *kind, const char *path, unsigned patch,
                         const char *key) {
  const SchemaKind *k = NULL;
  for (size_t i = 0; i < schema_kinds_count && !k; i++)
    if (streq(schema_kinds[i].group, group) && streq(schema_kinds[i].kind, kind))
      k = &schema_kinds[i];
  assert_non_null(k);
  const SchemaField *f = schema_field_at(k->message, path);
  if (!f)
    fail_msg("%s: no field %s", kind, path);
  assert_int_equal(f->patch, patch);
  if (!streq_ptr(f->merge_key, key))
    fail_msg("%s %s: merge key %s", kind, path, f->merge_key ? f->merge_key : "(none)");
}

static void test_patch_tags(void **state) {
  assert_patch("apps", "Deployment", "spec.template.spec.containers", SCHEMA_PATCH_MERGE, "name");
  assert_patch("apps", "Deployment", "spec.template.spec.containers.ports", SCHEMA_PATCH_MERGE,
               "containerPort");
  assert_patch("apps", "Deployment", "spec.template.spec.containers.env", SCHEMA_PATCH_MERGE, "name");
  assert_patch("apps", "Deployment", "spec.template.spec.containers.volumeMounts", SCHEMA_PATCH_MERGE,
               "mountPath");
  assert_patch("apps", "Deployment", "spec.template.spec.volumes",
               SCHEMA_PATCH_MERGE | SCHEMA_PATCH_RETAIN_KEYS, "name");
  assert_patch("apps", "Deployment", "spec.strategy", SCHEMA_PATCH_RETAIN_KEYS, NULL);
  assert_patch("apps", "Deployment", "status.conditions", SCHEMA_PATCH_MERGE, "type");
  assert_patch("apps", "Deployment", "metadata.finalizers", SCHEMA_PATCH_MERGE, NULL);
  assert_patch("apps", "Deployment", "metadata.ownerReferences", SCHEMA_PATCH_MERGE, "uid");
  assert_patch("apps", "StatefulSet", "spec.volumeClaimTemplates", 0, NULL);
  assert_patch("", "Service", "spec.ports", SCHEMA_PATCH_MERGE, "port");
  assert_patch("", "Node", "spec.podCIDRs", SCHEMA_PATCH_MERGE, NULL);
  assert_patch("", "Node", "status.addresses", SCHEMA_PATCH_MERGE, "type");
  assert_patch("", "Pod", "spec.tolerations", 0, NULL);
  assert_patch("", "Pod", "status.podIPs", SCHEMA_PATCH_MERGE, "ip");
  assert_patch("", "ServiceAccount", "secrets", SCHEMA_PATCH_MERGE, "name");
  assert_patch("policy", "PodDisruptionBudget", "spec.selector", SCHEMA_PATCH_REPLACE, NULL);
  assert_patch("batch", "CronJob", "spec.jobTemplate.spec.template.spec.initContainers", SCHEMA_PATCH_MERGE,
               "name");

  const SchemaMessage *d = schema_for_kind("apps", "v1", "Deployment");
  assert_null(schema_field_at(d, "spec.replicas.x"));
  assert_null(schema_field_at(d, "spec.nope"));
  assert_null(schema_field_at(d, "spec."));
  assert_null(schema_field_at(d, "metadata.labels.app"));
  /* Inline structs are crossed without being named. */
  const SchemaMessage *pod = schema_for_kind("", "v1", "Pod");
  assert_non_null(schema_field_at(pod, "spec.volumes.configMap.name"));
  assert_non_null(schema_field_at(pod, "spec.ephemeralContainers.targetContainerName"));
  assert_non_null(schema_field_at(pod, "spec.ephemeralContainers.image"));
}

/* ---- OpenAPI ---- */

static void assert_refs_resolve(json_t *doc, json_t *node) {
  const char *key;
  json_t *v;
  size_t i;
  if (json_is_object(node)) {
    json_object_foreach(node, key, v) {
      if (streq(key, "$ref")) {
        const char *r = json_string_value(v);
        assert_true(startswith(r, "#/components/schemas/"));
        if (!json_object_get(jpath(doc, "components"), "schemas") ||
            !json_object_get(json_object_get(jpath(doc, "components"), "schemas"),
                             r + strlen("#/components/schemas/")))
          fail_msg("dangling $ref %s", r);
      } else
        assert_refs_resolve(doc, v);
    }
  } else if (json_is_array(node))
    json_array_foreach(node, i, v) assert_refs_resolve(doc, v);
}

static bool has_param(json_t *op, const char *name) {
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(op, "parameters"), i,
                     p) if (streq(json_string_value(json_object_get(p, "name")), name)) return true;
  return false;
}

static void test_openapi(void **state) {
  for (size_t i = 0; i < api_resources_count; i++) {
    const ApiResource *r = &api_resources[i];
    json_t *doc = schema_openapi_v3(r->group, r->version);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.0");
    char gv[128];
    api_resource_group_version(r, gv, sizeof gv);
    _cleanup_free_ char *list =
        r->namespaced
            ? xasprintf("/%s/%s/namespaces/{namespace}/%s", r->group[0] ? "apis" : "api", gv, r->resource)
            : xasprintf("/%s/%s/%s", r->group[0] ? "apis" : "api", gv, r->resource);
    _cleanup_free_ char *item = xasprintf("%s/{name}", list);
    json_t *paths = json_object_get(doc, "paths");
    /* kubectl's fieldValidation check: a PATCH (or, for create-only resources, a POST) with the GVK. */
    json_t *op = api_resource_has_verb(r, "patch") ? jpath(json_object_get(paths, item), "patch")
                                                   : jpath(json_object_get(paths, list), "post");
    if (!op)
      fail_msg("no write operation for %s", r->resource);
    json_t *want_gvk = json_pack("{s:s,s:s,s:s}", "group", r->group, "version", r->version, "kind", r->kind);
    assert_true(json_equal(json_object_get(op, "x-kubernetes-group-version-kind"), want_gvk));
    assert_true(has_param(op, "fieldValidation"));

    /* kubectl explain's lookup: a component tagged with the GVK. */
    _cleanup_free_ char *component = schema_openapi_name(schema_for_kind(r->group, r->version, r->kind));
    json_t *s = json_object_get(jpath(doc, "components.schemas"), component);
    if (!s)
      fail_msg("no component %s", component);
    assert_true(
        json_equal(json_array_get(json_object_get(s, "x-kubernetes-group-version-kind"), 0), want_gvk));
    assert_non_null(json_string_value(json_object_get(s, "description")));
    assert_non_null(jpath(s, "properties.metadata"));
    json_decref(want_gvk);
    assert_refs_resolve(doc, doc);
    json_decref(doc);
  }
  assert_null(schema_openapi_v3("apps", "v1beta1"));

  json_t *doc = schema_openapi_v3("apps", "v1");
  json_t *schemas = jpath(doc, "components");
  schemas = json_object_get(schemas, "schemas");
  json_t *container = json_object_get(schemas, "io.k8s.api.core.v1.Container");
  assert_non_null(container);
  json_t *pp = jpath(container, "properties.imagePullPolicy.enum");
  assert_int_equal(json_array_size(pp), 3);
  assert_string_equal(json_string_value(jpath(container, "properties.ports.x-kubernetes-patch-merge-key")),
                      "containerPort");
  assert_string_equal(json_string_value(json_array_get(json_object_get(container, "required"), 0)), "name");
  json_t *spec = json_object_get(schemas, "io.k8s.api.apps.v1.DeploymentSpec");
  assert_string_equal(json_string_value(jpath(spec, "properties.strategy.x-kubernetes-patch-strategy")),
                      "retainKeys");
  assert_string_equal(json_string_value(jpath(spec, "properties.replicas.format")), "int32");
  /* explain prints <Quantity> and <IntOrString> because their components have no primitive type, and
   * <string> for times because theirs is a string. */
  assert_null(jpath(json_object_get(schemas, "io.k8s.apimachinery.pkg.api.resource.Quantity"), "type"));
  assert_null(jpath(json_object_get(schemas, "io.k8s.apimachinery.pkg.util.intstr.IntOrString"), "type"));
  assert_string_equal(json_string_value(jpath(
                          json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Time"), "format")),
                      "date-time");
  assert_non_null(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  json_decref(doc);
}

/* ---- scalar syntaxes (quantities: see test-quantity.c) ---- */

static void assert_time(const char *value, bool micro, const char *want) {
  _cleanup_free_ char *e = schema_time_error(value, micro);
  if (!want) {
    if (e)
      fail_msg("%s: %s", value, e);
    return;
  }
  if (!e || !streq(e, want))
    fail_msg("%s: got %s, want %s", value, e ? e : "(accepted)", want);
}

static void test_times(void **state) {
  assert_time("2024-01-31T12:00:00Z", false, NULL);
  assert_time("2024-01-31T12:00:00.123Z", false, NULL);
  assert_time("2024-02-29T23:59:59+05:30", false, NULL);
  assert_time("2024-01-31T2:00:00Z", false, NULL); /* Go's parser takes a one-digit hour */
  assert_time("2024-01-01", false,
              "parsing time \"2024-01-01\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"T\"");
  assert_time("2024-13-01T00:00:00Z", false, "parsing time \"2024-13-01T00:00:00Z\": month out of range");
  assert_time("2023-02-29T00:00:00Z", false, "parsing time \"2023-02-29T00:00:00Z\": day out of range");
  assert_time("2024-01-01T00:00:00", false,
              "parsing time \"2024-01-01T00:00:00\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as "
              "\"Z07:00\"");
  assert_time("2024-01-01T00:00:00Zjunk", false,
              "parsing time \"2024-01-01T00:00:00Zjunk\": extra text: \"junk\"");
  assert_time("2024-1-01T00:00:00Z", false,
              "parsing time \"2024-1-01T00:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse "
              "\"1-01T00:00:00Z\" as \"01\"");
  assert_time("2024-01-31T12:00:00.123456Z", true, NULL);
  assert_time("2024-01-31T12:00:00Z", true,
              "parsing time \"2024-01-31T12:00:00Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse "
              "\"Z\" as \".000000\"");

  _cleanup_free_ char *d1 = schema_duration_error("1h30m");
  assert_null(d1);
  _cleanup_free_ char *d2 = schema_duration_error("1.5s");
  assert_null(d2);
  _cleanup_free_ char *d3 = schema_duration_error("10");
  assert_string_equal(d3, "time: missing unit in duration \"10\"");
  _cleanup_free_ char *d4 = schema_duration_error("3d");
  assert_string_equal(d4, "time: unknown unit \"d\" in duration \"3d\"");
  _cleanup_free_ char *d5 = schema_duration_error("x");
  assert_string_equal(d5, "time: invalid duration \"x\"");
}

static void test_base64(void **state) {
  static const struct {
    const char *s;
    long off;
  } cases[] = {
      {"", -1},         {"YQ==", -1},     {"YWI=", -1},   {"YWJj", -1}, {"YW\nJj", -1},  {"secret", 4},
      {"hello", 4},     {"a b=", 1},      {"YQ=", 3},     {"Y===", 1},  {"YQ==YQ==", 4}, {"YQ=x", 2},
      {"YWJj\r\n", -1}, {"YQ==\n\n", -1}, {"YQ==\nx", 5}, {"*", 0},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    long off = schema_base64_error_offset(cases[i].s, strlen(cases[i].s));
    if (off != cases[i].off)
      fail_msg("%s: got %ld, want %ld", cases[i].s, off, cases[i].off);
  }
}

static void test_go_format(void **state) {
  static const struct {
    double x;
    const char *want;
  } cases[] = {
      {2.5, "2.5"},
      {0.1, "0.1"},
      {1e20, "100000000000000000000"},
      {1e21, "1e+21"},
      {1.5e-7, "1.5e-7"},
      {0.000001, "0.000001"},
      {-3.25, "-3.25"},
      {123456.789, "123456.789"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    _cleanup_buf_ Buf b = BUF_INIT;
    schema_go_format_float(&b, cases[i].x);
    if (!streq(b.data, cases[i].want))
      fail_msg("%g: got %s, want %s", cases[i].x, b.data, cases[i].want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_seeds),
      cmocka_unit_test(test_replicas_3e),
      cmocka_unit_test(test_type_errors),
      cmocka_unit_test(test_type_errors_pod),
      cmocka_unit_test(test_type_errors_service_secret),
      cmocka_unit_test(test_error_precedence),
      cmocka_unit_test(test_normalisation),
      cmocka_unit_test(test_unknown_strict),
      cmocka_unit_test(test_unknown_paths),
      cmocka_unit_test(test_unknown_limit),
      cmocka_unit_test(test_patch_strict),
      cmocka_unit_test(test_warning_text),
      cmocka_unit_test(test_every_kind_clean),
      cmocka_unit_test(test_every_served_kind),
      cmocka_unit_test(test_patch_tags),
      cmocka_unit_test(test_openapi),
      cmocka_unit_test(test_times),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_go_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
