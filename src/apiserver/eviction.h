/* The pods/eviction subresource (eviction.c): `kubectl drain` and any client evicting a pod subject to the
 * PodDisruptionBudgets of its namespace. */
#pragma once

#include "apiserver/apiserver-internal.h"

/* Answers POST .../pods/NAME/eviction with a policy/v1 (or v1beta1) Eviction: deletes the pod (with the
 * Eviction's deleteOptions) when no PodDisruptionBudget forbids it and records the disruption in the
 * budget's status; 429 TooManyRequests "Cannot evict pod as it would violate the pod's disruption budget."
 * otherwise. 201 with a Status Success. Other methods get 405. */
void eviction_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r, const char *ns,
                     const char *name);

/* The budget check of one eviction (checkAndDecrement): given the PDB object, returns 0 and *ret_status =
 * its new status (disruptionsAllowed - 1, pod_name in disruptedPods at now, the DisruptionAllowed
 * condition updated when it reaches 0); or the error the client gets (429 while the budget has no
 * disruption left or is not yet processed, 403 for a negative count or too many unconfirmed
 * disruptions). */
int eviction_check_pdb(json_t *pdb, const char *pod_name, int64_t now, json_t **ret_status, Error *err);

/* True if the pod may be deleted without asking its budget: terminal, Pending or already being deleted. */
bool eviction_can_ignore_pdb(json_t *pod);
