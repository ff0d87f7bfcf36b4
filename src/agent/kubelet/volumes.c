/* Pod volumes (see volumes.h): projection of ConfigMaps, Secrets and pod fields into files, the atomic
 * writer, emptyDir and hostPath, and the bind mounts of each container. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/kubelet/env.h"
#include "agent/kubelet/fsgroup.h"
#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/storage.h"
#include "agent/kubelet/volumes.h"
#include "api/jsonutil.h"
#include "api/quantity.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strv.h"

/* ---- payloads ---- */

void volume_payload_done(VolumePayload *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->files[i].path);
    free(p->files[i].data);
  }
  free(p->files);
  *p = (VolumePayload){0};
}

void volume_payload_add(VolumePayload *p, const char *path, const void *data, size_t len, unsigned mode) {
  VolumeFile *f = NULL;
  for (size_t i = 0; i < p->n && !f; i++)
    if (streq(p->files[i].path, path))
      f = &p->files[i];
  if (f) {
    free(f->data);
  } else {
    p->files = xrealloc(p->files, (p->n + 1) * sizeof *p->files);
    f = &p->files[p->n++];
    f->path = xstrdup(path);
  }
  f->data = xmalloc(len ? len : 1);
  if (len)
    memcpy(f->data, data, len);
  f->len = len;
  f->mode = mode & 07777;
}

bool volume_path_valid(const char *path) {
  if (isempty(path) || path[0] == '/' || startswith(path, "..") || strlen(path) > 4096)
    return false;
  for (const char *p = path; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return false;
    if (n > 255)
      return false;
    p += n;
    if (*p == '/')
      p++;
  }
  return true;
}

static unsigned item_mode(json_t *item, unsigned def) {
  json_t *m = json_object_get(item, "mode");
  return json_is_integer(m) ? (unsigned)json_integer_value(m) & 07777 : def;
}

/* The bytes of key in a ConfigMap or Secret; -ENOENT when absent, -EINVAL when not base64. */
static int object_bytes(json_t *obj, bool secret, const char *key, uint8_t **ret, size_t *ret_len) {
  json_t *v = json_object_get(json_object_get(obj, "data"), key);
  bool decode = secret;
  if (!secret && !v) {
    v = json_object_get(json_object_get(obj, "binaryData"), key);
    decode = true;
  }
  const char *s = json_string_value(v);
  if (!s)
    return -ENOENT;
  if (decode)
    return base64_decode(s, strlen(s), ret, ret_len) < 0 ? -EINVAL : 0;
  *ret_len = strlen(s);
  *ret = (uint8_t *)xstrndup(s, *ret_len);
  return 0;
}

int volume_project_object(VolumePayload *p, json_t *obj, bool secret, const char *name, json_t *items,
                          unsigned default_mode, bool optional, Error *err) {
  const char *what = secret ? "secret" : "configmap";
  if (!obj) {
    if (optional)
      return 0;
    return error_set(err, -ENOENT, NULL, "%s \"%s\" not found", what, name ?: "");
  }
  if (json_array_size(items) == 0) {
    const char *sections[] = {"data", secret ? NULL : "binaryData"};
    for (size_t s = 0; s < ELEMENTSOF(sections) && sections[s]; s++) {
      const char *key;
      json_t *v;
      json_object_foreach(json_object_get(obj, sections[s]), key, v) {
        if (!volume_path_valid(key))
          continue;
        _cleanup_free_ uint8_t *data = NULL;
        size_t len = 0;
        if (object_bytes(obj, secret, key, &data, &len) < 0)
          return error_set(err, -EINVAL, NULL, "%s \"%s\": key %s is not valid base64", what, name ?: "",
                           key);
        volume_payload_add(p, key, data, len, default_mode);
      }
    }
    return 0;
  }
  size_t i;
  json_t *item;
  json_array_foreach(items, i, item) {
    const char *key = jstr(item, "key") ?: "", *path = jstr(item, "path") ?: "";
    if (!volume_path_valid(path))
      return error_set(err, -EINVAL, NULL, "invalid path %s for key %s of %s \"%s\"", path, key, what,
                       name ?: "");
    _cleanup_free_ uint8_t *data = NULL;
    size_t len = 0;
    int rc = object_bytes(obj, secret, key, &data, &len);
    if (rc == -ENOENT) {
      if (optional)
        continue;
      return error_set(err, -ENOENT, NULL, "%s references non-existent %s key: %s", what,
                       secret ? "secret" : "config", key);
    }
    if (rc < 0)
      return error_set(err, rc, NULL, "%s \"%s\": key %s is not valid base64", what, name ?: "", key);
    volume_payload_add(p, path, data, len, item_mode(item, default_mode));
  }
  return 0;
}

/* Go's %q for the characters labels and annotations can hold. */
static void quote(Buf *b, const char *s) {
  buf_putc(b, '"');
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"' || *c == '\\')
      buf_printf(b, "\\%c", *c);
    else if (*c == '\n')
      buf_puts(b, "\\n");
    else if (*c == '\t')
      buf_puts(b, "\\t");
    else if (*c == '\r')
      buf_puts(b, "\\r");
    else if (*c < 0x20 || *c == 0x7f)
      buf_printf(b, "\\x%02x", *c);
    else
      buf_putc(b, (char)*c);
  }
  buf_putc(b, '"');
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A map as the kubelet writes it: sorted key="value" lines, no final newline. */
static char *format_map(json_t *m) {
  size_t n = json_object_size(m), i = 0;
  _cleanup_free_ const char **keys = xcalloc(n ? n : 1, sizeof *keys);
  const char *k;
  json_t *v;
  json_object_foreach(m, k, v) keys[i++] = k;
  qsort(keys, n, sizeof *keys, cmp_str);
  _cleanup_buf_ Buf b = BUF_INIT;
  for (i = 0; i < n; i++) {
    if (i)
      buf_putc(&b, '\n');
    buf_printf(&b, "%s=", keys[i]);
    quote(&b, json_string_value(json_object_get(m, keys[i])) ?: "");
  }
  buf_putc(&b, 0);
  return buf_steal(&b, NULL);
}

static json_t *find_container(json_t *pod, const char *name) {
  const char *lists[] = {"spec.containers", "spec.initContainers"};
  for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
    size_t i;
    json_t *c;
    json_array_foreach(jpath(pod, lists[l]), i, c) {
      if (streq_ptr(jstr(c, "name"), name))
        return c;
    }
  }
  return NULL;
}

int volume_project_downward(VolumePayload *p, json_t *pod, const char *host_ip, json_t *items,
                            unsigned default_mode, Error *err) {
  size_t i;
  json_t *item;
  json_array_foreach(items, i, item) {
    const char *path = jstr(item, "path") ?: "";
    if (!volume_path_valid(path))
      return error_set(err, -EINVAL, NULL, "invalid downwardAPI path %s", path);
    _cleanup_free_ char *value = NULL;
    if (json_object_get(item, "fieldRef")) {
      const char *fp = jstr(item, "fieldRef.fieldPath") ?: "";
      if (streq(fp, "metadata.labels") || streq(fp, "metadata.annotations"))
        value = format_map(jpath(pod, fp));
      else if (startswith(fp, "metadata."))
        value = kubelet_field_ref(pod, host_ip, fp);
      if (!value)
        return error_set(err, -EINVAL, NULL, "unsupported fieldPath for a downwardAPI volume: %s", fp);
    } else if (json_object_get(item, "resourceFieldRef")) {
      json_t *rf = json_object_get(item, "resourceFieldRef");
      json_t *ctr = find_container(pod, jstr(rf, "containerName"));
      if (!ctr)
        return error_set(err, -EINVAL, NULL, "resourceFieldRef: container \"%s\" not found",
                         jstr(rf, "containerName") ?: "");
      int rc = kubelet_resource_field_ref(ctr, jstr(rf, "resource"), json_object_get(rf, "divisor"),
                                          kubelet_node_milli_cpu(), kubelet_node_memory(), &value, err);
      if (rc < 0)
        return rc;
    } else {
      continue;
    }
    volume_payload_add(p, path, value, strlen(value), item_mode(item, default_mode));
  }
  return 0;
}

/* ---- the atomic writer ---- */

/* Regular files under dir, recursively; -1 when something else is there. */
static long count_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n >= 0) {
    if (streq(e->d_name, ".") || streq(e->d_name, ".."))
      continue;
    _cleanup_free_ char *c = xasprintf("%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(c, &st) < 0)
      n = -1;
    else if (S_ISDIR(st.st_mode)) {
      long sub = count_files(c);
      n = sub < 0 ? -1 : n + sub;
    } else if (S_ISREG(st.st_mode))
      n++;
    else
      n = -1;
  }
  closedir(d);
  return n;
}

static bool payload_matches(const char *data_dir, const VolumePayload *p) {
  if (count_files(data_dir) != (long)p->n)
    return false;
  for (size_t i = 0; i < p->n; i++) {
    _cleanup_free_ char *path = xasprintf("%s/%s", data_dir, p->files[i].path), *data = NULL;
    struct stat st;
    size_t len = 0;
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != p->files[i].mode ||
        read_file(path, &data, &len) < 0 || len != p->files[i].len ||
        (len && memcmp(data, p->files[i].data, len) != 0))
      return false;
  }
  return true;
}

static int write_payload_file(const char *root, const VolumeFile *f, Error *err) {
  _cleanup_free_ char *path = xasprintf("%s/%s", root, f->path);
  char *slash = strrchr(path, '/');
  *slash = 0;
  int rc = mkdir_p(path, 0755);
  *slash = '/';
  if (rc < 0)
    return error_set(err, rc, NULL, "creating the directory of %s: %s", path, strerror(-rc));
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return error_set(err, -errno, NULL, "writing %s: %s", path, strerror(errno));
  for (size_t off = 0; off < f->len;) {
    ssize_t w = write(fd, f->data + off, f->len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return error_set(err, -EIO, NULL, "writing %s: %s", path, strerror(errno));
    off += (size_t)w;
  }
  if (fchmod(fd, f->mode) < 0)
    return error_set(err, -errno, NULL, "chmod %s: %s", path, strerror(errno));
  return 0;
}

/* The first element of path ("a" of "a/b/c"). Caller frees. */
static char *top_name(const char *path) {
  return xstrndup(path, strcspn(path, "/"));
}

int volume_atomic_write(const char *dir, const VolumePayload *p, bool *ret_changed, Error *err) {
  for (size_t i = 0; i < p->n; i++)
    if (!volume_path_valid(p->files[i].path))
      return error_set(err, -EINVAL, NULL, "invalid volume file path %s", p->files[i].path);
  _cleanup_free_ char *data_link = xasprintf("%s/..data", dir);
  char old[PATH_MAX];
  ssize_t ol = readlink(data_link, old, sizeof old - 1);
  if (ol > 0) {
    old[ol] = 0;
    _cleanup_free_ char *old_dir = xasprintf("%s/%s", dir, old);
    if (payload_matches(old_dir, p)) {
      if (ret_changed)
        *ret_changed = false;
      return 0;
    }
  }
  char stamp[64];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  strftime(stamp, sizeof stamp, "..%Y_%m_%d_%H_%M_%S.", &tm);
  _cleanup_free_ char *tmpl = xasprintf("%s/%sXXXXXX", dir, stamp);
  if (!mkdtemp(tmpl))
    return error_set(err, -errno, NULL, "creating a directory in %s: %s", dir, strerror(errno));
  chmod(tmpl, 0755);
  const char *new_name = strrchr(tmpl, '/') + 1;
  for (size_t i = 0; i < p->n; i++) {
    int rc = write_payload_file(tmpl, &p->files[i], err);
    if (rc < 0) {
      rm_rf(tmpl);
      return rc;
    }
  }
  /* The switch: one rename makes every file of the new set visible at once. */
  _cleanup_free_ char *tmp_link = xasprintf("%s/..data_tmp", dir);
  unlink(tmp_link);
  if (symlink(new_name, tmp_link) < 0 || rename(tmp_link, data_link) < 0) {
    int e = errno;
    unlink(tmp_link);
    rm_rf(tmpl);
    return error_set(err, -e, NULL, "switching %s: %s", data_link, strerror(e));
  }
  _cleanup_strv_free_ char **tops = NULL;
  for (size_t i = 0; i < p->n; i++) {
    _cleanup_free_ char *top = top_name(p->files[i].path);
    if (strv_contains(tops, top))
      continue;
    strv_push(&tops, top);
    _cleanup_free_ char *link = xasprintf("%s/%s", dir, top), *target = xasprintf("..data/%s", top);
    char cur[PATH_MAX];
    ssize_t cl = readlink(link, cur, sizeof cur - 1);
    if (cl > 0 && (size_t)cl == strlen(target) && memcmp(cur, target, (size_t)cl) == 0)
      continue;
    rm_rf(link);
    if (symlink(target, link) < 0)
      return error_set(err, -errno, NULL, "linking %s: %s", link, strerror(errno));
  }
  /* What the old set had and the new one has not, and older data directories. */
  DIR *d = opendir(dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      const char *n = e->d_name;
      if (streq(n, ".") || streq(n, "..") || streq(n, "..data") || streq(n, new_name))
        continue;
      _cleanup_free_ char *c = xasprintf("%s/%s", dir, n);
      if (startswith(n, "..") || !strv_contains(tops, n))
        rm_rf(c);
    }
    closedir(d);
  }
  if (ret_changed)
    *ret_changed = true;
  return 0;
}

/* ---- hostPath ---- */

int volume_host_path_check(const char *path, const char *type, Error *err) {
  if (isempty(type))
    return 0;
  struct stat st;
  bool exists = stat(path, &st) == 0;
  if (streq(type, "DirectoryOrCreate") || streq(type, "Directory")) {
    if (!exists && streq(type, "DirectoryOrCreate")) {
      int rc = mkdir_p(path, 0755);
      if (rc < 0)
        return error_set(err, rc, NULL, "hostPath type check failed: creating %s: %s", path, strerror(-rc));
      return 0;
    }
    if (!exists || !S_ISDIR(st.st_mode))
      return error_set(err, -ENOTDIR, NULL, "hostPath type check failed: %s is not a directory", path);
    return 0;
  }
  if (streq(type, "FileOrCreate") || streq(type, "File")) {
    if (!exists && streq(type, "FileOrCreate")) {
      _cleanup_free_ char *parent = xstrdup(path);
      char *slash = strrchr(parent, '/');
      if (slash && slash != parent) {
        *slash = 0;
        mkdir_p(parent, 0755);
      }
      _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0)
        return error_set(err, -errno, NULL, "hostPath type check failed: creating %s: %s", path,
                         strerror(errno));
      return 0;
    }
    if (!exists || !S_ISREG(st.st_mode))
      return error_set(err, -EINVAL, NULL, "hostPath type check failed: %s is not a file", path);
    return 0;
  }
  struct {
    const char *type, *what;
    unsigned fmt;
  } kinds[] = {{"Socket", "a socket file", S_IFSOCK},
               {"CharDevice", "a character device", S_IFCHR},
               {"BlockDevice", "a block device", S_IFBLK}};
  for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
    if (streq(type, kinds[i].type)) {
      if (!exists || (st.st_mode & S_IFMT) != kinds[i].fmt)
        return error_set(err, -EINVAL, NULL, "hostPath type check failed: %s is not %s", path, kinds[i].what);
      return 0;
    }
  return error_set(err, -EINVAL, NULL, "hostPath type check failed: unknown type %s", type);
}

/* ---- the kubelet side ---- */

typedef enum VolumeKind {
  VOL_EMPTY_DIR,
  VOL_HOST_PATH,
  VOL_CONFIGMAP,
  VOL_SECRET,
  VOL_DOWNWARD,
  VOL_PROJECTED,
  VOL_PVC, /* storage.c: the bound volume's host path */
  _VOL_MAX,
  VOL_INVALID = -1,
} VolumeKind;

static const struct {
  const char *field, *plugin;
} volume_kinds[_VOL_MAX] = {
    [VOL_EMPTY_DIR] = {"emptyDir", "kubernetes.io~empty-dir"},
    [VOL_HOST_PATH] = {"hostPath", NULL},
    [VOL_CONFIGMAP] = {"configMap", "kubernetes.io~configmap"},
    [VOL_SECRET] = {"secret", "kubernetes.io~secret"},
    [VOL_DOWNWARD] = {"downwardAPI", "kubernetes.io~downward-api"},
    [VOL_PROJECTED] = {"projected", "kubernetes.io~projected"},
    [VOL_PVC] = {"persistentVolumeClaim", NULL},
};

static VolumeKind volume_kind(json_t *vol) {
  for (int i = 0; i < _VOL_MAX; i++)
    if (json_object_get(vol, volume_kinds[i].field))
      return (VolumeKind)i;
  return VOL_INVALID;
}

/* The source name of an unsupported volume ("persistentVolumeClaim"). */
static const char *volume_source_name(json_t *vol) {
  const char *k;
  json_t *v;
  json_object_foreach(vol, k, v) {
    if (!streq(k, "name"))
      return k;
  }
  return "unknown";
}

static char *volume_dir(Kubelet *k, const char *uid, VolumeKind kind, const char *name) {
  _cleanup_free_ char *pod_dir = runtime_pod_dir(&k->rt, uid);
  return xasprintf("%s/volumes/%s/%s", pod_dir, volume_kinds[kind].plugin, name);
}

static bool is_mount_point(const char *dir) {
  struct stat a, b;
  _cleanup_free_ char *parent = xasprintf("%s/..", dir);
  return stat(dir, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static int ensure_tmpfs(const char *dir, unsigned mode, int64_t size, Error *err) {
  if (is_mount_point(dir))
    return 0;
  _cleanup_free_ char *opts =
      size > 0 ? xasprintf("mode=%04o,size=%lld", mode, (long long)size) : xasprintf("mode=%04o", mode);
  if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
    return error_set(err, -errno, NULL, "mounting tmpfs on %s: %s", dir, strerror(errno));
  return 0;
}

/* A Memory emptyDir's size: sizeLimit, else the sum of the containers' memory limits when all have one. */
static int64_t memory_volume_size(json_t *pod, json_t *empty_dir) {
  Quantity q;
  json_t *sl = json_object_get(empty_dir, "sizeLimit");
  if (sl && quantity_from_json(sl, &q, NULL) == 0 && quantity_sign(&q) > 0)
    return quantity_value(&q);
  int64_t sum = 0;
  size_t i;
  json_t *c;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    int64_t l = runtime_resource_memory(c, true);
    if (l <= 0)
      return 0;
    sum += l;
  }
  return sum;
}

static int get_object(Kubelet *k, const char *ns, const char *name, bool secret, json_t **ret, Error *err) {
  const ApiResource *r = api_resource_find("", "v1", secret ? "secrets" : "configmaps");
  Error gerr = ERROR_INIT;
  int rc = client_get(k->client, r, ns, name ?: "", ret, &gerr);
  if (rc == -ENOENT)
    *ret = NULL;
  else if (rc < 0)
    error_set(err, rc, NULL, "getting %s \"%s\": %s", secret ? "secret" : "configmap", name ?: "",
              gerr.message ?: strerror(-rc));
  error_reset(&gerr);
  return rc == -ENOENT ? 0 : rc;
}

static unsigned default_mode(json_t *src) {
  json_t *m = json_object_get(src, "defaultMode");
  return json_is_integer(m) ? (unsigned)json_integer_value(m) & 07777 : VOLUME_DEFAULT_MODE;
}

static int project_ref(Kubelet *k, const char *ns, VolumePayload *p, json_t *src, bool secret, unsigned mode,
                       Error *err) {
  const char *name = jstr(src, secret ? "secretName" : "name");
  if (!name)
    name = jstr(src, "name"); /* a projected secret source names it "name" */
  _cleanup_json_ json_t *obj = NULL;
  int rc = get_object(k, ns, name, secret, &obj, err);
  if (rc < 0)
    return rc;
  return volume_project_object(p, obj, secret, name, json_object_get(src, "items"), mode,
                               json_is_true(json_object_get(src, "optional")), err);
}

static int projected_payload(Kubelet *k, json_t *pod, json_t *proj, VolumePayload *p, Error *err) {
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  unsigned mode = default_mode(proj);
  size_t i;
  json_t *src;
  json_array_foreach(json_object_get(proj, "sources"), i, src) {
    int rc = 0;
    if (json_object_get(src, "configMap"))
      rc = project_ref(k, ns, p, json_object_get(src, "configMap"), false, mode, err);
    else if (json_object_get(src, "secret"))
      rc = project_ref(k, ns, p, json_object_get(src, "secret"), true, mode, err);
    else if (json_object_get(src, "downwardAPI"))
      rc = volume_project_downward(p, pod, k->node_ip, jpath(src, "downwardAPI.items"), mode, err);
    else if (json_object_get(src, "serviceAccountToken"))
      rc = error_set(err, -EOPNOTSUPP, NULL, "serviceAccountToken projections are not supported yet");
    else if (json_object_get(src, "clusterTrustBundle"))
      rc = error_set(err, -EOPNOTSUPP, NULL, "clusterTrustBundle projections are not supported yet");
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int sync_volume(Kubelet *k, KubeletPod *kp, json_t *pod, json_t *vol, Error *err) {
  const char *name = jstr(vol, "name") ?: "";
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  VolumeKind kind = volume_kind(vol);
  if (kind == VOL_INVALID)
    return error_set(err, -EOPNOTSUPP, NULL, "volume type %s is not supported yet", volume_source_name(vol));
  json_t *src = json_object_get(vol, volume_kinds[kind].field);
  if (kind == VOL_HOST_PATH)
    return volume_host_path_check(jstr(src, "path") ?: "", jstr(src, "type"), err);
  if (kind == VOL_PVC) {
    _cleanup_free_ char *path = NULL;
    bool ro;
    return kubelet_pvc_path(k, ns, src, !kp->volumes_ready, &path, &ro, err);
  }
  _cleanup_free_ char *dir = volume_dir(k, kp->uid, kind, name);
  bool existed = access(dir, F_OK) == 0;
  int rc = mkdir_p(dir, kind == VOL_EMPTY_DIR ? 0777 : 0755);
  if (rc < 0)
    return error_set(err, rc, NULL, "creating %s: %s", dir, strerror(-rc));
  if (kind == VOL_EMPTY_DIR) {
    if (!existed)
      chmod(dir, 0777); /* whatever the umask: any user of the pod may write there */
    if (streq_ptr(jstr(src, "medium"), "Memory") &&
        (rc = ensure_tmpfs(dir, 0777, memory_volume_size(pod, src), err)) < 0) /* as on disk */
      return rc;
    return existed ? 0 : volume_pod_apply_fsgroup(pod, dir, false, err); /* fsgroup.c: once, at creation */
  }
  /* Secrets and pod data never touch the disk, as in Kubernetes; ConfigMaps do. */
  if (kind != VOL_CONFIGMAP && (rc = ensure_tmpfs(dir, 0755, 0, err)) < 0)
    return rc;
  _cleanup_(volume_payload_done) VolumePayload p = {0};
  if (kind == VOL_CONFIGMAP || kind == VOL_SECRET)
    rc = project_ref(k, ns, &p, src, kind == VOL_SECRET, default_mode(src), err);
  else if (kind == VOL_DOWNWARD)
    rc = volume_project_downward(&p, pod, k->node_ip, json_object_get(src, "items"), default_mode(src), err);
  else
    rc = projected_payload(k, pod, src, &p, err);
  if (rc < 0)
    return rc;
  volume_pod_fsgroup_payload(pod, &p); /* fsgroup.c: group-readable files under an fsGroup */
  bool changed = false;
  rc = volume_atomic_write(dir, &p, &changed, err);
  if (rc >= 0 && changed && existed)
    log_info("kubelet", "pod=%s/%s volume=%s msg=\"volume contents updated\"", kp->ns, kp->name, name);
  if (rc >= 0 && (changed || !existed))
    rc = volume_pod_apply_fsgroup(pod, dir, true, err);
  return rc;
}

int kubelet_volumes_sync(Kubelet *k, KubeletPod *kp, json_t *pod, bool force, Error *err) {
  uint64_t now = now_monotonic_usec();
  if (!force && kp->volumes_ready && now - kp->volumes_synced_usec < VOLUME_REFRESH_USEC)
    return 0;
  int first = 0;
  size_t i;
  json_t *vol;
  json_array_foreach(jpath(pod, "spec.volumes"), i, vol) {
    Error e = ERROR_INIT;
    int rc = sync_volume(k, kp, pod, vol, &e);
    if (rc < 0 && first == 0) {
      first = error_set(err, rc, NULL, "MountVolume.SetUp failed for volume \"%s\" : %s",
                        jstr(vol, "name") ?: "", e.message ?: strerror(-rc));
      if (!kp->volumes_ready) { /* what keeps the pod from starting */
        log_info("kubelet", "pod=%s/%s msg=\"volume setup failed\" err=\"%s\"", kp->ns, kp->name,
                 err->message ?: "");
        kubelet_event(k, kp->ns, kp->name, kp->uid, NULL, "Warning", "FailedMount", "%s", err->message ?: "");
      } else { /* a refresh of running containers' volumes: they keep what they have */
        log_debug("kubelet", "pod=%s/%s msg=\"volume refresh failed\" err=\"%s\"", kp->ns, kp->name,
                  err->message ?: "");
      }
    }
    error_reset(&e);
  }
  kp->volumes_synced_usec = now;
  kp->volumes_ready = first == 0 || kp->volumes_ready;
  return first;
}

/* ---- mounts ---- */

void kubelet_volume_mounts_free(RuntimeMount *m, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free((char *)m[i].destination);
    free((char *)m[i].source);
  }
  free(m);
}

static size_t depth(const char *path) {
  size_t d = 0;
  for (const char *p = path; *p; p++)
    if (*p == '/' && p[1] && p[1] != '/')
      d++;
  return d;
}

static json_t *find_volume(json_t *pod, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(jpath(pod, "spec.volumes"), i, v) {
    if (streq_ptr(jstr(v, "name"), name))
      return v;
  }
  return NULL;
}

/* The source of one volumeMount: the volume's directory, or its subPath resolved inside it. */
static int mount_source(Kubelet *k, KubeletPod *kp, json_t *vol, json_t *vm, const char *ctr, json_t *env,
                        char **ret, Error *err) {
  VolumeKind kind = volume_kind(vol);
  const char *vname = jstr(vol, "name") ?: "";
  if (kind == VOL_INVALID)
    return error_set(err, -EOPNOTSUPP, NULL, "volume type %s is not supported yet", volume_source_name(vol));
  _cleanup_free_ char *base = NULL;
  bool claim_ro;
  if (kind == VOL_PVC) {
    int rc = kubelet_pvc_path(k, kp->ns, json_object_get(vol, "persistentVolumeClaim"), false, &base,
                              &claim_ro, err);
    if (rc < 0)
      return rc;
  } else {
    base = kind == VOL_HOST_PATH ? xstrdup(jstr(vol, "hostPath.path") ?: "")
                                 : volume_dir(k, kp->uid, kind, vname);
  }
  const char *sub = jstr(vm, "subPath");
  _cleanup_free_ char *expanded = NULL;
  if (!isempty(jstr(vm, "subPathExpr"))) { /* $(VAR) from the container's environment */
    _cleanup_json_ json_t *kv = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v) {
      _cleanup_free_ char *s = xasprintf("%s=%s", jstr(v, "name") ?: "", jstr(v, "value") ?: "");
      json_array_append_new(kv, json_string_nocheck(s));
    }
    sub = expanded = runtime_expand_vars(jstr(vm, "subPathExpr"), kv);
  }
  if (kind == VOL_HOST_PATH && access(base, F_OK) < 0)
    mkdir_p(base, 0755); /* an untyped hostPath that does not exist: a directory, as containerd makes it */
  if (isempty(sub)) {
    *ret = TAKE_PTR(base);
    return 0;
  }
  if (!volume_path_valid(sub))
    return error_set(err, -EINVAL, NULL,
                     "failed to prepare subPath for volumeMount \"%s\" of container \"%s\"", vname, ctr);
  _cleanup_free_ char *path = xasprintf("%s/%s", base, sub);
  if ((kind == VOL_EMPTY_DIR || kind == VOL_HOST_PATH || kind == VOL_PVC) && access(path, F_OK) < 0)
    mkdir_p(path, 0755);
  char rbase[PATH_MAX], rpath[PATH_MAX];
  if (!realpath(base, rbase) || !realpath(path, rpath))
    return error_set(err, -ENOENT, NULL,
                     "failed to prepare subPath for volumeMount \"%s\" of container \"%s\"", vname, ctr);
  size_t bl = strlen(rbase);
  if (strncmp(rpath, rbase, bl) != 0 || (rpath[bl] != '/' && rpath[bl] != 0 && !streq(rbase, "/")))
    return error_set(
        err, -EPERM, NULL,
        "failed to prepare subPath for volumeMount \"%s\" of container \"%s\": %s is outside the volume",
        vname, ctr, sub);
  *ret = xstrdup(rpath);
  return 0;
}

int kubelet_volume_mounts(Kubelet *k, KubeletPod *kp, json_t *pod, json_t *spec_ctr, json_t *env,
                          const RuntimeMount *base, size_t n_base, RuntimeMount **ret, size_t *ret_n,
                          Error *err) {
  json_t *vms = json_object_get(spec_ctr, "volumeMounts");
  size_t cap = n_base + json_array_size(vms), n = 0;
  RuntimeMount *m = xcalloc(cap ? cap : 1, sizeof *m);
  for (size_t i = 0; i < n_base; i++)
    m[n++] = (RuntimeMount){xstrdup(base[i].destination), xstrdup(base[i].source), base[i].read_only};
  const char *ctr = jstr(spec_ctr, "name") ?: "";
  size_t i;
  json_t *vm;
  json_array_foreach(vms, i, vm) {
    const char *vname = jstr(vm, "name") ?: "", *dest = jstr(vm, "mountPath") ?: "";
    json_t *vol = find_volume(pod, vname);
    char *src = NULL;
    int rc = vol ? mount_source(k, kp, vol, vm, ctr, env, &src, err)
                 : error_set(err, -ENOENT, NULL, "volumeMount \"%s\" of container \"%s\": no such volume",
                             vname, ctr);
    if (rc < 0) {
      kubelet_volume_mounts_free(m, n);
      return rc;
    }
    VolumeKind kind = volume_kind(vol);
    bool ro = json_is_true(json_object_get(vm, "readOnly")) || kind == VOL_CONFIGMAP || kind == VOL_SECRET ||
              kind == VOL_DOWNWARD || kind == VOL_PROJECTED ||
              (kind == VOL_PVC && json_is_true(jpath(vol, "persistentVolumeClaim.readOnly")));
    /* A user's mount over /etc/hosts and friends replaces the pod's own. */
    for (size_t j = 0; j < n_base; j++)
      if (m[j].destination && streq(m[j].destination, dest)) {
        free((char *)m[j].destination);
        free((char *)m[j].source);
        m[j] = (RuntimeMount){0};
      }
    m[n++] = (RuntimeMount){xstrdup(dest), src, ro};
  }
  size_t kept = 0;
  for (size_t j = 0; j < n; j++)
    if (m[j].destination)
      m[kept++] = m[j];
  n = kept;
  /* Parents before children (stable), as containerd orders them. */
  for (size_t a = 1; a < n; a++) {
    RuntimeMount x = m[a];
    size_t b = a;
    for (; b > 0 && depth(m[b - 1].destination) > depth(x.destination); b--)
      m[b] = m[b - 1];
    m[b] = x;
  }
  *ret = m;
  *ret_n = n;
  return 0;
}
