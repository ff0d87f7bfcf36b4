/* `coracle images`: the node's image store from the command line (pull, import, ls, rm), the way crictl
 * and `k3s ctr images` serve k3s users. It opens the store directly, so it works whether or not a server
 * runs on the same DATA_DIR (the store's lock file keeps them apart). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>

#include "agent/images/images.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "base/strv.h"
#include "cmd/cmd.h"
#include "config.h"

static void images_usage(FILE *f) {
  fputs(
      "Usage: coracle images [FLAGS] COMMAND [ARGS]\n"
      "\n"
      "Manages this node's container images, with or without a running server.\n"
      "\n"
      "Commands:\n"
      "  pull REF...          pull images (at once) from their registries or the mirrors of registries.yaml\n"
      "  import FILE...       import OCI layout or `docker save` archives (.tar, .tar.gz, .tar.zst; - is "
      "stdin)\n"
      "  import --data-dir-archives\n"
      "                       import the archives in DATA_DIR/agent/images, as the agent does at start\n"
      "  ls                   list images (REPOSITORY TAG DIGEST IMAGE ID SIZE)\n"
      "  rm REF|ID...         remove images, then the blobs and layers no image uses\n"
      "\n"
      "Flags:\n"
      "  --data-dir DIR        state directory (default /var/lib/coracle)\n"
      "  --registries FILE     mirrors and credentials (default /etc/coracle/registries.yaml)\n"
      "  --platform OS/ARCH    platform to pick from multi-platform images (default this machine's)\n"
      "  --base-name REPO      import: repository for archived images named only by a tag\n"
      "  --no-trunc            ls: print whole digests and IDs\n"
      "  -o, --output json     ls: print JSON\n"
      "  -q, --quiet           ls: print image IDs only\n"
      "  -v, --log-level LEVEL error|warn|info|debug|trace (default warn)\n",
      f);
}

typedef struct ImagesFlags {
  ImageServiceOptions opts;
  const char *base_name;
  bool no_trunc, json, quiet, data_dir_archives;
} ImagesFlags;

typedef struct PullJob {
  ImageService *s;
  const char *ref;
  ImageInfo *img;
  Error err;
  int r;
} PullJob;

static void *pull_job(void *p) {
  PullJob *j = p;
  j->r = image_pull(j->s, j->ref, NULL, &j->img, &j->err);
  return NULL;
}

/* Several references are pulled at once (the same one named twice is downloaded once), and reported in
 * the order given. */
static int do_pull(ImageService *s, char **refs) {
  size_t n = strv_length(refs);
  PullJob *jobs = xcalloc(n, sizeof *jobs);
  pthread_t *threads = xcalloc(n, sizeof *threads);
  bool *started = xcalloc(n, sizeof *started);
  for (size_t i = 0; i < n; i++) {
    jobs[i] = (PullJob){.s = s, .ref = refs[i]};
    started[i] = n > 1 && pthread_create(&threads[i], NULL, pull_job, &jobs[i]) == 0;
    if (!started[i])
      pull_job(&jobs[i]);
  }
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    if (started[i])
      pthread_join(threads[i], NULL);
    if (jobs[i].r < 0) {
      fprintf(stderr, "coracle images: %s\n", jobs[i].err.message ? jobs[i].err.message : "pull failed");
      rc = 1;
    } else {
      char size[32];
      image_format_size(jobs[i].img->size, size);
      printf("Pulled %s (digest %s, image ID %s, %s)\n", jobs[i].img->name, jobs[i].img->digest,
             jobs[i].img->config, size);
    }
    error_reset(&jobs[i].err);
    image_info_free(jobs[i].img);
  }
  free(jobs);
  free(threads);
  free(started);
  return rc;
}

static int do_import(ImageService *s, const ImagesFlags *f, char **files) {
  if (f->data_dir_archives) {
    Error err = ERROR_INIT;
    int r = image_import_dir(s, &err);
    if (r < 0) {
      fprintf(stderr, "coracle images: %s\n", err.message ? err.message : "import failed");
      error_reset(&err);
      return 1;
    }
    return r > 0 ? 1 : 0;
  }
  if (!*files) {
    fputs("coracle images import: name at least one archive (or --data-dir-archives)\n", stderr);
    return 2;
  }
  int rc = 0;
  for (char **p = files; *p; p++) {
    Error err = ERROR_INIT;
    _cleanup_strv_free_ char **names = NULL;
    if (image_import(s, *p, f->base_name, &names, &err) < 0) {
      fprintf(stderr, "coracle images: %s\n", err.message ? err.message : "import failed");
      error_reset(&err);
      rc = 1;
      continue;
    }
    for (char **n = names; n && *n; n++)
      printf("Imported %s\n", *n);
  }
  return rc;
}

/* A name by digest that a tagged name of the same repository also resolved to adds nothing to the
 * table (crictl shows an image once per tag too). */
static bool shadowed(ImageInfo **l, size_t n, const ImageInfo *i) {
  if (i->tag)
    return false;
  for (size_t k = 0; k < n; k++)
    if (l[k]->tag && streq(l[k]->repository, i->repository) && streq(l[k]->digest, i->digest))
      return true;
  return false;
}

static const char *short_digest(const char *d, bool no_trunc, char buf[static 16]) {
  if (no_trunc)
    return d;
  snprintf(buf, 16, "%.12s", startswith(d, "sha256:") ? d + 7 : d);
  return buf;
}

static int do_ls(ImageService *s, const ImagesFlags *f) {
  Error err = ERROR_INIT;
  ImageInfo **l = NULL;
  size_t n = 0;
  if (image_list(s, &l, &n, &err) < 0) {
    fprintf(stderr, "coracle images: %s\n", err.message);
    error_reset(&err);
    return 1;
  }
  if (f->json) {
    _cleanup_json_ json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
      json_t *layers = json_array();
      for (size_t k = 0; k < l[i]->n_layers; k++)
        json_array_append_new(
            layers, json_pack("{s:s, s:s}", "digest", l[i]->layers[k], "diffID", l[i]->diff_ids[k]));
      json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:I, s:I, s:o}", "name", l[i]->name,
                            "repository", l[i]->repository, "tag", l[i]->tag, "digest", l[i]->digest,
                            "manifest", l[i]->manifest, "id", l[i]->config, "size", (json_int_t)l[i]->size,
                            "created", (json_int_t)l[i]->created, "layers", layers);
      json_array_append_new(arr, o);
    }
    char *text = json_dumps(arr, JSON_INDENT(2));
    puts(text);
    free(text);
  } else if (f->quiet) {
    _cleanup_strv_free_ char **seen = NULL;
    for (size_t i = 0; i < n; i++)
      if (!strv_contains(seen, l[i]->config)) {
        strv_push(&seen, l[i]->config);
        puts(l[i]->config);
      }
  } else {
    /* Column widths like crictl's tabwriter: at least 20, three spaces of padding. */
    const char *head[5] = {"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "SIZE"};
    size_t w[5];
    for (int c = 0; c < 5; c++)
      w[c] = MAX(strlen(head[c]) + 3, 20u);
    char b1[16], b2[16], size[32];
    for (size_t i = 0; i < n; i++) {
      if (shadowed(l, n, l[i]))
        continue;
      w[0] = MAX(w[0], strlen(l[i]->repository) + 3);
      w[1] = MAX(w[1], strlen(l[i]->tag ? l[i]->tag : "<none>") + 3);
      w[2] = MAX(w[2], strlen(short_digest(l[i]->digest, f->no_trunc, b1)) + 3);
      w[3] = MAX(w[3], strlen(short_digest(l[i]->config, f->no_trunc, b2)) + 3);
    }
    printf("%-*s%-*s%-*s%-*s%s\n", (int)w[0], head[0], (int)w[1], head[1], (int)w[2], head[2], (int)w[3],
           head[3], head[4]);
    for (size_t i = 0; i < n; i++) {
      if (shadowed(l, n, l[i]))
        continue;
      image_format_size(l[i]->size, size);
      printf("%-*s%-*s%-*s%-*s%s\n", (int)w[0], l[i]->repository, (int)w[1], l[i]->tag ? l[i]->tag : "<none>",
             (int)w[2], short_digest(l[i]->digest, f->no_trunc, b1), (int)w[3],
             short_digest(l[i]->config, f->no_trunc, b2), size);
    }
  }
  image_info_list_free(l, n);
  return 0;
}

static int do_rm(ImageService *s, char **refs) {
  if (!*refs) {
    fputs("coracle images rm: name at least one image\n", stderr);
    return 2;
  }
  int rc = 0;
  for (char **r = refs; *r; r++) {
    Error err = ERROR_INIT;
    int64_t freed = 0;
    if (image_remove(s, *r, &freed, &err) < 0) {
      fprintf(stderr, "coracle images: %s\n", err.message ? err.message : "remove failed");
      error_reset(&err);
      rc = 1;
      continue;
    }
    char size[32];
    image_format_size(freed, size);
    printf("Deleted: %s (%s freed)\n", *r, size);
  }
  return rc;
}

int cmd_images(int argc, char **argv) {
  enum { OPT_DATA_DIR = 256, OPT_REGISTRIES, OPT_PLATFORM, OPT_BASE_NAME, OPT_NO_TRUNC, OPT_DIR_ARCHIVES };
  static const struct option longopts[] = {
      {"data-dir", required_argument, NULL, OPT_DATA_DIR},
      {"registries", required_argument, NULL, OPT_REGISTRIES},
      {"platform", required_argument, NULL, OPT_PLATFORM},
      {"base-name", required_argument, NULL, OPT_BASE_NAME},
      {"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
      {"data-dir-archives", no_argument, NULL, OPT_DIR_ARCHIVES},
      {"output", required_argument, NULL, 'o'},
      {"quiet", no_argument, NULL, 'q'},
      {"log-level", required_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  ImagesFlags f = {
      .opts =
          {
              .data_dir = "/var/lib/coracle",
              .registries_path = "/etc/coracle/registries.yaml",
              .user_agent = "coracle/" CORACLE_VERSION,
          },
  };
  _cleanup_strv_free_ char **platform = NULL;
  log_set_level(LOG_LEVEL_WARN);
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "hqo:v:", longopts, NULL)) >= 0) {
    switch (c) {
    case OPT_DATA_DIR:
      f.opts.data_dir = optarg;
      break;
    case OPT_REGISTRIES:
      f.opts.registries_path = optarg;
      break;
    case OPT_PLATFORM:
      strv_free(platform);
      platform = strv_split(optarg, '/');
      if (strv_length(platform) < 2 || strv_length(platform) > 3 || !*platform[0] || !*platform[1]) {
        fprintf(stderr, "coracle images: --platform wants OS/ARCH[/VARIANT], not \"%s\"\n", optarg);
        return 2;
      }
      f.opts.os = platform[0];
      f.opts.architecture = platform[1];
      f.opts.variant = platform[2];
      break;
    case OPT_BASE_NAME:
      f.base_name = optarg;
      break;
    case OPT_NO_TRUNC:
      f.no_trunc = true;
      break;
    case OPT_DIR_ARCHIVES:
      f.data_dir_archives = true;
      break;
    case 'o':
      if (!streq(optarg, "json")) {
        fprintf(stderr, "coracle images: --output supports json only\n");
        return 2;
      }
      f.json = true;
      break;
    case 'q':
      f.quiet = true;
      break;
    case 'v': {
      LogLevel l = log_level_from_string(optarg);
      if (l == LOG_LEVEL_INVALID) {
        fprintf(stderr, "coracle images: invalid log level \"%s\"\n", optarg);
        return 2;
      }
      log_set_level(l);
      break;
    }
    case 'h':
      images_usage(stdout);
      return 0;
    default:
      images_usage(stderr);
      return 2;
    }
  }
  if (optind >= argc) {
    images_usage(stderr);
    return 2;
  }
  const char *sub = argv[optind];
  char **args = argv + optind + 1;
  bool known = streq(sub, "pull") || streq(sub, "import") || streq(sub, "ls") || streq(sub, "list") ||
               streq(sub, "rm") || streq(sub, "rmi");
  if (!known) {
    fprintf(stderr, "coracle images: unknown command \"%s\"\n\n", sub);
    images_usage(stderr);
    return 2;
  }
  if (streq(sub, "pull") && !*args) {
    fputs("coracle images pull: name at least one image\n", stderr);
    return 2;
  }
  Error err = ERROR_INIT;
  _cleanup_image_service_ ImageService *s = NULL;
  if (image_service_open(&f.opts, &s, &err) < 0) {
    fprintf(stderr, "coracle images: %s\n", err.message ? err.message : "cannot open the image store");
    error_reset(&err);
    return 1;
  }
  if (streq(sub, "pull"))
    return do_pull(s, args);
  if (streq(sub, "import"))
    return do_import(s, &f, args);
  if (streq(sub, "ls") || streq(sub, "list"))
    return do_ls(s, &f);
  return do_rm(s, args);
}
