/* The content store under DATA_DIR/agent/images: blobs addressed by sha256 and a cache of unpacked layers
 * addressed by diff_id, shared by every image.
 *
 *   content/blobs/sha256/<hex>   verified blobs (manifests, configs, compressed layers)
 *   content/ingest/<random>      blobs being written; renamed into blobs/ only after their digest checks out
 *   layers/sha256/<hex>/         an unpacked layer (an overlayfs lower directory, whiteouts converted)
 *   layers/tmp/<random>/         a layer being unpacked; renamed into sha256/ only once complete and verified
 *   lock                         flock: shared while pulling or importing, exclusive to collect garbage
 *
 * Nothing half-written is ever visible under blobs/ or layers/sha256/: a kill -9 leaves at most files in
 * ingest/ and layers/tmp/, which the next exclusive holder removes. Renames into place are idempotent, so
 * two pulls racing for the same blob or layer both succeed.
 *
 * Thread safety: a ContentStore is immutable after content_store_open and may be shared by threads; each
 * ContentWriter belongs to one thread. Cross-process exclusion goes through the lock file. */
#pragma once

#include <gnutls/crypto.h>

#include "base/error.h"

#define CONTENT_DIGEST_LEN (7 + 64)      /* "sha256:" + hex */
#define CONTENT_DIGEST_SIZE (7 + 64 + 1) /* with the NUL */

/* Streaming sha256. */
typedef struct ContentHash {
  gnutls_hash_hd_t h;
} ContentHash;
void content_hash_init(ContentHash *h);
void content_hash_update(ContentHash *h, const void *p, size_t n);
/* Writes "sha256:<hex>" and releases the hash. */
void content_hash_final(ContentHash *h, char out[static CONTENT_DIGEST_SIZE]);
void content_digest_of(const void *p, size_t n, char out[static CONTENT_DIGEST_SIZE]);

typedef struct ContentStore ContentStore;

/* Opens (creating the directories of) the store rooted at root, usually DATA_DIR/agent/images. */
int content_store_open(const char *root, ContentStore **ret, Error *err);
void content_store_free(ContentStore *s);
const char *content_store_root(const ContentStore *s);

/* Takes the store's flock, shared or exclusive, blocking; returns the fd that holds it (close it to
 * release). Before a shared lock, if nobody else holds the lock, leftovers of crashed writers are removed. */
int content_store_lock(ContentStore *s, bool exclusive, Error *err);

/* Path of a blob (whether or not it exists). Caller frees. */
char *content_blob_path(const ContentStore *s, const char *digest);
/* True if the blob is stored (and has the given size, when size >= 0). */
bool content_blob_exists(const ContentStore *s, const char *digest, int64_t size);
/* Reads a blob of at most max bytes and checks its digest again (used for small JSON blobs). */
int content_blob_read(const ContentStore *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                      Error *err);
/* Stores data as a blob; when expected is not NULL the data must hash to it. ret_digest may be NULL. */
int content_blob_put(ContentStore *s, const void *data, size_t len, const char *expected,
                     char ret_digest[CONTENT_DIGEST_SIZE], Error *err);

/* A blob being written. expected (may be NULL) and expected_size (-1 if unknown) are checked on commit and,
 * for the size, on every write; limit bounds blobs of unknown size. */
typedef struct ContentWriter ContentWriter;
int content_writer_open(ContentStore *s, const char *expected, int64_t expected_size, uint64_t limit,
                        ContentWriter **ret, Error *err);
int content_writer_write(ContentWriter *w, const void *p, size_t n, Error *err);
uint64_t content_writer_written(const ContentWriter *w);
/* Throws away what was written so far (for a retried download). */
int content_writer_truncate(ContentWriter *w, Error *err);
/* Verifies size and digest, syncs, and renames the blob into place. On mismatch the data is discarded and
 * -EBADMSG returned with a message naming both digests. ret_digest may be NULL. The writer must still be
 * freed. */
int content_writer_commit(ContentWriter *w, char ret_digest[CONTENT_DIGEST_SIZE], Error *err);
/* Frees the writer, deleting its temporary file unless it was committed. Accepts NULL. */
void content_writer_free(ContentWriter *w);
static inline void content_writer_freep(ContentWriter **w) {
  content_writer_free(*w);
}
#define _cleanup_content_writer_ _cleanup_(content_writer_freep)

/* Path of an unpacked layer directory. Caller frees. */
char *content_layer_path(const ContentStore *s, const char *diff_id);
bool content_layer_exists(const ContentStore *s, const char *diff_id);
/* Unpacks the layer read from fd (a tar, gzip- or zstd-compressed or not) into the layer cache under
 * diff_id, which the uncompressed stream must hash to. OCI whiteouts become overlayfs whiteouts. cancel,
 * when not NULL, is polled and aborts the unpack when it becomes non-zero. Does nothing if the layer is
 * already there. */
int content_layer_unpack_fd(ContentStore *s, int fd, const char *diff_id, const int *cancel, Error *err);
/* The same, from a stored blob. */
int content_layer_unpack(ContentStore *s, const char *blob_digest, const char *diff_id, const int *cancel,
                         Error *err);

/* Removes every blob and layer not named in the NULL-terminated lists, and the leftovers of crashed
 * writers. The caller holds the exclusive lock. Returns the number of bytes freed (blobs only). */
int64_t content_store_gc(ContentStore *s, char *const *live_blobs, char *const *live_layers);

/* Removes a directory tree without following symlinks. Missing is not an error. */
int content_rm_rf(const char *path);
