/* DNS messages on the wire: the query parser and the response writer of dns-wire.h. Every read is checked
 * against the message length; names are limited to 255 octets and 63-octet labels; compression pointers must
 * point backwards and are followed at most DNS_MAX_JUMPS times, so a hostile message costs bounded work. */
#include <errno.h>

#include "agent/dns/dns-wire.h"
#include "base/util.h"

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static uint8_t lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool plain(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
}

int dns_name_decode(const uint8_t *msg, size_t n, size_t *off, char *out, size_t out_cap) {
  size_t pos = *off, after = 0, o = 0, wire = 1;
  bool jumped = false;
  int jumps = 0;
  if (out_cap == 0)
    return -EPROTO;
  for (;;) {
    if (pos >= n)
      return -EPROTO;
    uint8_t len = msg[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= n)
        return -EPROTO;
      size_t ptr = ((size_t)(len & 0x3f) << 8) | msg[pos + 1];
      if (ptr >= pos || ++jumps > DNS_MAX_JUMPS)
        return -EPROTO;
      if (!jumped)
        after = pos + 2;
      jumped = true;
      pos = ptr;
      continue;
    }
    if (len & 0xc0)
      return -EPROTO; /* the obsolete extended label types */
    if (len == 0) {
      pos++;
      break;
    }
    wire += (size_t)len + 1;
    if (wire > DNS_NAME_WIRE_MAX || pos + 1 + len > n)
      return -EPROTO;
    if (o > 0) {
      if (o + 1 >= out_cap)
        return -EPROTO;
      out[o++] = '.';
    }
    for (size_t i = 0; i < len; i++) {
      uint8_t c = lower(msg[pos + 1 + i]);
      if (plain(c)) {
        if (o + 1 >= out_cap)
          return -EPROTO;
        out[o++] = (char)c;
      } else {
        if (o + 4 >= out_cap)
          return -EPROTO;
        snprintf(out + o, 5, "\\%03u", c);
        o += 4;
      }
    }
    pos += 1 + (size_t)len;
  }
  out[o] = 0;
  *off = jumped ? after : pos;
  return 0;
}

/* Skips a resource record at *off (name, fixed part, rdata); fills its type, class, ttl and rdata span. */
static int skip_rr(const uint8_t *p, size_t n, size_t *off, uint16_t *type, uint16_t *cls, uint32_t *ttl,
                   size_t *rdlen) {
  char name[DNS_NAME_TEXT_MAX];
  if (dns_name_decode(p, n, off, name, sizeof name) < 0 || *off + 10 > n)
    return -EPROTO;
  const uint8_t *f = p + *off;
  *type = get16(f);
  *cls = get16(f + 2);
  *ttl = ((uint32_t)f[4] << 24) | ((uint32_t)f[5] << 16) | ((uint32_t)f[6] << 8) | f[7];
  *rdlen = get16(f + 8);
  *off += 10;
  if (*off + *rdlen > n)
    return -EPROTO;
  *off += *rdlen;
  return 0;
}

int dns_query_parse(const uint8_t *p, size_t n, DnsQuery *ret) {
  if (n < DNS_HEADER_SIZE)
    return -EBADMSG;
  *ret = (DnsQuery){.id = get16(p), .flags = get16(p + 2)};
  uint16_t qd = get16(p + 4), an = get16(p + 6), ns = get16(p + 8), ar = get16(p + 10);
  if ((ret->flags & DNS_FLAG_QR) || qd != 1)
    return -EPROTO;
  /* The question is echoed verbatim in answers, so it must not point anywhere: a compression pointer there
   * (nothing for it to point to but the header) is refused. */
  for (size_t i = DNS_HEADER_SIZE; i < n && p[i] != 0; i += (size_t)p[i] + 1)
    if (p[i] & 0xc0)
      return -EPROTO;
  size_t off = DNS_HEADER_SIZE;
  if (dns_name_decode(p, n, &off, ret->name, sizeof ret->name) < 0 || off + 4 > n)
    return -EPROTO;
  ret->qtype = get16(p + off);
  ret->qclass = get16(p + off + 2);
  off += 4;
  ret->question_end = off;
  /* Answer and authority sections are unusual in a query; skip them to reach the OPT record. */
  unsigned total = (unsigned)an + ns + ar;
  for (unsigned i = 0; i < total; i++) {
    uint16_t type, cls;
    uint32_t ttl;
    size_t rdlen, start = off;
    if (skip_rr(p, n, &off, &type, &cls, &ttl, &rdlen) < 0)
      return -EPROTO;
    if (type == DNS_TYPE_OPT && i >= (unsigned)an + ns) {
      if (ret->edns || p[start] != 0) /* two OPT records, or one not owned by the root: FORMERR */
        return -EPROTO;
      ret->edns = true;
      ret->edns_udp_size = cls;
      ret->edns_version = (uint8_t)(ttl >> 16);
      ret->edns_do = (ttl & 0x8000u) != 0;
    }
  }
  return 0;
}

/* ---- the writer ---- */

static void put(DnsWriter *w, const void *data, size_t len) {
  if (w->overflow || len > w->cap - w->len) {
    w->overflow = true;
    return;
  }
  memcpy(w->buf + w->len, data, len);
  w->len += len;
}

static void put16(DnsWriter *w, uint16_t v) {
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  put(w, b, 2);
}

static void put32(DnsWriter *w, uint32_t v) {
  uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  put(w, b, 4);
}

void dns_writer_init(DnsWriter *w, uint8_t *buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = false;
  w->n_comp = 0;
  w->pool_len = 0;
  memset(w->counts, 0, sizeof w->counts);
}

/* Text to wire form (labels with their lengths, the root's 0 included). 0 on a bad or too long name. */
static size_t name_to_wire(const char *name, uint8_t out[static DNS_NAME_WIRE_MAX]) {
  size_t o = 0;
  const char *s = name;
  if (s[0] == '.' && s[1] == 0)
    s++;
  while (*s) {
    size_t lenpos = o++, l = 0;
    while (*s && *s != '.') {
      uint8_t c = (uint8_t)*s++;
      if (c == '\\' && *s) {
        if (s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9') {
          unsigned v = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
          if (v > 255)
            return 0;
          c = (uint8_t)v;
          s += 3;
        } else {
          c = (uint8_t)*s++;
        }
      }
      if (l == DNS_LABEL_MAX || o >= DNS_NAME_WIRE_MAX - 1)
        return 0;
      out[o++] = c;
      l++;
    }
    if (l == 0)
      return 0; /* an empty label */
    out[lenpos] = (uint8_t)l;
    if (*s == '.')
      s++;
  }
  out[o++] = 0;
  return o;
}

static bool wire_equal_ci(const uint8_t *a, const uint8_t *b, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

/* Remembers that the wire-form suffix s (len bytes) was written at offset off. */
static void comp_add(DnsWriter *w, size_t off, const uint8_t *s, size_t len) {
  if (off >= 0x3fff || w->n_comp >= DNS_COMP_MAX || w->pool_len + len > DNS_COMP_POOL)
    return;
  w->comp[w->n_comp].off = (uint16_t)off;
  w->comp[w->n_comp].text = (uint16_t)w->pool_len;
  w->comp[w->n_comp].len = (uint16_t)len;
  w->n_comp++;
  memcpy(w->pool + w->pool_len, s, len);
  w->pool_len += len;
}

static int comp_find(DnsWriter *w, const uint8_t *s, size_t len) {
  for (size_t i = 0; i < w->n_comp; i++) {
    const uint8_t *t = (const uint8_t *)w->pool + w->comp[i].text;
    if (w->comp[i].len == len && wire_equal_ci(t, s, len))
      return w->comp[i].off;
  }
  return -1;
}

static void put_wire_name(DnsWriter *w, const uint8_t *wire, size_t wl, bool compress) {
  size_t starts[128], n = 0;
  for (size_t i = 0; i < wl && wire[i] != 0 && n < ELEMENTSOF(starts); i += (size_t)wire[i] + 1)
    starts[n++] = i;
  size_t base = w->len;
  for (size_t k = 0; k < n; k++) {
    int off = compress ? comp_find(w, wire + starts[k], wl - starts[k]) : -1;
    if (off >= 0) {
      put(w, wire, starts[k]);
      put16(w, (uint16_t)(0xc000u | (unsigned)off));
      for (size_t j = 0; j < k && !w->overflow; j++)
        comp_add(w, base + starts[j], wire + starts[j], wl - starts[j]);
      return;
    }
  }
  put(w, wire, wl);
  for (size_t j = 0; j < n && !w->overflow; j++)
    comp_add(w, base + starts[j], wire + starts[j], wl - starts[j]);
}

void dns_put_name(DnsWriter *w, const char *name, bool compress) {
  uint8_t wire[DNS_NAME_WIRE_MAX];
  size_t wl = name_to_wire(name, wire);
  if (wl == 0) {
    w->overflow = true; /* an unwritable name: the answer cannot be sent as built */
    return;
  }
  put_wire_name(w, wire, wl, compress);
}

void dns_set_flags(uint8_t *msg, uint16_t flags) {
  msg[2] = (uint8_t)(flags >> 8);
  msg[3] = (uint8_t)flags;
}

void dns_response_begin(DnsWriter *w, const DnsQuery *q, const uint8_t *query, uint16_t flags,
                        uint8_t rcode) {
  uint16_t f =
      (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA | (q->flags & (0x7800u | DNS_FLAG_RD)) | flags | (rcode & 0xf));
  put16(w, q->id);
  put16(w, f);
  put16(w, 0);
  put16(w, 0);
  put16(w, 0);
  put16(w, 0);
  if (q->question_end > DNS_HEADER_SIZE) {
    put(w, query + DNS_HEADER_SIZE, q->question_end - DNS_HEADER_SIZE);
    w->counts[0] = 1;
    /* The question's name (uncompressed in any sane query) seeds compression; its bytes keep the client's
     * spelling. */
    size_t qlen = q->question_end - 4 - DNS_HEADER_SIZE;
    const uint8_t *qn = query + DNS_HEADER_SIZE;
    bool plain_name = true;
    for (size_t i = 0; i < qlen && qn[i] != 0; i += (size_t)qn[i] + 1)
      if (qn[i] & 0xc0)
        plain_name = false;
    if (plain_name && !w->overflow)
      for (size_t i = 0; i < qlen && qn[i] != 0; i += (size_t)qn[i] + 1)
        comp_add(w, DNS_HEADER_SIZE + i, qn + i, qlen - i);
  }
}

void dns_put_rr(DnsWriter *w, DnsSection s, const DnsRR *rr) {
  if (rr->owner)
    dns_put_name(w, rr->owner, true);
  else
    put16(w, 0xc000u | DNS_HEADER_SIZE);
  put16(w, rr->type);
  put16(w, DNS_CLASS_IN);
  put32(w, rr->ttl);
  size_t rdlen_at = w->len;
  put16(w, 0);
  switch (rr->type) {
  case DNS_TYPE_A:
    put(w, rr->a, 4);
    break;
  case DNS_TYPE_AAAA:
    put(w, rr->aaaa, 16);
    break;
  case DNS_TYPE_CNAME:
  case DNS_TYPE_PTR:
  case DNS_TYPE_NS:
    dns_put_name(w, rr->target, true);
    break;
  case DNS_TYPE_SRV:
    put16(w, rr->srv.priority);
    put16(w, rr->srv.weight);
    put16(w, rr->srv.port);
    dns_put_name(w, rr->srv.target, false); /* RFC 2782: no compression in SRV targets */
    break;
  case DNS_TYPE_SOA:
    dns_put_name(w, rr->soa.mname, true);
    dns_put_name(w, rr->soa.rname, true);
    put32(w, rr->soa.serial);
    put32(w, rr->soa.refresh);
    put32(w, rr->soa.retry);
    put32(w, rr->soa.expire);
    put32(w, rr->soa.minimum);
    break;
  default:
    break;
  }
  if (w->overflow)
    return;
  size_t rdlen = w->len - rdlen_at - 2;
  w->buf[rdlen_at] = (uint8_t)(rdlen >> 8);
  w->buf[rdlen_at + 1] = (uint8_t)rdlen;
  w->counts[s]++;
}

size_t dns_udp_limit(const DnsQuery *q) {
  if (!q->edns || q->edns_udp_size <= DNS_UDP_MIN)
    return DNS_UDP_MIN;
  return MIN((size_t)q->edns_udp_size, (size_t)DNS_UDP_MAX);
}

size_t dns_response_finish(DnsWriter *w, const DnsQuery *q, uint16_t rcode) {
  if (q->edns) {
    put(w, "", 1); /* root owner */
    put16(w, DNS_TYPE_OPT);
    put16(w, DNS_UDP_MAX);
    uint32_t ttl = ((uint32_t)((rcode >> 4) & 0xff) << 24) | (q->edns_do ? 0x8000u : 0);
    put32(w, ttl);
    put16(w, 0);
    if (!w->overflow)
      w->counts[DNS_SECTION_ADDITIONAL]++;
  }
  if (w->overflow || w->len < DNS_HEADER_SIZE)
    return 0;
  for (int i = 0; i < 4; i++) {
    w->buf[4 + 2 * i] = (uint8_t)(w->counts[i] >> 8);
    w->buf[5 + 2 * i] = (uint8_t)w->counts[i];
  }
  w->buf[3] = (uint8_t)((w->buf[3] & 0xf0) | (rcode & 0xf));
  return w->len;
}

size_t dns_answer_rcode(const DnsQuery *q, const uint8_t *query, uint8_t rcode, uint8_t *out, size_t cap) {
  DnsWriter w;
  dns_writer_init(&w, out, cap);
  dns_response_begin(&w, q, query, 0, rcode);
  return dns_response_finish(&w, q, rcode);
}

size_t dns_build_query(uint16_t id, const char *name, uint16_t type, uint16_t edns_size, uint8_t *out,
                       size_t cap) {
  DnsWriter w;
  dns_writer_init(&w, out, cap);
  put16(&w, id);
  put16(&w, DNS_FLAG_RD);
  put16(&w, 1);
  put16(&w, 0);
  put16(&w, 0);
  put16(&w, edns_size ? 1 : 0);
  dns_put_name(&w, name, false);
  put16(&w, type);
  put16(&w, DNS_CLASS_IN);
  if (edns_size) {
    put(&w, "", 1);
    put16(&w, DNS_TYPE_OPT);
    put16(&w, edns_size);
    put32(&w, 0);
    put16(&w, 0);
  }
  return w.overflow ? 0 : w.len;
}
