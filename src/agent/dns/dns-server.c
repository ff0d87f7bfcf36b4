/* The DNS server's sockets and threads (dns-server.h): the UDP loop, the TCP connections, the upstream
 * forwarder, and the informers that keep the index.
 *
 * A forwarded query's life: the UDP loop or a TCP connection hands a copy of it to the forwarder (a mutex-
 * guarded queue and an eventfd); the forwarder gives it a fresh random id, sends it to the first upstream
 * nameserver, and to the next one after a second; the first answer whose source, id and question match goes
 * back to the client with the client's id; at the deadline the client gets SERVFAIL. Nothing waits on the
 * network but the forwarder's poll. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "agent/dns/dns-server.h"
#include "base/log.h"
#include "client/informer.h"

#define COMPONENT "dns"
#define UDP_BATCH 32
#define FWD_MAX_PENDING 512
#define FWD_MAX_SERVERS 3
#define FWD_RETRY_MS 1000
#define FWD_QUERY_MAX 1232 /* larger queries are not forwarded (SERVFAIL) */
#define FWD_RELOAD_USEC (5ull * 1000000)

typedef struct TcpWaiter {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool done;
  uint8_t *buf; /* DNS_TCP_MAX bytes */
  size_t len;
} TcpWaiter;

/* A query handed to the forwarder. */
typedef struct FwdRequest {
  uint8_t query[FWD_QUERY_MAX];
  size_t len;
  DnsQuery q;
  struct sockaddr_storage client; /* UDP client, when waiter is NULL */
  socklen_t client_len;
  TcpWaiter *waiter;
  struct FwdRequest *next;
} FwdRequest;

typedef struct Pending {
  FwdRequest *req; /* NULL = free slot */
  uint16_t up_id;
  int server; /* index of the last server asked */
  int tries;  /* servers asked so far */
  uint64_t next_try_usec, deadline_usec;
} Pending;

struct DnsServer {
  DnsServerOptions opts; /* strings owned */
  DnsIndex *index;
  struct sockaddr_storage bind_addr;
  socklen_t bind_len;
  int udp_fd, tcp_fd, stop_fd;
  atomic_bool stopping;

  pthread_t udp_thread, tcp_thread, fwd_thread, sync_thread;
  bool udp_started, tcp_started, fwd_started, sync_started;

  /* TCP connections: counted so that stop can wait for them. */
  pthread_mutex_t conn_lock;
  pthread_cond_t conn_cond;
  unsigned n_conns;

  /* Forwarder: requests queue (guarded by fwd_lock), woken through fwd_fd; everything else is the forwarder
   * thread's own. */
  pthread_mutex_t fwd_lock;
  FwdRequest *fwd_head, *fwd_tail;
  int fwd_fd;
  int up4_fd, up6_fd;
  struct sockaddr_storage servers[FWD_MAX_SERVERS];
  socklen_t server_lens[FWD_MAX_SERVERS];
  int n_servers;
  struct timespec resolv_mtime;
  uint64_t resolv_checked_usec;
  Pending pending[FWD_MAX_PENDING];

  Informer *inf[4];
};

DnsIndex *dns_server_index(DnsServer *s) {
  return s->index;
}

/* ---- upstream nameservers ---- */

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family)
    return false;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
}

/* Re-reads the nameservers when resolv.conf changed (checked at most every FWD_RELOAD_USEC). */
static void load_servers(DnsServer *s) {
  uint64_t now = now_monotonic_usec();
  if (s->resolv_checked_usec && now - s->resolv_checked_usec < FWD_RELOAD_USEC)
    return;
  s->resolv_checked_usec = now;
  struct stat st;
  if (stat(s->opts.resolv_conf, &st) < 0) {
    s->n_servers = 0;
    return;
  }
  if (st.st_mtim.tv_sec == s->resolv_mtime.tv_sec && st.st_mtim.tv_nsec == s->resolv_mtime.tv_nsec &&
      s->n_servers > 0)
    return;
  s->resolv_mtime = st.st_mtim;
  _cleanup_free_ char *text = NULL;
  s->n_servers = 0;
  if (read_file(s->opts.resolv_conf, &text, NULL) < 0)
    return;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line && s->n_servers < FWD_MAX_SERVERS;
       line = strtok_r(NULL, "\n", &save)) {
    char ip[64];
    if (sscanf(line, " nameserver %63s", ip) != 1)
      continue;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in *v4 = (void *)&ss;
    struct sockaddr_in6 *v6 = (void *)&ss;
    char *pct = strchr(ip, '%'); /* fe80::1%eth0: the zone is not supported */
    if (pct)
      continue;
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons((uint16_t)s->opts.upstream_port);
      len = sizeof *v4;
    } else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons((uint16_t)s->opts.upstream_port);
      len = sizeof *v6;
    } else {
      continue;
    }
    if (same_addr(&ss, &s->bind_addr))
      continue; /* ourselves: a loop */
    s->servers[s->n_servers] = ss;
    s->server_lens[s->n_servers] = len;
    s->n_servers++;
  }
  log_debug(COMPONENT, "msg=\"upstream nameservers loaded\" path=%s count=%d", s->opts.resolv_conf,
            s->n_servers);
}

/* ---- answering a client ---- */

static void udp_reply(DnsServer *s, const struct sockaddr_storage *to, socklen_t to_len, const uint8_t *msg,
                      size_t len) {
  sendto(s->udp_fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)to, to_len);
}

/* Delivers an answer to the client of req (its id already restored) and frees req. */
static void fwd_deliver(DnsServer *s, FwdRequest *req, const uint8_t *msg, size_t len) {
  if (req->waiter) {
    TcpWaiter *w = req->waiter;
    pthread_mutex_lock(&w->lock);
    w->len = MIN(len, (size_t)DNS_TCP_MAX);
    memcpy(w->buf, msg, w->len);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
  } else {
    udp_reply(s, &req->client, req->client_len, msg, len);
  }
  free(req);
}

static void fwd_fail(DnsServer *s, FwdRequest *req) {
  uint8_t out[DNS_UDP_MAX];
  size_t len = dns_answer_rcode(&req->q, req->query, DNS_RCODE_SERVFAIL, out, sizeof out);
  fwd_deliver(s, req, out, len);
}

/* Sends p's query to the next server; false when there is none left (or none works). */
static bool fwd_send_next(DnsServer *s, Pending *p) {
  while (p->tries < s->n_servers) {
    int idx = p->tries++;
    const struct sockaddr_storage *to = &s->servers[idx];
    int fd = to->ss_family == AF_INET ? s->up4_fd : s->up6_fd;
    if (fd < 0)
      continue;
    p->req->query[0] = (uint8_t)(p->up_id >> 8);
    p->req->query[1] = (uint8_t)p->up_id;
    if (sendto(fd, p->req->query, p->req->len, MSG_DONTWAIT, (const struct sockaddr *)to,
               s->server_lens[idx]) < 0) {
      log_debug(COMPONENT, "msg=\"upstream unreachable\" err=\"%s\"", strerror(errno));
      continue; /* no route, no interface: try the next one at once */
    }
    p->server = idx;
    p->next_try_usec = now_monotonic_usec() + FWD_RETRY_MS * 1000ull;
    return true;
  }
  return false;
}

static void fwd_start(DnsServer *s, FwdRequest *req) {
  load_servers(s);
  Pending *p = NULL;
  for (size_t i = 0; i < FWD_MAX_PENDING && !p; i++)
    if (!s->pending[i].req)
      p = &s->pending[i];
  if (!p || s->n_servers == 0) {
    fwd_fail(s, req);
    return;
  }
  uint16_t id;
  for (;;) {
    random_bytes(&id, sizeof id);
    bool used = false;
    for (size_t i = 0; i < FWD_MAX_PENDING && !used; i++)
      used = s->pending[i].req && s->pending[i].up_id == id;
    if (!used)
      break;
  }
  *p = (Pending){
      .req = req, .up_id = id, .deadline_usec = now_monotonic_usec() + s->opts.upstream_timeout_ms * 1000ull};
  if (!fwd_send_next(s, p)) {
    p->req = NULL;
    fwd_fail(s, req);
  }
}

/* Question sections equal, the name case-insensitively (resolvers may randomise case), type and class not. */
static bool same_question(const uint8_t *a, const uint8_t *b, size_t len) {
  for (size_t i = 0; i < len; i++) {
    uint8_t x = a[i], y = b[i];
    if (i + 4 < len) {
      x = x >= 'A' && x <= 'Z' ? (uint8_t)(x + 32) : x;
      y = y >= 'A' && y <= 'Z' ? (uint8_t)(y + 32) : y;
    }
    if (x != y)
      return false;
  }
  return true;
}

/* An answer from upstream on fd. */
static void fwd_receive(DnsServer *s, int fd) {
  uint8_t buf[DNS_TCP_MAX];
  for (;;) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
    if (n < 0)
      return;
    if (n < DNS_HEADER_SIZE || !(buf[2] & 0x80))
      continue;
    uint16_t id = (uint16_t)((buf[0] << 8) | buf[1]);
    for (size_t i = 0; i < FWD_MAX_PENDING; i++) {
      Pending *p = &s->pending[i];
      if (!p->req || p->up_id != id)
        continue;
      bool from_server = false;
      for (int k = 0; k < p->tries && !from_server; k++)
        from_server = same_addr(&from, &s->servers[k]);
      /* The question must be the one we asked (an off-path spoofer must guess it too). */
      size_t qlen = p->req->q.question_end - DNS_HEADER_SIZE;
      if (!from_server || (size_t)n < DNS_HEADER_SIZE + qlen || buf[4] != 0 || buf[5] != 1 ||
          !same_question(buf + DNS_HEADER_SIZE, p->req->query + DNS_HEADER_SIZE, qlen))
        break;
      FwdRequest *req = p->req;
      p->req = NULL;
      buf[0] = (uint8_t)(req->q.id >> 8);
      buf[1] = (uint8_t)req->q.id;
      size_t len = (size_t)n;
      if (!req->waiter && len > dns_udp_limit(&req->q)) {
        /* Too big for the client over UDP: header and question with TC, as a server would send. */
        len = DNS_HEADER_SIZE + qlen;
        buf[2] |= 0x02;
        memset(buf + 6, 0, 6);
      }
      fwd_deliver(s, req, buf, len);
      break;
    }
  }
}

static void fwd_timers(DnsServer *s, uint64_t now, int *ret_timeout_ms) {
  uint64_t next = UINT64_MAX;
  for (size_t i = 0; i < FWD_MAX_PENDING; i++) {
    Pending *p = &s->pending[i];
    if (!p->req)
      continue;
    if (now >= p->deadline_usec) {
      FwdRequest *req = p->req;
      p->req = NULL;
      fwd_fail(s, req);
      continue;
    }
    if (now >= p->next_try_usec) {
      if (p->tries < s->n_servers && fwd_send_next(s, p)) {
        /* asked the next server */
      } else {
        p->next_try_usec = p->deadline_usec;
      }
    }
    next = MIN(next, MIN(p->next_try_usec, p->deadline_usec));
  }
  *ret_timeout_ms = next == UINT64_MAX ? -1 : (int)((next - MIN(next, now)) / 1000 + 1);
}

static void *fwd_main(void *arg) {
  DnsServer *s = arg;
  int timeout = -1;
  while (!atomic_load(&s->stopping)) {
    struct pollfd pfd[4] = {
        {s->fwd_fd, POLLIN, 0}, {s->stop_fd, POLLIN, 0}, {s->up4_fd, POLLIN, 0}, {s->up6_fd, POLLIN, 0}};
    poll(pfd, 4, timeout);
    if (pfd[1].revents)
      break;
    if (pfd[0].revents) {
      uint64_t v;
      if (read(s->fwd_fd, &v, sizeof v) < 0) {
        /* spurious wake-up */
      }
      pthread_mutex_lock(&s->fwd_lock);
      FwdRequest *list = s->fwd_head;
      s->fwd_head = s->fwd_tail = NULL;
      pthread_mutex_unlock(&s->fwd_lock);
      while (list) {
        FwdRequest *next = list->next;
        fwd_start(s, list);
        list = next;
      }
    }
    if (pfd[2].revents)
      fwd_receive(s, s->up4_fd);
    if (pfd[3].revents)
      fwd_receive(s, s->up6_fd);
    fwd_timers(s, now_monotonic_usec(), &timeout);
  }
  /* Stopping: whoever still waits gets SERVFAIL. */
  for (size_t i = 0; i < FWD_MAX_PENDING; i++)
    if (s->pending[i].req) {
      FwdRequest *req = s->pending[i].req;
      s->pending[i].req = NULL;
      fwd_fail(s, req);
    }
  pthread_mutex_lock(&s->fwd_lock);
  FwdRequest *list = s->fwd_head;
  s->fwd_head = s->fwd_tail = NULL;
  pthread_mutex_unlock(&s->fwd_lock);
  while (list) {
    FwdRequest *next = list->next;
    fwd_fail(s, list);
    list = next;
  }
  return NULL;
}

/* Hands a query to the forwarder; it always answers the client (upstream, or SERVFAIL). */
static void fwd_submit(DnsServer *s, const uint8_t *query, size_t len, const DnsQuery *q,
                       const struct sockaddr_storage *client, socklen_t client_len, TcpWaiter *waiter) {
  FwdRequest *req = xzalloc(sizeof *req);
  req->q = *q;
  req->waiter = waiter;
  if (client) {
    req->client = *client;
    req->client_len = client_len;
  }
  if (len > FWD_QUERY_MAX) {
    req->len = 0;
    memcpy(req->query, query, DNS_HEADER_SIZE);
    req->q.question_end = 0;
    fwd_fail(s, req);
    return;
  }
  memcpy(req->query, query, len);
  req->len = len;
  pthread_mutex_lock(&s->fwd_lock);
  bool stopping = atomic_load(&s->stopping);
  if (!stopping) {
    if (s->fwd_tail)
      s->fwd_tail->next = req;
    else
      s->fwd_head = req;
    s->fwd_tail = req;
  }
  pthread_mutex_unlock(&s->fwd_lock);
  if (stopping) {
    fwd_fail(s, req);
    return;
  }
  uint64_t one = 1;
  if (write(s->fwd_fd, &one, sizeof one) < 0) {
    /* the counter is saturated: the forwarder is awake anyway */
  }
}

/* ---- UDP ---- */

typedef struct UdpBuffers {
  uint8_t in[UDP_BATCH][DNS_UDP_MAX];
  uint8_t out[UDP_BATCH][DNS_UDP_MAX];
  struct sockaddr_storage addr[UDP_BATCH];
  struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
  struct mmsghdr in_msg[UDP_BATCH], out_msg[UDP_BATCH];
} UdpBuffers;

static void *udp_main(void *arg) {
  DnsServer *s = arg;
  UdpBuffers *b = xzalloc(sizeof *b);
  while (!atomic_load(&s->stopping)) {
    struct pollfd pfd[2] = {{s->udp_fd, POLLIN, 0}, {s->stop_fd, POLLIN, 0}};
    if (poll(pfd, 2, -1) < 0 && errno != EINTR)
      break;
    if (pfd[1].revents)
      break;
    if (!pfd[0].revents)
      continue;
    for (int i = 0; i < UDP_BATCH; i++) {
      b->in_iov[i] = (struct iovec){b->in[i], sizeof b->in[i]};
      b->in_msg[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &b->addr[i],
                                                  .msg_namelen = sizeof b->addr[i],
                                                  .msg_iov = &b->in_iov[i],
                                                  .msg_iovlen = 1}};
    }
    int n = recvmmsg(s->udp_fd, b->in_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      continue;
    int m = 0;
    for (int i = 0; i < n; i++) {
      size_t len = 0;
      DnsQuery q;
      DnsVerdict v = dns_index_answer(s->index, b->in[i], b->in_msg[i].msg_len, false, b->out[m],
                                      sizeof b->out[m], &len, &q);
      if (v == DNS_VERDICT_FORWARD) {
        fwd_submit(s, b->in[i], b->in_msg[i].msg_len, &q, &b->addr[i], b->in_msg[i].msg_hdr.msg_namelen,
                   NULL);
      } else if (v == DNS_VERDICT_ANSWER) {
        b->out_iov[m] = (struct iovec){b->out[m], len};
        b->out_msg[m] = (struct mmsghdr){.msg_hdr = {.msg_name = &b->addr[i],
                                                     .msg_namelen = b->in_msg[i].msg_hdr.msg_namelen,
                                                     .msg_iov = &b->out_iov[m],
                                                     .msg_iovlen = 1}};
        m++;
      }
    }
    for (int sent = 0; sent < m;) {
      int r = sendmmsg(s->udp_fd, b->out_msg + sent, (unsigned)(m - sent), MSG_DONTWAIT);
      if (r <= 0) {
        sent++; /* a client address that refuses: skip it */
        continue;
      }
      sent += r;
    }
  }
  free(b);
  return NULL;
}

/* ---- TCP ---- */

/* Reads exactly len bytes within timeout_ms per wait; false on EOF, error, timeout or stop. */
static bool read_full(DnsServer *s, int fd, uint8_t *buf, size_t len, int timeout_ms) {
  size_t got = 0;
  while (got < len) {
    struct pollfd pfd[2] = {{fd, POLLIN, 0}, {s->stop_fd, POLLIN, 0}};
    if (poll(pfd, 2, timeout_ms) <= 0 || pfd[1].revents)
      return false;
    ssize_t r = read(fd, buf + got, len - got);
    if (r <= 0) {
      if (r < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      return false;
    }
    got += (size_t)r;
  }
  return true;
}

static bool write_full(int fd, const uint8_t *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    struct pollfd pfd = {fd, POLLOUT, 0};
    if (poll(&pfd, 1, 5000) <= 0)
      return false;
    ssize_t r = send(fd, buf + done, len - done, MSG_NOSIGNAL);
    if (r <= 0) {
      if (r < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      return false;
    }
    done += (size_t)r;
  }
  return true;
}

typedef struct TcpConn {
  DnsServer *s;
  int fd;
} TcpConn;

static void *tcp_conn_main(void *arg) {
  TcpConn *c = arg;
  DnsServer *s = c->s;
  uint8_t *in = xmalloc(DNS_TCP_MAX), *out = xmalloc(DNS_TCP_MAX + 2);
  TcpWaiter w = {.buf = out + 2};
  pthread_mutex_init(&w.lock, NULL);
  pthread_cond_init(&w.cond, NULL);
  for (;;) {
    uint8_t hdr[2];
    if (!read_full(s, c->fd, hdr, 2, DNS_TCP_IDLE_SEC * 1000))
      break;
    size_t len = (size_t)((hdr[0] << 8) | hdr[1]);
    if (!read_full(s, c->fd, in, len, 5000))
      break;
    size_t alen = 0;
    DnsQuery q;
    DnsVerdict v = dns_index_answer(s->index, in, len, true, out + 2, DNS_TCP_MAX, &alen, &q);
    if (v == DNS_VERDICT_DROP)
      break;
    if (v == DNS_VERDICT_FORWARD) {
      w.done = false;
      fwd_submit(s, in, len, &q, NULL, 0, &w);
      pthread_mutex_lock(&w.lock);
      while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock); /* the forwarder always answers, by its deadline at most */
      alen = w.len;
      pthread_mutex_unlock(&w.lock);
    }
    out[0] = (uint8_t)(alen >> 8);
    out[1] = (uint8_t)alen;
    if (!write_full(c->fd, out, alen + 2))
      break;
  }
  pthread_cond_destroy(&w.cond);
  pthread_mutex_destroy(&w.lock);
  free(in);
  free(out);
  close(c->fd);
  free(c);
  pthread_mutex_lock(&s->conn_lock);
  s->n_conns--;
  pthread_cond_broadcast(&s->conn_cond);
  pthread_mutex_unlock(&s->conn_lock);
  return NULL;
}

static void *tcp_main(void *arg) {
  DnsServer *s = arg;
  while (!atomic_load(&s->stopping)) {
    struct pollfd pfd[2] = {{s->tcp_fd, POLLIN, 0}, {s->stop_fd, POLLIN, 0}};
    if (poll(pfd, 2, -1) < 0 && errno != EINTR)
      break;
    if (pfd[1].revents)
      break;
    if (!pfd[0].revents)
      continue;
    int fd = accept4(s->tcp_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
      continue;
    pthread_mutex_lock(&s->conn_lock);
    bool full = s->n_conns >= DNS_TCP_MAX_CONNS;
    if (!full)
      s->n_conns++;
    pthread_mutex_unlock(&s->conn_lock);
    if (full) {
      close(fd);
      continue;
    }
    TcpConn *c = xmalloc(sizeof *c);
    *c = (TcpConn){s, fd};
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, tcp_conn_main, c) != 0) {
      close(fd);
      free(c);
      pthread_mutex_lock(&s->conn_lock);
      s->n_conns--;
      pthread_mutex_unlock(&s->conn_lock);
    }
    pthread_attr_destroy(&attr);
  }
  return NULL;
}

/* ---- informers ---- */

#define HANDLERS(kind)                                                                                       \
  static void on_##kind##_add(json_t *obj, void *ud) {                                                       \
    dns_index_update_##kind(ud, obj);                                                                        \
  }                                                                                                          \
  static void on_##kind##_update(json_t *old, json_t *obj, void *ud) {                                       \
    dns_index_update_##kind(ud, obj);                                                                        \
  }                                                                                                          \
  static void on_##kind##_delete(json_t *obj, void *ud) {                                                    \
    dns_index_delete_##kind(ud, obj);                                                                        \
  }

HANDLERS(service)
HANDLERS(slice)
HANDLERS(namespace)
HANDLERS(pod)

static void *sync_main(void *arg) {
  DnsServer *s = arg;
  for (size_t i = 0; i < ELEMENTSOF(s->inf); i++) {
    for (;;) {
      if (atomic_load(&s->stopping))
        return NULL;
      int rc = informer_wait_for_sync(s->inf[i], 1000000);
      if (rc == 0)
        break;
      if (rc == -ECANCELED)
        return NULL;
    }
  }
  dns_index_set_synced(s->index, true);
  log_info(COMPONENT, "msg=\"cluster DNS records synced\"");
  return NULL;
}

static int start_informers(Client *c, DnsServer *s, Error *err) {
  static const struct {
    const char *group, *resource;
  } res[4] = {{"", "services"}, {"discovery.k8s.io", "endpointslices"}, {"", "namespaces"}, {"", "pods"}};
  const InformerHandlers h[4] = {
      {.on_add = on_service_add, .on_update = on_service_update, .on_delete = on_service_delete},
      {.on_add = on_slice_add, .on_update = on_slice_update, .on_delete = on_slice_delete},
      {.on_add = on_namespace_add, .on_update = on_namespace_update, .on_delete = on_namespace_delete},
      {.on_add = on_pod_add, .on_update = on_pod_update, .on_delete = on_pod_delete},
  };
  for (size_t i = 0; i < 4; i++) {
    const ApiResource *r = api_resource_find(res[i].group, "v1", res[i].resource);
    if (!r)
      return error_set(err, -ENOENT, NULL, "dns: no resource %s", res[i].resource);
    int rc = informer_new(c, r, NULL, &s->inf[i], err);
    if (rc < 0)
      return rc;
    InformerHandlers hh = h[i];
    hh.userdata = s->index;
    informer_add_handlers(s->inf[i], &hh);
    rc = informer_start(s->inf[i], err);
    if (rc < 0)
      return rc;
  }
  if (pthread_create(&s->sync_thread, NULL, sync_main, s) == 0)
    s->sync_started = true;
  return 0;
}

/* ---- start and stop ---- */

static int open_socket(DnsServer *s, int type, Error *err) {
  int fd = socket(s->bind_addr.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return error_set(err, -errno, NULL, "dns: socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&s->bind_addr, s->bind_len) < 0) {
    int e = errno;
    close(fd);
    return error_set(err, -e, NULL, "dns: cannot listen on %s port %d (%s): %s", s->opts.bind_address,
                     s->opts.port, type == SOCK_DGRAM ? "udp" : "tcp", strerror(e));
  }
  if (type == SOCK_STREAM && listen(fd, 128) < 0) {
    int e = errno;
    close(fd);
    return error_set(err, -e, NULL, "dns: listen: %s", strerror(e));
  }
  if (type == SOCK_DGRAM) {
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  return fd;
}

void dns_server_stop(DnsServer *s) {
  if (!s)
    return;
  atomic_store(&s->stopping, true);
  if (s->stop_fd >= 0) {
    uint64_t one = 1;
    if (write(s->stop_fd, &one, sizeof one) < 0) {
      /* cannot fail for an eventfd below its maximum */
    }
  }
  for (size_t i = 0; i < ELEMENTSOF(s->inf); i++)
    if (s->inf[i])
      informer_stop(s->inf[i]);
  if (s->sync_started)
    pthread_join(s->sync_thread, NULL);
  if (s->udp_started)
    pthread_join(s->udp_thread, NULL);
  if (s->tcp_started)
    pthread_join(s->tcp_thread, NULL);
  /* The forwarder answers every waiting TCP connection before it ends; then the connections can end. */
  if (s->fwd_started)
    pthread_join(s->fwd_thread, NULL);
  pthread_mutex_lock(&s->conn_lock);
  while (s->n_conns > 0)
    pthread_cond_wait(&s->conn_cond, &s->conn_lock);
  pthread_mutex_unlock(&s->conn_lock);
  for (size_t i = 0; i < ELEMENTSOF(s->inf); i++)
    informer_free(s->inf[i]);
  int fds[] = {s->udp_fd, s->tcp_fd, s->stop_fd, s->fwd_fd, s->up4_fd, s->up6_fd};
  for (size_t i = 0; i < ELEMENTSOF(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  pthread_mutex_destroy(&s->conn_lock);
  pthread_cond_destroy(&s->conn_cond);
  pthread_mutex_destroy(&s->fwd_lock);
  dns_index_free(s->index);
  free((char *)s->opts.bind_address);
  free((char *)s->opts.domain);
  free((char *)s->opts.resolv_conf);
  free(s);
}

int dns_server_start(Client *c, const DnsServerOptions *opts, DnsServer **ret, Error *err) {
  if (isempty(opts->bind_address))
    return error_set(err, -EINVAL, NULL, "dns: no address to listen on");
  DnsServer *s = xzalloc(sizeof *s);
  s->udp_fd = s->tcp_fd = s->stop_fd = s->fwd_fd = s->up4_fd = s->up6_fd = -1;
  pthread_mutex_init(&s->conn_lock, NULL);
  pthread_cond_init(&s->conn_cond, NULL);
  pthread_mutex_init(&s->fwd_lock, NULL);
  s->opts = (DnsServerOptions){
      .bind_address = xstrdup(opts->bind_address),
      .port = opts->port > 0 ? opts->port : 53,
      .domain = xstrdup(opts->domain ? opts->domain : "cluster.local"),
      .resolv_conf = xstrdup(opts->resolv_conf ? opts->resolv_conf : "/etc/resolv.conf"),
      .upstream_timeout_ms = opts->upstream_timeout_ms ? opts->upstream_timeout_ms : 2000,
      .ttl = opts->ttl ? opts->ttl : 5,
      .upstream_port = opts->upstream_port > 0 ? opts->upstream_port : 53,
  };
  s->index = dns_index_new(s->opts.domain, s->opts.ttl);
  struct sockaddr_in *v4 = (void *)&s->bind_addr;
  struct sockaddr_in6 *v6 = (void *)&s->bind_addr;
  if (inet_pton(AF_INET, s->opts.bind_address, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)s->opts.port);
    s->bind_len = sizeof *v4;
  } else if (inet_pton(AF_INET6, s->opts.bind_address, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)s->opts.port);
    s->bind_len = sizeof *v6;
  } else {
    int rc = error_set(err, -EINVAL, NULL, "dns: \"%s\" is not an IP address", s->opts.bind_address);
    dns_server_stop(s);
    return rc;
  }
  int rc;
  if ((rc = s->udp_fd = open_socket(s, SOCK_DGRAM, err)) < 0 ||
      (rc = s->tcp_fd = open_socket(s, SOCK_STREAM, err)) < 0) {
    dns_server_stop(s);
    return rc;
  }
  s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->fwd_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  s->up4_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  s->up6_fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->stop_fd < 0 || s->fwd_fd < 0) {
    rc = error_set(err, -errno, NULL, "dns: eventfd: %s", strerror(errno));
    dns_server_stop(s);
    return rc;
  }
  if (c && (rc = start_informers(c, s, err)) < 0) {
    dns_server_stop(s);
    return rc;
  }
  s->fwd_started = pthread_create(&s->fwd_thread, NULL, fwd_main, s) == 0;
  s->udp_started = pthread_create(&s->udp_thread, NULL, udp_main, s) == 0;
  s->tcp_started = pthread_create(&s->tcp_thread, NULL, tcp_main, s) == 0;
  if (!s->fwd_started || !s->udp_started || !s->tcp_started) {
    dns_server_stop(s);
    return error_set(err, -EAGAIN, NULL, "dns: cannot start threads");
  }
  log_info(COMPONENT, "msg=\"cluster DNS listening\" address=%s port=%d domain=%s upstream=%s",
           s->opts.bind_address, s->opts.port, s->opts.domain, s->opts.resolv_conf);
  *ret = s;
  return 0;
}
