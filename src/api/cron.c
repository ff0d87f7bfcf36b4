/* Cron schedules as CronJobs use them: five fields (minute hour day-of-month month day-of-week) with
 * numbers, ranges, steps, lists, names (jan-dec, sun-sat, case-insensitive), "?" for a day field and 7 for
 * Sunday, or one of the @yearly/@monthly/@weekly/@daily/@hourly descriptors. A day matches when both day
 * fields match, except when neither is "*": then either one suffices (the classic cron rule that
 * Kubernetes' parser follows). Times are evaluated in a fixed UTC offset; spec.timeZone supports UTC and
 * the fixed Etc/GMT±N zones (zones with daylight saving are refused until a tz database reader exists). */
#include <ctype.h>
#include <errno.h>
#include <time.h>

#include "api/cron.h"
#include "base/util.h"

typedef struct Field {
  const char *what;
  int min, max;
  const char *const *names; /* names[i] is value min+i (NULL: no names) */
} Field;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const Field fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day of week", 0, 7, dow_names},
};

static int parse_value(const Field *f, const char *s, size_t len, int *ret) {
  if (len == 0 || len > 9)
    return -EINVAL;
  if (f->names && isalpha((unsigned char)s[0])) {
    for (int i = 0; f->names[i]; i++)
      if (len == 3 && strncasecmp(s, f->names[i], 3) == 0) {
        *ret = f->min + i;
        return 0;
      }
    return -EINVAL;
  }
  int v = 0;
  for (size_t i = 0; i < len; i++) {
    if (!isdigit((unsigned char)s[i]))
      return -EINVAL;
    v = v * 10 + (s[i] - '0');
  }
  if (v < f->min || v > f->max)
    return -ERANGE;
  *ret = v;
  return 0;
}

/* One comma-separated part: "*", "?", "a", "a-b", with an optional "/step". */
static int parse_part(const Field *f, const char *s, size_t len, uint64_t *bits, Error *err) {
  const char *slash = memchr(s, '/', len);
  size_t rlen = slash ? (size_t)(slash - s) : len;
  int lo, hi, step = 1;
  if (slash) {
    size_t slen = len - rlen - 1;
    Field sf = {f->what, 1, f->max + 1, NULL};
    if (parse_value(&sf, slash + 1, slen, &step) < 0)
      return error_set(err, -EINVAL, "spec.schedule", "invalid step in %s field: \"%.*s\"", f->what, (int)len,
                       s);
  }
  if ((rlen == 1 && (s[0] == '*' || s[0] == '?'))) {
    lo = f->min;
    hi = f->max == 7 ? 6 : f->max;
  } else {
    const char *dash = memchr(s, '-', rlen);
    if (dash) {
      if (parse_value(f, s, (size_t)(dash - s), &lo) < 0 ||
          parse_value(f, dash + 1, rlen - (size_t)(dash - s) - 1, &hi) < 0)
        return error_set(err, -EINVAL, "spec.schedule", "invalid range in %s field: \"%.*s\"", f->what,
                         (int)len, s);
    } else {
      if (parse_value(f, s, rlen, &lo) < 0)
        return error_set(err, -EINVAL, "spec.schedule", "invalid value in %s field: \"%.*s\"", f->what,
                         (int)len, s);
      hi = slash ? (f->max == 7 ? 6 : f->max) : lo; /* "N/step" means "N-max/step" */
    }
    if (lo > hi)
      return error_set(err, -EINVAL, "spec.schedule", "beginning of range (%d) beyond end of range (%d)", lo,
                       hi);
  }
  for (int v = lo; v <= hi; v += step)
    *bits |= 1ull << (f->max == 7 && v == 7 ? 0 : v);
  return 0;
}

static int parse_field(const Field *f, const char *s, size_t len, uint64_t *bits, bool *star, Error *err) {
  *bits = 0;
  *star = len == 1 && (s[0] == '*' || s[0] == '?');
  const char *end = s + len;
  while (s < end) {
    const char *comma = memchr(s, ',', (size_t)(end - s));
    size_t plen = comma ? (size_t)(comma - s) : (size_t)(end - s);
    int rc = parse_part(f, s, plen, bits, err);
    if (rc < 0)
      return rc;
    s += plen + (comma ? 1 : 0);
    if (comma && s == end)
      return error_set(err, -EINVAL, "spec.schedule", "empty element in %s field", f->what);
  }
  if (!*bits)
    return error_set(err, -EINVAL, "spec.schedule", "empty %s field", f->what);
  return 0;
}

int cron_parse(const char *spec, CronSchedule *ret, Error *err) {
  static const struct {
    const char *name, *expr;
  } descriptors[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  };
  if (isempty(spec))
    return error_set(err, -EINVAL, "spec.schedule", "empty spec string");
  while (isspace((unsigned char)*spec))
    spec++;
  if (startswith(spec, "TZ=") || startswith(spec, "CRON_TZ="))
    return error_set(err, -EINVAL, "spec.schedule",
                     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  if (spec[0] == '@') {
    size_t n = strcspn(spec, " \t");
    for (size_t i = 0; i < ELEMENTSOF(descriptors); i++)
      if (strlen(descriptors[i].name) == n && strncasecmp(spec, descriptors[i].name, n) == 0)
        return cron_parse(descriptors[i].expr, ret, err);
    return error_set(err, -EINVAL, "spec.schedule", "unrecognized descriptor: %s", spec);
  }
  CronSchedule s = {0};
  const char *p = spec;
  for (int i = 0; i < 5; i++) {
    while (isspace((unsigned char)*p))
      p++;
    size_t n = strcspn(p, " \t");
    if (n == 0)
      return error_set(err, -EINVAL, "spec.schedule", "expected exactly 5 fields, found %d: %s", i, spec);
    uint64_t bits;
    bool star;
    int rc = parse_field(&fields[i], p, n, &bits, &star, err);
    if (rc < 0)
      return rc;
    switch (i) {
    case 0:
      s.minute = bits;
      break;
    case 1:
      s.hour = (uint32_t)bits;
      break;
    case 2:
      s.dom = (uint32_t)bits;
      s.dom_star = star;
      break;
    case 3:
      s.month = (uint16_t)bits;
      break;
    default:
      s.dow = (uint8_t)bits;
      s.dow_star = star;
      break;
    }
    p += n;
  }
  while (isspace((unsigned char)*p))
    p++;
  if (*p) {
    int extra = 5;
    while (*p) {
      extra++;
      p += strcspn(p, " \t");
      while (isspace((unsigned char)*p))
        p++;
    }
    return error_set(err, -EINVAL, "spec.schedule", "expected exactly 5 fields, found %d: %s", extra, spec);
  }
  *ret = s;
  return 0;
}

static bool day_matches(const CronSchedule *s, const struct tm *tm) {
  bool d = s->dom & (1u << tm->tm_mday), w = s->dow & (1u << tm->tm_wday);
  if (s->dom_star || s->dow_star)
    return d && w;
  return d || w;
}

int64_t cron_next(const CronSchedule *s, int64_t t, int64_t utc_offset) {
  /* Work in local "UTC-like" seconds; the offset is fixed so no gap or fold can occur. */
  int64_t lt = (t + utc_offset) / 60 * 60 + 60;
  if (t + utc_offset < 0 && (t + utc_offset) % 60)
    lt -= 60;
  int64_t limit = lt + 5ll * 366 * 24 * 3600;
  while (lt <= limit) {
    time_t tt = (time_t)lt;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (!(s->month & (1u << (tm.tm_mon + 1)))) {
      tm.tm_mon++;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      lt = (int64_t)timegm(&tm);
      continue;
    }
    if (!day_matches(s, &tm)) {
      tm.tm_mday++;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      lt = (int64_t)timegm(&tm);
      continue;
    }
    if (!(s->hour & (1u << tm.tm_hour))) {
      tm.tm_hour++;
      tm.tm_min = tm.tm_sec = 0;
      lt = (int64_t)timegm(&tm);
      continue;
    }
    if (!(s->minute & (1ull << tm.tm_min))) {
      lt += 60;
      continue;
    }
    return lt - utc_offset;
  }
  return -1;
}

int cron_zone_offset(const char *zone, int64_t *ret) {
  if (isempty(zone) || streq(zone, "UTC") || streq(zone, "Etc/UTC") || streq(zone, "Etc/GMT") ||
      streq(zone, "GMT") || streq(zone, "Etc/Zulu") || streq(zone, "Zulu")) {
    *ret = 0;
    return 0;
  }
  if (startswith(zone, "Etc/GMT") && (zone[7] == '+' || zone[7] == '-')) {
    char *end;
    long h = strtol(zone + 8, &end, 10);
    if (end == zone + 8 || *end || h < 0 || h > 14)
      return -ENOENT;
    /* POSIX-style names: Etc/GMT+5 is five hours west of Greenwich. */
    *ret = (zone[7] == '+' ? -h : h) * 3600;
    return 0;
  }
  return -ENOENT;
}
