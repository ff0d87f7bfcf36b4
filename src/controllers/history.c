/* ControllerRevisions, the history of DaemonSets and StatefulSets. One revision per distinct pod template,
 * named <owner>-<hash>, holding the template as a strategic merge patch ({"spec":{"template":{...,
 * "$patch":"replace"}}}) — the form `kubectl rollout history --revision` and `rollout undo` apply back onto
 * the owner. When a template returns to one an older revision holds (an undo), that revision is reused
 * and renumbered to the highest, as Kubernetes does. Old revisions beyond revisionHistoryLimit are deleted
 * unless a live pod still runs them. */
#include <errno.h>

#include "controllers/workloads.h"

#define COMPONENT "controller-history"

json_t *hist_revision_data(json_t *template) {
  json_t *t = json_is_object(template) ? json_deep_copy(template) : json_object();
  json_object_set_new(t, "$patch", json_string("replace"));
  return json_pack("{s:{s:o}}", "spec", "template", t);
}

json_t *hist_revision_template(json_t *rev) {
  return jpath(rev, "data.spec.template");
}

static int cmp_revision(const void *a, const void *b) {
  int64_t x = jint(*(json_t *const *)a, "revision", 0), y = jint(*(json_t *const *)b, "revision", 0);
  if (x != y)
    return x < y ? -1 : 1;
  return strcmp(jstr(*(json_t *const *)a, "metadata.name") ?: "",
                jstr(*(json_t *const *)b, "metadata.name") ?: "");
}

json_t *hist_list(Informer *inf, json_t *owner) {
  _cleanup_json_ json_t *all = informer_list_namespace(inf, jstr(owner, "metadata.namespace"));
  size_t n = 0, i;
  json_t *r;
  json_t **v = xcalloc(json_array_size(all) + 1, sizeof *v);
  json_array_foreach(all, i, r) {
    if (ctrl_is_controlled_by(r, owner))
      v[n++] = r;
  }
  qsort(v, n, sizeof *v, cmp_revision);
  json_t *out = json_array();
  for (i = 0; i < n; i++)
    json_array_append(out, v[i]);
  free(v);
  return out;
}

static const char *rev_hash(json_t *rev) {
  return json_string_value(json_object_get(jpath(rev, "metadata.labels"), HIST_HASH_LABEL));
}

static bool rev_is_live(json_t *rev, json_t *live) {
  const char *h = rev_hash(rev);
  return json_object_get(live, jstr(rev, "metadata.name") ?: "") || (h && json_object_get(live, h));
}

static void truncate_history(CtrlManager *m, json_t *owner, json_t *revs, json_t *update, json_t *live) {
  int64_t limit = jint(owner, "spec.revisionHistoryLimit", 10);
  size_t old = 0, i;
  json_t *r;
  json_array_foreach(revs, i, r) {
    if (!streq_ptr(jstr(r, "metadata.name"), jstr(update, "metadata.name")) && !rev_is_live(r, live))
      old++;
  }
  json_array_foreach(revs, i, r) { /* oldest first */
    if ((int64_t)old <= limit)
      break;
    if (streq_ptr(jstr(r, "metadata.name"), jstr(update, "metadata.name")) || rev_is_live(r, live))
      continue;
    Error e = ERROR_INIT;
    ClientDeleteOptions o = {.precondition_uid = jstr(r, "metadata.uid")};
    if (client_delete(m->client, ctrl_resource(CTRL_CONTROLLERREVISIONS), jstr(r, "metadata.namespace"),
                      jstr(r, "metadata.name"), &o, NULL, &e) < 0 &&
        e.http != 404)
      log_debug(COMPONENT, "msg=\"deleting revision failed\" revision=%s err=\"%s\"",
                jstr(r, "metadata.name"), e.message ?: "");
    error_reset(&e);
    old--;
  }
}

int hist_sync(CtrlManager *m, json_t *owner, const char *kind, json_t *revs, json_t *live,
              json_t **ret_update, char ret_hash[static 16], Error *err) {
  json_t *tmpl = jpath(owner, "spec.template");
  json_t *ccv = jpath(owner, "status.collisionCount");
  char hash[16];
  deploy_template_hash(tmpl, json_is_integer(ccv) ? json_integer_value(ccv) : -1, hash);
  _cleanup_json_ json_t *data = hist_revision_data(tmpl);
  int64_t max = 0;
  json_t *found = NULL;
  size_t i;
  json_t *r;
  json_array_foreach(revs, i, r) {
    max = MAX(max, jint(r, "revision", 0));
    if (json_equal(jpath(r, "data"), data))
      found = r; /* the latest equal one wins */
  }
  const ApiResource *res = ctrl_resource(CTRL_CONTROLLERREVISIONS);
  json_t *update = NULL;
  if (found) {
    if (jint(found, "revision", 0) < max) {
      _cleanup_json_ json_t *upd = json_deep_copy(found);
      json_object_set_new(upd, "revision", json_integer(max + 1));
      int rc = client_update(m->client, res, jstr(owner, "metadata.namespace"), upd, &update, err);
      if (rc < 0)
        return rc;
    } else {
      update = json_incref(found);
    }
  } else {
    _cleanup_free_ char *name = xasprintf("%s-%s", jstr(owner, "metadata.name"), hash);
    json_t *labels = json_deep_copy(jpath(tmpl, "metadata.labels"));
    if (!json_is_object(labels)) {
      json_decref(labels);
      labels = json_object();
    }
    json_object_set_new(labels, HIST_HASH_LABEL, json_string(hash));
    json_t *ann = json_deep_copy(jpath(owner, "metadata.annotations"));
    if (json_is_object(ann))
      json_object_del(ann, "kubectl.kubernetes.io/last-applied-configuration");
    _cleanup_json_ json_t *rev = json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:[o]},s:O,s:I}", "apiVersion", "apps/v1",
                                           "kind", "ControllerRevision", "metadata", "name", name,
                                           "namespace", jstr(owner, "metadata.namespace"), "labels", labels,
                                           "ownerReferences", ctrl_new_controller_ref(owner, "apps/v1", kind),
                                           "data", data, "revision", (json_int_t)(max + 1));
    if (json_object_size(ann))
      json_object_set_new(json_object_get(rev, "metadata"), "annotations", ann);
    else
      json_decref(ann);
    Error e = ERROR_INIT;
    int rc = client_create(m->client, res, jstr(owner, "metadata.namespace"), rev, &update, &e);
    if (rc == -EEXIST) {
      /* Made by us before the informer showed it, or a hash collision. */
      error_reset(&e);
      rc = client_get(m->client, res, jstr(owner, "metadata.namespace"), name, &update, &e);
      if (rc >= 0 && (!ctrl_is_controlled_by(update, owner) || !json_equal(jpath(update, "data"), data))) {
        json_decref(update);
        update = NULL;
        rc = error_set(&e, -EEXIST, NULL,
                       "controller revision %s exists with another template (hash collision)", name);
      }
    }
    if (rc < 0) {
      return ctrl_pass_error(rc, &e, err);
    }
    error_reset(&e);
  }
  const char *h = rev_hash(update);
  snprintf(ret_hash, 16, "%s", h ? h : hash);
  truncate_history(m, owner, revs, update, live);
  *ret_update = update;
  return 0;
}
