/* Private declarations shared by the Table printers (table.c and table-*.c): the printer registry entry,
 * tolerant JSON accessors that read user objects the way Go reads a zero-valued struct (a missing or
 * mistyped field is simply absent), cell appenders, and the formatting helpers several printers share
 * (ages, label selectors, container lists, access modes). Nothing here is part of the public API. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/util.h"

typedef struct TableColumn {
  const char *name;
  const char *type;   /* as Kubernetes declares it: "string", "integer", "boolean", "date" */
  const char *format; /* "name" for the column holding the object's name, else "" */
  int priority;       /* 0 = always shown, 1 = only with `-o wide` */
  const char *description;
} TableColumn;

/* Appends exactly one cell per column of the printer to cells. obj may be anything (even NULL). */
typedef void (*TableRowFn)(json_t *obj, int64_t now, json_t *cells);

typedef struct TablePrinter {
  const char *group;
  const char *resource;
  const TableColumn *columns;
  size_t n_columns;
  TableRowFn row;
} TablePrinter;

#define TABLE_PRINTER(g, r, cols, fn)                                                                        \
  { (g), (r), (cols), ELEMENTSOF(cols), (fn) }

/* The printers of each file; table.c looks resources up in all of them. */
extern const TablePrinter table_core_printers[];
extern const size_t table_core_printers_len;
extern const TablePrinter table_workload_printers[];
extern const size_t table_workload_printers_len;
extern const TablePrinter table_misc_printers[];
extern const size_t table_misc_printers_len;

/* Shared column definitions: every Name column and every Age column look the same. */
#define TABLE_COL_NAME                                                                                       \
  { "Name", "string", "name", 0, "Name of the object, unique within its namespace." }
#define TABLE_COL_AGE                                                                                        \
  { "Age", "string", "", 0, "Time since the object was created." }
#define TABLE_COL_CONTAINERS                                                                                 \
  { "Containers", "string", "", 1, "Names of the containers in the pod template." }
#define TABLE_COL_IMAGES                                                                                     \
  { "Images", "string", "", 1, "Images of the containers in the pod template." }

/* --- JSON access. Paths are dot-separated object keys ("status.podIP"); every step must be an object.
 * A NULL or empty path names v itself.
 * Keys that contain dots (labels, annotations) are read with json_object_get on the map itself. */
json_t *table_get(json_t *v, const char *path);
/* The string at path, or NULL when missing or not a string. */
const char *table_str(json_t *v, const char *path);
/* The string at path, or "" when missing (Go's zero value). */
const char *table_str0(json_t *v, const char *path);
/* The string at path, or fallback when missing or empty. */
const char *table_str_or(json_t *v, const char *path, const char *fallback);
/* The integer at path, or 0 when missing or not an integer. */
int64_t table_int(json_t *v, const char *path);
/* True and the integer at path when it is one. */
bool table_int_p(json_t *v, const char *path, int64_t *ret);
/* True only for a JSON true. */
bool table_bool(json_t *v, const char *path);
/* The array/object at path or NULL. */
json_t *table_arr(json_t *v, const char *path);
json_t *table_obj(json_t *v, const char *path);
size_t table_arr_len(json_t *v, const char *path);
size_t table_obj_len(json_t *v, const char *path);
/* True when the field is present and not null — the Go "pointer != nil" test. */
bool table_present(json_t *v, const char *path);

/* --- Cells. NULL strings become "". */
void table_cell_str(json_t *cells, const char *s);
void table_cell_int(json_t *cells, int64_t v);
void table_cell_bool(json_t *cells, bool v);
void table_cell_buf(json_t *cells, const Buf *b);
void table_cell_fmt(json_t *cells, const char *fmt, ...) _printf_(2, 3);
/* The AGE cell: time since metadata.creationTimestamp. */
void table_cell_age(json_t *cells, json_t *obj, int64_t now);

/* --- Time. */
/* Parses an RFC 3339 timestamp; false for missing, unparsable or Go's zero time (year 1). */
bool table_time(json_t *v, const char *path, int64_t *ret);
/* Kubernetes' HumanDuration including its "<invalid>" for clearly negative durations. */
void table_human_duration(int64_t seconds, char buf[static 32]);
/* Time since the timestamp at path: "<unknown>" when it is missing or zero. */
void table_since(json_t *v, const char *path, int64_t now, char buf[static 32]);

/* --- Shared formatting. */
/* "k1=v1,k2=v2" sorted by key (labels.FormatLabels); "<none>" for an empty or missing map. */
void table_format_labels(Buf *b, json_t *map);
/* The metav1.LabelSelector's canonical string (requirements sorted by key); "" for nil or empty.
 * Returns false (b unspecified) when Kubernetes would fail to convert it. */
bool table_selector_string(Buf *b, json_t *sel);
/* metav1.FormatLabelSelector: like table_selector_string but "<none>" for empty and "<error>" on failure. */
void table_format_selector(Buf *b, json_t *sel);
/* Comma-joined names and images of a container list (layoutContainerCells). */
void table_containers(json_t *containers, Buf *names, Buf *images);
/* "RWO,ROX,RWX,RWOP" in that fixed order, each at most once. */
void table_access_modes(Buf *b, json_t *modes);
/* A resource.Quantity as Kubernetes prints it. Missing gives "0" (Go's zero Quantity). The stored
 * string is printed as is: objects are expected to carry canonical quantities already. */
const char *table_quantity(json_t *q, char buf[static 64]);
/* Sorts a string vector bytewise (Go's sort.Strings). */
void table_sort_strv(char **strv);
/* Joins strv with sep after sorting it and dropping duplicates (a Go sets.String's List()). */
void table_join_sorted_unique(Buf *b, char **strv, const char *sep);
/* strings.ToLower for ASCII (Kind names are ASCII). */
void table_put_lower(Buf *b, const char *s);
