/* The DNS wire format (RFC 1035, EDNS0 of RFC 6891), written here: a bounds-checked query parser that is safe
 * on any bytes (every read checks the remaining length, compression pointers are followed at most
 * DNS_MAX_JUMPS times), and a response writer with name compression that never writes past its buffer (an
 * overflow is remembered, so a UDP answer can be rebuilt truncated). Names are handled as dotted text without
 * the trailing dot, lower-cased on input; bytes that cannot appear in a hostname are escaped as \DDD so that
 * they never match a Kubernetes name. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
  DNS_TYPE_A = 1,
  DNS_TYPE_NS = 2,
  DNS_TYPE_CNAME = 5,
  DNS_TYPE_SOA = 6,
  DNS_TYPE_PTR = 12,
  DNS_TYPE_TXT = 16,
  DNS_TYPE_AAAA = 28,
  DNS_TYPE_SRV = 33,
  DNS_TYPE_OPT = 41,
  DNS_TYPE_ANY = 255,
};

enum { DNS_CLASS_IN = 1, DNS_CLASS_ANY = 255 };

enum {
  DNS_RCODE_NOERROR = 0,
  DNS_RCODE_FORMERR = 1,
  DNS_RCODE_SERVFAIL = 2,
  DNS_RCODE_NXDOMAIN = 3,
  DNS_RCODE_NOTIMP = 4,
  DNS_RCODE_REFUSED = 5,
  DNS_RCODE_BADVERS = 16, /* extended: carried in the OPT record */
};

#define DNS_HEADER_SIZE 12
#define DNS_NAME_WIRE_MAX 255 /* octets on the wire, labels and their lengths included */
#define DNS_LABEL_MAX 63
#define DNS_NAME_TEXT_MAX 1024 /* 255 octets escaped as \DDD at worst, plus NUL */
#define DNS_MAX_JUMPS 32
#define DNS_UDP_MIN 512
#define DNS_UDP_MAX 4096 /* the largest UDP answer we send, whatever EDNS0 offers */
#define DNS_TCP_MAX 65535

/* Header flag bits (the 16-bit flags word). */
#define DNS_FLAG_QR 0x8000u
#define DNS_FLAG_AA 0x0400u
#define DNS_FLAG_TC 0x0200u
#define DNS_FLAG_RD 0x0100u
#define DNS_FLAG_RA 0x0080u
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xfu)

typedef struct DnsQuery {
  uint16_t id;
  uint16_t flags;               /* as received */
  char name[DNS_NAME_TEXT_MAX]; /* lower-case, dotted, no trailing dot; "" is the root */
  uint16_t qtype, qclass;
  size_t question_end; /* offset just after the question: [12, question_end) is echoed in answers */
  bool edns;           /* an OPT record was present */
  uint16_t edns_udp_size;
  uint8_t edns_version;
  bool edns_do;
} DnsQuery;

/* Parses a query message. 0 on success; -EBADMSG when there is not even a header (nothing can be answered);
 * -EPROTO for anything else malformed (or a response, or QDCOUNT != 1): id and flags are filled and the
 * caller may answer FORMERR. Never reads outside [p, p+n). */
int dns_query_parse(const uint8_t *p, size_t n, DnsQuery *ret);

/* Decodes the name at *off (following compression pointers) into out as lower-case dotted text; *off moves
 * past the name as it appears at that place. -EPROTO on a malformed name. */
int dns_name_decode(const uint8_t *msg, size_t n, size_t *off, char *out, size_t out_cap);

/* ---- the writer ---- */

#define DNS_COMP_MAX 64
#define DNS_COMP_POOL 2048

typedef struct DnsWriter {
  uint8_t *buf;
  size_t cap, len;
  bool overflow; /* something did not fit: the content is incomplete */
  /* Names already written, for compression: offset in buf and lower-case text in pool. */
  struct {
    uint16_t off;
    uint16_t text, len;
  } comp[DNS_COMP_MAX];
  size_t n_comp;
  char pool[DNS_COMP_POOL];
  size_t pool_len;
  uint16_t counts[4]; /* question, answer, authority, additional */
} DnsWriter;

typedef enum DnsSection {
  DNS_SECTION_ANSWER = 1,
  DNS_SECTION_AUTHORITY = 2,
  DNS_SECTION_ADDITIONAL = 3,
} DnsSection;

/* A resource record to write. owner NULL means the question's name (written as a pointer to it, so that the
 * client's spelling comes back). */
typedef struct DnsRR {
  const char *owner;
  uint16_t type;
  uint32_t ttl;
  union {
    uint8_t a[4];
    uint8_t aaaa[16];
    const char *target; /* CNAME, PTR, NS */
    struct {
      uint16_t priority, weight, port;
      const char *target;
    } srv;
    struct {
      const char *mname, *rname;
      uint32_t serial, refresh, retry, expire, minimum;
    } soa;
  };
} DnsRR;

void dns_writer_init(DnsWriter *w, uint8_t *buf, size_t cap);
/* Starts a response to q (whose raw bytes are query): header with q's id, opcode and RD, QR and RA set, the
 * given extra flags and rcode, and q's question copied verbatim. */
void dns_response_begin(DnsWriter *w, const DnsQuery *q, const uint8_t *query, uint16_t flags, uint8_t rcode);
/* Writes a name (dotted text, \DDD escapes understood), compressed against earlier names when compress. */
void dns_put_name(DnsWriter *w, const char *name, bool compress);
void dns_put_rr(DnsWriter *w, DnsSection s, const DnsRR *rr);
/* Ends the response: the OPT record when q had one (our UDP size, the extended rcode), and the counts.
 * Returns the length, or 0 when something overflowed. */
size_t dns_response_finish(DnsWriter *w, const DnsQuery *q, uint16_t rcode);
/* Sets the TC bit of a finished message of len bytes. */
void dns_set_flags(uint8_t *msg, uint16_t flags);

/* The largest UDP answer the client accepts (512 without EDNS0, its size otherwise, capped to DNS_UDP_MAX).
 */
size_t dns_udp_limit(const DnsQuery *q);

/* A minimal answer with no records (FORMERR, SERVFAIL, REFUSED...) to q into out; its length, 0 if out is too
 * small. */
size_t dns_answer_rcode(const DnsQuery *q, const uint8_t *query, uint8_t rcode, uint8_t *out, size_t cap);

/* Builds a query for name/type with the given id (EDNS0 when edns_size > 0); the length, 0 if too long. For
 * tests, the benchmark and the fuzzer. */
size_t dns_build_query(uint16_t id, const char *name, uint16_t type, uint16_t edns_size, uint8_t *out,
                       size_t cap);
