/* Admission for storage objects on create, as kube-apiserver's DefaultStorageClass and
 * StorageObjectInUseProtection plugins do: a PersistentVolumeClaim without spec.storageClassName (and
 * without the beta annotation) gets the default StorageClass's name (the newest class annotated
 * storageclass.kubernetes.io/is-default-class "true"; none: left unset, the persistent volume controller
 * sets it when a default appears), and the finalizer kubernetes.io/pvc-protection; a PersistentVolume gets
 * kubernetes.io/pv-protection. The controllers (controllers/pvcontroller.c) remove them once nothing uses
 * the object. */
#pragma once

#include <jansson.h>

#include "api/kinds.h"

typedef struct ApiServer ApiServer;

/* Applies the admission above to obj (a new object of r); other resources are left alone. */
void storage_admit_create(ApiServer *s, const ApiResource *r, json_t *obj);
