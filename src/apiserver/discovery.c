/* Discovery and metadata endpoints: /version, /healthz|livez|readyz, the legacy discovery documents
 * (/api, /apis, /api/v1, /apis/G/V), aggregated discovery (apidiscovery.k8s.io v2 and v2beta1, only when
 * the client's Accept asks for exactly that, since the Content-Type is what kubectl keys on), and the
 * OpenAPI v3 index and per group-version documents that `kubectl apply -f` checks for a PATCH operation
 * with a fieldValidation parameter before it sends anything, and the protobuf OpenAPI v2 document kubectl
 * 1.27/1.28 validate manifests against. All documents derive from kinds.c. */
#include <errno.h>
#include <pthread.h>

#include "api/jsonutil.h"
#include "api/schema.h"
#include "apiserver/apiserver-internal.h"
#include "base/log.h"
#include "config.h"

static json_t *verbs_array(const char *verbs) {
  json_t *a = json_array();
  _cleanup_free_ char *copy = xstrdup(verbs);
  char *save = NULL;
  for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
    json_array_append_new(a, json_string(w));
  return a;
}

static json_t *short_names(const ApiResource *r) {
  json_t *a = json_array();
  for (size_t i = 0; i < KIND_MAX_SHORT && r->short_names[i]; i++)
    json_array_append_new(a, json_string(r->short_names[i]));
  return a;
}

static json_t *resource_list(const char *group, const char *version) {
  json_t *items = json_array();
  for (size_t i = 0; i < api_resources_count; i++) {
    const ApiResource *r = &api_resources[i];
    if (!streq(r->group, group) || !streq(r->version, version))
      continue;
    json_t *e = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", r->resource, "singularName", r->singular,
                          "namespaced", r->namespaced, "kind", r->kind, "verbs",
                          verbs_array(r->verbs ? r->verbs : api_standard_verbs));
    if (r->short_names[0])
      json_object_set_new(e, "shortNames", short_names(r));
    if (r->in_all)
      json_object_set_new(e, "categories", json_pack("[s]", "all"));
    json_object_set_new(e, "storageVersionHash", json_string(""));
    json_array_append_new(items, e);
    for (size_t k = 0; k < KIND_MAX_SUB && r->subresources[k].name; k++) {
      const ApiSubresource *sr = &r->subresources[k];
      _cleanup_free_ char *name = xasprintf("%s/%s", r->resource, sr->name);
      json_t *se = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", name, "singularName", "", "namespaced",
                             r->namespaced, "kind", sr->kind, "verbs", verbs_array(sr->verbs));
      if (sr->group) {
        json_object_set_new(se, "group", json_string(sr->group));
        json_object_set_new(se, "version", json_string(sr->version));
      }
      json_array_append_new(items, se);
    }
  }
  char gv[128];
  if (group[0])
    snprintf(gv, sizeof gv, "%s/%s", group, version);
  else
    snprintf(gv, sizeof gv, "%s", version);
  return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1", "groupVersion", gv,
                   "resources", items);
}

static json_t *group_entry(const ApiGroup *g) {
  json_t *versions = json_array();
  for (size_t i = 0; i < 4 && g->versions[i]; i++) {
    _cleanup_free_ char *gv = xasprintf("%s/%s", g->name, g->versions[i]);
    json_array_append_new(versions, json_pack("{s:s,s:s}", "groupVersion", gv, "version", g->versions[i]));
  }
  _cleanup_free_ char *pgv = xasprintf("%s/%s", g->name, g->versions[0]);
  return json_pack("{s:s,s:o,s:{s:s,s:s}}", "name", g->name, "versions", versions, "preferredVersion",
                   "groupVersion", pgv, "version", g->versions[0]);
}

/* The aggregated (apidiscovery.k8s.io) form of one group. */
static json_t *aggregated_group(const ApiGroup *g) {
  json_t *versions = json_array();
  for (size_t v = 0; v < 4 && g->versions[v]; v++) {
    json_t *resources = json_array();
    for (size_t i = 0; i < api_resources_count; i++) {
      const ApiResource *r = &api_resources[i];
      if (!streq(r->group, g->name) || !streq(r->version, g->versions[v]))
        continue;
      json_t *e = json_pack("{s:s,s:{s:s,s:s,s:s},s:s,s:s,s:o}", "resource", r->resource, "responseKind",
                            "group", r->group, "version", r->version, "kind", r->kind, "scope",
                            r->namespaced ? "Namespaced" : "Cluster", "singularResource", r->singular,
                            "verbs", verbs_array(r->verbs ? r->verbs : api_standard_verbs));
      if (r->short_names[0])
        json_object_set_new(e, "shortNames", short_names(r));
      if (r->in_all)
        json_object_set_new(e, "categories", json_pack("[s]", "all"));
      json_t *subs = json_array();
      for (size_t k = 0; k < KIND_MAX_SUB && r->subresources[k].name; k++) {
        const ApiSubresource *sr = &r->subresources[k];
        json_array_append_new(subs, json_pack("{s:s,s:{s:s,s:s,s:s},s:o}", "subresource", sr->name,
                                              "responseKind", "group", sr->group ? sr->group : r->group,
                                              "version", sr->version ? sr->version : r->version, "kind",
                                              sr->kind, "verbs", verbs_array(sr->verbs)));
      }
      if (json_array_size(subs))
        json_object_set_new(e, "subresources", subs);
      else
        json_decref(subs);
      json_array_append_new(resources, e);
    }
    json_array_append_new(versions, json_pack("{s:s,s:o,s:s}", "version", g->versions[v], "resources",
                                              resources, "freshness", "Current"));
  }
  return json_pack("{s:{s:s},s:o}", "metadata", "name", g->name, "versions", versions);
}

/* Returns "v2" or "v2beta1" when the Accept header asks for aggregated discovery, else NULL. */
static const char *wants_aggregated(HttpRequest *req) {
  const char *accept = http_header(req, "Accept");
  if (!accept || !strstr(accept, "as=APIGroupDiscoveryList"))
    return NULL;
  /* Take the first acceptable entry, in the client's order. */
  const char *p = accept;
  while (p && *p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    _cleanup_free_ char *entry = xstrndup(p, n);
    if (strstr(entry, "as=APIGroupDiscoveryList") && strstr(entry, "g=apidiscovery.k8s.io")) {
      if (strstr(entry, "v=v2beta1"))
        return "v2beta1";
      if (strstr(entry, "v=v2"))
        return "v2";
    }
    p = end ? end + 1 : NULL;
  }
  return NULL;
}

static void respond_aggregated(HttpResponse *resp, const char *v, bool core) {
  json_t *items = json_array();
  for (size_t i = 0; i < api_groups_count; i++)
    if ((api_groups[i].name[0] == 0) == core)
      json_array_append_new(items, aggregated_group(&api_groups[i]));
  if (!core) /* metrics.k8s.io, listed as Kubernetes lists metrics-server's APIService */
    json_array_append_new(items, metrics_aggregated_group());
  _cleanup_free_ char *av = xasprintf("apidiscovery.k8s.io/%s", v);
  http_respond_json(resp, 200,
                    json_pack("{s:s,s:s,s:{},s:o}", "kind", "APIGroupDiscoveryList", "apiVersion", av,
                              "metadata", "items", items));
  snprintf(resp->content_type, sizeof resp->content_type,
           "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList", v);
}

/* ---- OpenAPI v3 ---- */

/* The per group-version documents never change while the server runs: build each once. */
static pthread_mutex_t openapi_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char *key;
  char *text;
} openapi_cache[32];

static const char *openapi_gv_text(const char *group, const char *version) {
  _cleanup_free_ char *key = xasprintf("%s/%s", group, version);
  const char *found = NULL;
  pthread_mutex_lock(&openapi_lock);
  size_t i = 0;
  for (; i < ELEMENTSOF(openapi_cache) && openapi_cache[i].key; i++)
    if (streq(openapi_cache[i].key, key)) {
      found = openapi_cache[i].text;
      break;
    }
  if (!found && i < ELEMENTSOF(openapi_cache)) {
    json_t *doc = schema_openapi_v3(group, version);
    if (doc) {
      openapi_cache[i].key = TAKE_PTR(key);
      openapi_cache[i].text = json_compact(doc);
      found = openapi_cache[i].text;
      json_decref(doc);
    }
  }
  pthread_mutex_unlock(&openapi_lock);
  return found;
}

/* ---- OpenAPI v2 ---- */

/* What kubectl asks for, and what kube-apiserver answers: the '@' is not valid in a media type that Go's
 * mime package parses, and kubectl refuses such a Content-Type, so the answer spells it with a dot. */
#define OPENAPI_V2_PROTOBUF_ACCEPT "com.github.proto-openapi.spec.v2"
#define OPENAPI_V2_PROTOBUF "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

/* Built on first use and kept for the life of the process, like the v3 documents. */
static pthread_once_t openapi_v2_once = PTHREAD_ONCE_INIT;
static uint8_t *openapi_v2_data;
static size_t openapi_v2_len;

static void openapi_v2_build(void) {
  _cleanup_error_ Error err = ERROR_INIT;
  if (schema_openapi_v2_protobuf(&openapi_v2_data, &openapi_v2_len, &err) < 0)
    log_error("apiserver", "building the OpenAPI v2 document: %s", err.message);
}

static void respond_openapi_v2(HttpResponse *resp, const HttpRequest *req) {
  /* Only the protobuf form is served: kubectl never asks for v2 JSON, and a JSON body sent to a client
   * that asked for protobuf breaks it (kubectl-wire.md §5). */
  const char *accept = http_header(req, "Accept");
  if (accept && strstr(accept, OPENAPI_V2_PROTOBUF_ACCEPT) && strstr(accept, "protobuf")) {
    pthread_once(&openapi_v2_once, openapi_v2_build);
    if (openapi_v2_data) {
      http_respond_raw(resp, 200, OPENAPI_V2_PROTOBUF, (const char *)openapi_v2_data, openapi_v2_len);
      return;
    }
  }
  json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                         "status", "Failure", "message",
                         "the OpenAPI v2 document is served as protobuf only; use /openapi/v3 for JSON",
                         "reason", "NotFound", "code", 404);
  http_respond_json(resp, 404, st);
}

static bool handle_openapi(ApiServer *s, HttpRequest *req, HttpResponse *resp) {
  if (req->segc == 2 && streq(req->segv[1], "v2")) {
    respond_openapi_v2(resp, req);
    return true;
  }
  if (req->segc < 2 || !streq(req->segv[1], "v3"))
    return false;
  if (req->segc == 2) {
    json_t *paths = json_object();
    for (size_t i = 0; i < api_groups_count; i++) {
      const ApiGroup *g = &api_groups[i];
      for (size_t v = 0; v < 4 && g->versions[v]; v++) {
        _cleanup_free_ char *key = g->name[0] ? xasprintf("apis/%s/%s", g->name, g->versions[v])
                                              : xasprintf("api/%s", g->versions[v]);
        _cleanup_free_ char *url = xasprintf("/openapi/v3/%s?hash=%s", key, CORACLE_VERSION);
        json_object_set_new(paths, key, json_pack("{s:s}", "serverRelativeURL", url));
      }
    }
    http_respond_json(resp, 200, json_pack("{s:o}", "paths", paths));
    return true;
  }
  const char *group = NULL, *version = NULL;
  if (req->segc == 4 && streq(req->segv[2], "api")) {
    group = "";
    version = req->segv[3];
  } else if (req->segc == 5 && streq(req->segv[2], "apis")) {
    group = req->segv[3];
    version = req->segv[4];
  }
  const char *text = group ? openapi_gv_text(group, version) : NULL;
  if (!text) {
    http_respond_json(resp, 404,
                      json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1",
                                "metadata", "status", "Failure", "message",
                                "the server could not find the requested resource", "reason", "NotFound",
                                "code", 404));
    return true;
  }
  http_respond_raw(resp, 200, "application/json", text, strlen(text));
  return true;
}

bool discovery_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp) {
  if (req->segc == 0)
    return false;
  const char *first = req->segv[0];
  if (req->segc == 1 && streq(first, "version")) {
    http_respond_json(resp, 200,
                      json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1", "minor",
                                CORACLE_K8S_MINOR, "gitVersion", CORACLE_K8S_VERSION "+coracle", "gitCommit",
                                "", "gitTreeState", "clean", "buildDate", "1970-01-01T00:00:00Z", "goVersion",
                                "none", "compiler", "gcc", "platform", "linux/amd64"));
    return true;
  }
  if (req->segc >= 1 && (streq(first, "healthz") || streq(first, "livez") || streq(first, "readyz"))) {
    http_respond_raw(resp, 200, "text/plain; charset=utf-8", "ok", 2);
    return true;
  }
  if (streq(first, "openapi"))
    return handle_openapi(s, req, resp);
  if (streq(first, "api") && req->segc <= 2) {
    if (req->segc == 1) {
      const char *agg = wants_aggregated(req);
      if (agg) {
        respond_aggregated(resp, agg, true);
        return true;
      }
      http_respond_json(resp, 200,
                        json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions", "v1",
                                  "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress",
                                  ""));
      return true;
    }
    if (!streq(req->segv[1], "v1"))
      return false;
    http_respond_json(resp, 200, resource_list("", "v1"));
    return true;
  }
  if (streq(first, "apis") && req->segc <= 3) {
    if (req->segc == 1) {
      const char *agg = wants_aggregated(req);
      if (agg) {
        respond_aggregated(resp, agg, false);
        return true;
      }
      json_t *groups = json_array();
      for (size_t i = 0; i < api_groups_count; i++)
        if (api_groups[i].name[0])
          json_array_append_new(groups, group_entry(&api_groups[i]));
      json_array_append_new(groups, metrics_group_entry());
      http_respond_json(
          resp, 200,
          json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", groups));
      return true;
    }
    for (size_t i = 0; i < api_groups_count; i++) {
      const ApiGroup *g = &api_groups[i];
      if (!g->name[0] || !streq(g->name, req->segv[1]))
        continue;
      if (req->segc == 2) {
        json_t *e = group_entry(g);
        json_object_set_new(e, "kind", json_string("APIGroup"));
        json_object_set_new(e, "apiVersion", json_string("v1"));
        http_respond_json(resp, 200, e);
        return true;
      }
      for (size_t v = 0; v < 4 && g->versions[v]; v++)
        if (streq(g->versions[v], req->segv[2])) {
          http_respond_json(resp, 200, resource_list(g->name, g->versions[v]));
          return true;
        }
    }
    return false;
  }
  return false;
}
