/* Cluster DNS benchmark: queries per second.
 *
 *   bench-dns [-s SERVICES] [-t SECONDS] [-c CLIENT_THREADS] [-w WINDOW] [-p PORT]
 *
 * Fills a DnsIndex with SERVICES ClusterIP Services (and one headless Service of 10 endpoints), then measures
 *   1. in-process: dns_index_answer() on prepared queries (the answer path without sockets), one thread;
 *   2. UDP on loopback: the real server (dns_server_start, its one UDP thread with recvmmsg/sendmmsg) against
 *      CLIENT_THREADS clients keeping WINDOW queries each in flight, names drawn from the Services.
 * Every answer is checked (id, NOERROR, one A record); a lost datagram is resent after 200 ms and counted. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>

#include "agent/dns/dns-server.h"
#include "base/util.h"

static int n_services = 1000, seconds = 5, n_clients = 2, window = 64, port = 15353;
static atomic_bool stop;
static atomic_ullong answered, lost, bad;

static void fill(DnsIndex *x) {
  json_t *ns = json_pack("{s:{s:s}}", "metadata", "name", "bench");
  dns_index_update_namespace(x, ns);
  json_decref(ns);
  for (int i = 0; i < n_services; i++) {
    char name[32], ip[32];
    snprintf(name, sizeof name, "svc-%d", i);
    snprintf(ip, sizeof ip, "10.43.%d.%d", 1 + i / 250, 1 + i % 250);
    json_t *svc =
        json_pack("{s:{s:s,s:s},s:{s:s,s:[s],s:[{s:s,s:i}]}}", "metadata", "name", name, "namespace", "bench",
                  "spec", "clusterIP", ip, "clusterIPs", ip, "ports", "name", "http", "port", 80);
    dns_index_update_service(x, svc);
    json_decref(svc);
  }
  dns_index_set_synced(x, true);
}

static size_t make_query(unsigned i, uint16_t id, uint8_t *buf, size_t cap) {
  char name[128];
  snprintf(name, sizeof name, "svc-%u.bench.svc.cluster.local", i % (unsigned)n_services);
  return dns_build_query(id, name, DNS_TYPE_A, 0, buf, cap);
}

static bool check(const uint8_t *p, size_t n, uint16_t id) {
  return n > 12 && ((p[0] << 8) | p[1]) == id && (p[3] & 0xf) == 0 && p[7] == 1;
}

static void bench_inprocess(DnsIndex *x) {
  enum { N = 1024 };
  static uint8_t q[N][128], out[DNS_UDP_MAX];
  static size_t ql[N];
  for (unsigned i = 0; i < N; i++)
    ql[i] = make_query(i * 7919u, (uint16_t)i, q[i], sizeof q[i]);
  uint64_t t0 = now_monotonic_usec(), n = 0, end = t0 + (uint64_t)seconds * 1000000u / 2;
  while (now_monotonic_usec() < end) {
    for (unsigned i = 0; i < N; i++) {
      size_t len;
      if (dns_index_answer(x, q[i], ql[i], false, out, sizeof out, &len, NULL) != DNS_VERDICT_ANSWER ||
          !check(out, len, (uint16_t)i))
        abort();
    }
    n += N;
  }
  double sec = (double)(now_monotonic_usec() - t0) / 1e6;
  printf("in-process answers: %.0f queries/s (%llu in %.1f s, %d services)\n", (double)n / sec,
         (unsigned long long)n, sec, n_services);
}

static void *client(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0)
    abort();
  int size = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  /* Slot k of the window carries ids k, k + window, ...: an answer's id names its slot. */
  uint64_t *sent_at = xcalloc((size_t)window, sizeof *sent_at);
  uint16_t *ids = xcalloc((size_t)window, sizeof *ids);
  uint8_t q[128], in[DNS_UDP_MAX];
  for (int k = 0; k < window; k++) {
    ids[k] = (uint16_t)k;
    size_t n = make_query(seed + (unsigned)k, ids[k], q, sizeof q);
    send(fd, q, n, 0);
    sent_at[k] = now_monotonic_usec();
  }
  while (!atomic_load(&stop)) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 50) == 1) {
      ssize_t n = recv(fd, in, sizeof in, MSG_DONTWAIT);
      if (n <= 0)
        continue;
      uint16_t id = (uint16_t)((in[0] << 8) | in[1]);
      int k = id % window;
      if (ids[k] != id)
        continue; /* a late answer to a query resent since */
      if (!check(in, (size_t)n, id))
        atomic_fetch_add(&bad, 1);
      atomic_fetch_add(&answered, 1);
      ids[k] = (uint16_t)(ids[k] + window);
      seed = seed * 1103515245u + 12345u;
      size_t qn = make_query(seed >> 8, ids[k], q, sizeof q);
      send(fd, q, qn, 0);
      sent_at[k] = now_monotonic_usec();
    }
    uint64_t now = now_monotonic_usec();
    for (int k = 0; k < window; k++)
      if (now - sent_at[k] > 200000) {
        atomic_fetch_add(&lost, 1);
        ids[k] = (uint16_t)(ids[k] + window);
        size_t qn = make_query(seed + (unsigned)k, ids[k], q, sizeof q);
        send(fd, q, qn, 0);
        sent_at[k] = now;
      }
  }
  free(sent_at);
  free(ids);
  close(fd);
  return NULL;
}

int main(int argc, char **argv) {
  int c;
  while ((c = getopt(argc, argv, "s:t:c:w:p:")) >= 0) {
    switch (c) {
    case 's':
      n_services = atoi(optarg);
      break;
    case 't':
      seconds = atoi(optarg);
      break;
    case 'c':
      n_clients = atoi(optarg);
      break;
    case 'w':
      window = atoi(optarg);
      break;
    case 'p':
      port = atoi(optarg);
      break;
    default:
      fprintf(stderr, "usage: bench-dns [-s services] [-t seconds] [-c clients] [-w window] [-p port]\n");
      return 2;
    }
  }
  if (n_services < 1 || seconds < 1 || n_clients < 1 || window < 1 || window > 1024)
    return 2;
  DnsIndex *x = dns_index_new("cluster.local", 5);
  fill(x);
  bench_inprocess(x);
  dns_index_free(x);

  DnsServerOptions o = {.bind_address = "127.0.0.1", .port = port, .resolv_conf = "/dev/null"};
  DnsServer *s;
  Error err = ERROR_INIT;
  if (dns_server_start(NULL, &o, &s, &err) < 0) {
    fprintf(stderr, "bench-dns: %s\n", err.message);
    return 1;
  }
  fill(dns_server_index(s));
  pthread_t *t = xcalloc((size_t)n_clients, sizeof *t);
  uint64_t t0 = now_monotonic_usec();
  for (int i = 0; i < n_clients; i++)
    pthread_create(&t[i], NULL, client, (void *)(uintptr_t)(i + 1));
  sleep((unsigned)seconds);
  atomic_store(&stop, true);
  for (int i = 0; i < n_clients; i++)
    pthread_join(t[i], NULL);
  double sec = (double)(now_monotonic_usec() - t0) / 1e6;
  printf("UDP loopback: %.0f queries/s (%llu answered in %.1f s, %d clients x %d in flight, %llu lost, %llu "
         "bad)\n",
         (double)answered / sec, (unsigned long long)answered, sec, n_clients, window,
         (unsigned long long)lost, (unsigned long long)bad);
  free(t);
  dns_server_stop(s);
  return bad ? 1 : 0;
}
