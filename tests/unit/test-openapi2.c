/* Unit tests for the protobuf OpenAPI v2 document (src/api/schema-openapi2.c). kubectl decodes it with the
 * messages of gnostic's OpenAPIv2.proto, so a wrong field number silently loses data there: these tests read
 * the encoding back with a small reader written here, and every field number they use is taken from that
 * .proto, not from the encoder. One handcrafted v3 document checks each conversion rule; the real document
 * checks what kubectl 1.27/1.28 look up in it (a kind's definition by its GVK, its PATCH path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "api/schema.h"
#include "base/buf.h"

typedef struct Msg {
  const uint8_t *p;
  size_t n;
} Msg;

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *ret) {
  uint64_t v = 0;
  for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
    uint8_t c = *(*p)++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *ret = v;
      return true;
    }
  }
  return false;
}

/* The nth occurrence (from 0) of field in m: its bytes for a length-delimited field, or its varint in
 * *ret_varint. Fails the test on malformed input. */
static bool field_at(Msg m, uint32_t field, size_t nth, Msg *ret, uint64_t *ret_varint) {
  const uint8_t *p = m.p, *end = m.p + m.n;
  while (p < end) {
    uint64_t key, v;
    assert_true(read_varint(&p, end, &key));
    switch (key & 7) {
    case 0:
      assert_true(read_varint(&p, end, &v));
      if (key >> 3 == field && nth-- == 0) {
        if (ret_varint)
          *ret_varint = v;
        return true;
      }
      break;
    case 2:
      assert_true(read_varint(&p, end, &v));
      assert_true(v <= (uint64_t)(end - p));
      if (key >> 3 == field && nth-- == 0) {
        if (ret)
          *ret = (Msg){p, v};
        return true;
      }
      p += v;
      break;
    default:
      fail_msg("unexpected wire type %u", (unsigned)(key & 7));
    }
  }
  return false;
}

static Msg sub(Msg m, uint32_t field) {
  Msg r = {0};
  if (!field_at(m, field, 0, &r, NULL))
    fail_msg("field %u missing", field);
  return r;
}

static bool is(Msg m, const char *s) {
  return m.n == strlen(s) && memcmp(m.p, s, m.n) == 0;
}

static void assert_str(Msg m, uint32_t field, const char *want) {
  Msg s = sub(m, field);
  if (!is(s, want))
    fail_msg("field %u is \"%.*s\", want \"%s\"", field, (int)s.n, (const char *)s.p, want);
}

/* The value of the entry called name in a repeated Named* field (name = 1, value = 2 in all of them). */
static bool named(Msg m, uint32_t field, const char *name, Msg *ret) {
  Msg e;
  for (size_t i = 0; field_at(m, field, i, &e, NULL); i++)
    if (is(sub(e, 1), name)) {
      *ret = sub(e, 2);
      return true;
    }
  return false;
}

static Msg must_named(Msg m, uint32_t field, const char *name) {
  Msg r = {0};
  if (!named(m, field, name, &r))
    fail_msg("no entry %s in field %u", name, field);
  return r;
}

/* gnostic numbers: Document paths 8, definitions 9; Definitions/Properties additional_properties 1;
 * Schema vendor_extension 31; Operation vendor_extension 13; NamedAny value is an Any whose yaml is 2. */
static Msg definition(Msg doc, const char *name) {
  return must_named(sub(doc, 9), 1, name);
}

static Msg property(Msg schema, const char *name) {
  return must_named(sub(schema, 25), 1, name);
}

static void assert_extension(Msg m, uint32_t field, const char *name, const char *yaml) {
  assert_str(must_named(m, field, name), 2, yaml);
}

static json_t *J(const char *text) {
  char *s = strdup(text);
  for (char *p = s; *p; p++)
    if (*p == '\'')
      *p = '"';
  json_error_t e;
  json_t *j = json_loads(s, 0, &e);
  if (!j)
    fail_msg("bad test JSON: %s", e.text);
  free(s);
  return j;
}

static const char small_v3[] =
    "{'openapi':'3.0.0','paths':{'/apis/apps/v1/namespaces/{namespace}/deployments/{name}':{"
    "  'parameters':[{'name':'name','in':'path'}],"
    "  'patch':{'operationId':'patchAppsV1NamespacedDeployment','x-kubernetes-action':'patch',"
    "    'x-kubernetes-group-version-kind':{'group':'apps','version':'v1','kind':'Deployment'},"
    "    'parameters':[{'name':'fieldValidation','in':'query'}],"
    "    'responses':{'200':{'description':'OK','content':{'application/json':{'schema':{"
    "      '$ref':'#/components/schemas/io.k8s.api.apps.v1.Deployment'}}}}}}}},"
    " 'components':{'schemas':{"
    "  'io.k8s.api.apps.v1.Deployment':{'type':'object','description':'A Deployment.','required':['spec'],"
    "    'properties':{"
    "      'spec':{'allOf':[{'$ref':'#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec'}],"
    "              'description':'The spec.'},"
    "      'tags':{'type':'array','items':{'type':'string','enum':['a','b']},"
    "              'x-kubernetes-patch-strategy':'merge'},"
    "      'labels':{'type':'object','additionalProperties':{'type':'string'}}},"
    "    'x-kubernetes-group-version-kind':[{'group':'apps','version':'v1','kind':'Deployment'}]},"
    "  'io.k8s.api.apps.v1.DeploymentSpec':{'type':'object','properties':{"
    "      'replicas':{'type':'integer','format':'int32'},"
    "      "
    "'maxSurge':{'allOf':[{'$ref':'#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString'}]},"
    "      'empty':{'type':'object','properties':{}}}},"
    "  'io.k8s.apimachinery.pkg.util.intstr.IntOrString':{'oneOf':[{'type':'integer'},{'type':'string'}],"
    "      'format':'int-or-string'}}}}";

static void test_small_document(void **state) {
  (void)state;
  json_t *v3 = J(small_v3);
  uint8_t *data = NULL;
  size_t len = 0;
  Error err = ERROR_INIT;
  assert_int_equal(schema_openapi_v2_from_v3(&v3, 1, &data, &len, &err), 0);
  Msg doc = {data, len};

  /* Document.swagger (1) comes first: tag 0x0a, length 3. */
  assert_true(len > 5);
  assert_memory_equal(data,
                      "\x0a\x03"
                      "2.0",
                      5);
  Msg info = sub(doc, 2);
  assert_str(info, 1, "Kubernetes");             /* Info.title */
  assert_true(field_at(info, 2, 0, NULL, NULL)); /* Info.version */

  /* Paths.path (2) -> NamedPathItem -> PathItem.patch (8) -> Operation. */
  Msg item = must_named(sub(doc, 8), 2, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
  assert_false(field_at(item, 2, 0, NULL, NULL)); /* no get in the source */
  Msg op = sub(item, 8);
  assert_str(op, 5, "patchAppsV1NamespacedDeployment"); /* operation_id */
  assert_extension(op, 13, "x-kubernetes-group-version-kind",
                   "{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}");
  assert_extension(op, 13, "x-kubernetes-action", "\"patch\"");
  /* No parameters (8): kubectl 1.27/1.28 then validate on the client side. */
  assert_false(field_at(op, 8, 0, NULL, NULL));
  /* responses (9) -> response_code (1) "200" -> ResponseValue.response (1) -> Response.schema (2) ->
   * SchemaItem.schema (1) -> Schema._ref (1). */
  Msg resp = sub(must_named(sub(op, 9), 1, "200"), 1);
  assert_str(resp, 1, "OK");
  assert_str(sub(sub(resp, 2), 1), 1, "#/definitions/io.k8s.api.apps.v1.Deployment");

  Msg d = definition(doc, "io.k8s.api.apps.v1.Deployment");
  assert_str(d, 4, "A Deployment.");   /* description */
  assert_str(sub(d, 22), 1, "object"); /* type -> TypeItem.value */
  assert_str(d, 19, "spec");           /* required */
  assert_extension(d, 31, "x-kubernetes-group-version-kind",
                   "[{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}]");
  Msg spec = property(d, "spec");
  assert_str(spec, 1, "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"); /* allOf folded into _ref */
  assert_str(spec, 4, "The spec.");
  assert_false(field_at(spec, 24, 0, NULL, NULL)); /* no all_of */
  Msg tags = property(d, "tags");
  assert_str(sub(tags, 22), 1, "array");
  Msg elem = sub(sub(tags, 23), 1); /* items -> ItemsItem.schema */
  assert_str(sub(elem, 22), 1, "string");
  assert_str(sub(elem, 20), 2, "\"a\""); /* enum -> Any.yaml */
  assert_extension(tags, 31, "x-kubernetes-patch-strategy", "\"merge\"");
  Msg labels = property(d, "labels");
  /* additional_properties (21) -> AdditionalPropertiesItem.schema (1) -> type -> TypeItem.value. */
  assert_str(sub(sub(sub(labels, 21), 1), 22), 1, "string");

  Msg ds = definition(doc, "io.k8s.api.apps.v1.DeploymentSpec");
  Msg replicas = property(ds, "replicas");
  assert_str(sub(replicas, 22), 1, "integer");
  assert_str(replicas, 2, "int32"); /* format */
  /* An empty properties message is kept: it tells kube-openapi this is a struct, not a map. */
  Msg empty = property(ds, "empty");
  Msg props = {0};
  assert_true(field_at(empty, 25, 0, &props, NULL));
  assert_int_equal(props.n, 0);

  Msg ios = definition(doc, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  assert_str(sub(ios, 22), 1, "string");
  assert_str(ios, 2, "int-or-string");

  free(data);
  json_decref(v3);
  error_reset(&err);
}

static void test_bad_reference(void **state) {
  (void)state;
  json_t *v3 =
      J("{'components':{'schemas':{'X':{'type':'object','properties':{'a':{'$ref':'#/elsewhere/Y'}}}}}}");
  uint8_t *data = NULL;
  size_t len = 0;
  Error err = ERROR_INIT;
  assert_true(schema_openapi_v2_from_v3(&v3, 1, &data, &len, &err) < 0);
  assert_null(data);
  assert_non_null(strstr(err.message, "#/elsewhere/Y"));
  json_decref(v3);
  error_reset(&err);
}

static void test_real_document(void **state) {
  (void)state;
  uint8_t *data = NULL;
  size_t len = 0;
  Error err = ERROR_INIT;
  assert_int_equal(schema_openapi_v2_protobuf(&data, &len, &err), 0);
  Msg doc = {data, len};

  Msg d = definition(doc, "io.k8s.api.apps.v1.Deployment");
  assert_extension(d, 31, "x-kubernetes-group-version-kind",
                   "[{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"}]");
  assert_str(property(d, "spec"), 1, "#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
  Msg strategy = property(definition(doc, "io.k8s.api.apps.v1.DeploymentSpec"), "strategy");
  assert_extension(strategy, 31, "x-kubernetes-patch-strategy", "\"retainKeys\"");
  Msg containers = property(definition(doc, "io.k8s.api.core.v1.PodSpec"), "containers");
  assert_extension(containers, 31, "x-kubernetes-patch-merge-key", "\"name\"");
  /* The core group is "" in a GVK: it must stay a string in the YAML. */
  assert_extension(definition(doc, "io.k8s.api.core.v1.Service"), 31, "x-kubernetes-group-version-kind",
                   "[{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Service\"}]");
  Msg quantity = definition(doc, "io.k8s.apimachinery.pkg.api.resource.Quantity");
  assert_str(sub(quantity, 22), 1, "string");

  Msg item = must_named(sub(doc, 8), 2, "/api/v1/namespaces/{namespace}/services/{name}");
  assert_extension(sub(item, 8), 13, "x-kubernetes-group-version-kind",
                   "{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Service\"}");
  assert_true(field_at(item, 2, 0, NULL, NULL)); /* get */

  /* Every reference resolves: kube-openapi refuses the whole document otherwise. */
  Msg defs = sub(doc, 9), e;
  size_t n = 0;
  for (size_t i = 0; field_at(defs, 1, i, &e, NULL); i++)
    n++;
  assert_true(n > 50);
  for (size_t i = 0; i + 14 < len; i++)
    if (memcmp(data + i, "#/definitions/", 14) == 0) {
      size_t l = data[i - 1]; /* _ref strings are short: one length byte */
      char name[256];
      assert_true(l > 14 && l - 14 < sizeof name);
      memcpy(name, data + i + 14, l - 14);
      name[l - 14] = 0;
      Msg unused;
      if (!named(defs, 1, name, &unused))
        fail_msg("dangling reference to %s", name);
    }

  free(data);
  error_reset(&err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_small_document),
      cmocka_unit_test(test_bad_reference),
      cmocka_unit_test(test_real_document),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
