/* Cron schedules (the parser and next-time computation behind CronJobs): used by API validation of
 * spec.schedule and by the CronJob controller. Pure code, no I/O. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

typedef struct CronSchedule {
  uint64_t minute;         /* bit n: minute n matches (0-59) */
  uint32_t hour;           /* 0-23 */
  uint32_t dom;            /* 1-31 */
  uint16_t month;          /* 1-12 */
  uint8_t dow;             /* 0-6, Sunday = 0 */
  bool dom_star, dow_star; /* the field was "*" or "?": the other day field alone decides */
} CronSchedule;

/* Parses a standard 5-field schedule (numbers, ranges a-b, steps /n, lists, month and weekday names,
 * "?" for a day field) or a descriptor (@yearly @annually @monthly @weekly @daily @midnight @hourly).
 * TZ= and CRON_TZ= prefixes are refused as Kubernetes does (spec.timeZone says where). -EINVAL with a
 * message in err. */
int cron_parse(const char *spec, CronSchedule *ret, Error *err);
/* The first matching minute strictly after t (Unix seconds), evaluated in a fixed UTC offset (seconds
 * east); -1 if none within five years. */
int64_t cron_next(const CronSchedule *s, int64_t t, int64_t utc_offset);
/* The UTC offset of a spec.timeZone value: "" / NULL / "UTC" / "Etc/UTC" / "Etc/GMT" = 0, "Etc/GMT+N" =
 * -N hours (POSIX sign). Other zones: -ENOENT (not supported yet). */
int cron_zone_offset(const char *zone, int64_t *ret);
