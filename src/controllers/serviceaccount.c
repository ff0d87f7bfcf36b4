/* The ServiceAccount controller: every active namespace has a `default` ServiceAccount, created when the
 * namespace appears and again whenever someone deletes it (kube-controller-manager's serviceaccounts
 * controller). Keys are namespace names. */
#include <errno.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "serviceaccount-controller"

typedef struct SaState {
  CtrlController *c;
  Informer *nss, *sas;
} SaState;

static int sa_sync(CtrlController *c, const char *ns, Error *err) {
  SaState *s = c->state;
  _cleanup_json_ json_t *nso = informer_get(s->nss, ns);
  if (!nso || ctrl_is_deleting(nso) || streq_ptr(jstr(nso, "status.phase"), "Terminating"))
    return 0;
  _cleanup_json_ json_t *sa = informer_get_by_name(s->sas, ns, "default");
  if (sa)
    return 0;
  _cleanup_json_ json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind",
                                         "ServiceAccount", "metadata", "name", "default", "namespace", ns);
  int rc = client_create(c->m->client, ctrl_resource(CTRL_SERVICEACCOUNTS), ns, obj, NULL, err);
  if (rc == -EEXIST || rc == -EACCES) { /* raced with another writer / namespace now terminating */
    error_reset(err);
    return 0;
  }
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"created default service account\" namespace=%s", ns);
  return rc;
}

static void on_ns(json_t *nso, void *ud) {
  SaState *s = ud;
  ctrl_enqueue(s->c, jstr(nso, "metadata.name"));
}
static void on_ns_update(json_t *old, json_t *nso, void *ud) {
  on_ns(nso, ud);
}
static void on_sa_delete(json_t *sa, void *ud) {
  SaState *s = ud;
  if (streq_ptr(jstr(sa, "metadata.name"), "default"))
    ctrl_enqueue(s->c, jstr(sa, "metadata.namespace"));
}

int sa_controller_setup(CtrlManager *m, Error *err) {
  SaState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "serviceaccount", sa_sync, s, free);
  s->nss = ctrl_informer(m, CTRL_NAMESPACES);
  s->sas = ctrl_informer(m, CTRL_SERVICEACCOUNTS);
  informer_add_handlers(s->nss,
                        &(InformerHandlers){.on_add = on_ns, .on_update = on_ns_update, .userdata = s});
  informer_add_handlers(s->sas, &(InformerHandlers){.on_delete = on_sa_delete, .userdata = s});
  return 0;
}
