/* Label and field selectors (see selector.h). Clients compare what coracle answers with what a Kubernetes
 * API server answers, so this file reproduces k8s.io/apimachinery's behaviour rather than a cleaner
 * grammar: the label selector lexer and recursive-descent parser keep the same token rules, the same
 * error texts (including their quirks) and the same canonical printing; the LabelSelector JSON form is
 * checked the way metav1 validation checks it; and field selectors accept, per resource, exactly the
 * field labels the Kubernetes registry converts, reading values the way its "selectable fields" do. */
#include "api/selector.h"

#include <errno.h>
#include <stdarg.h>

#include "base/buf.h"
#include "base/strv.h"

/* Hard limits on what a request can make us parse (Kubernetes has none; a selector arrives in a URL). */
#define SELECTOR_MAX_BYTES (64 * 1024)
#define SELECTOR_MAX_REQUIREMENTS 1000

#define LABEL_NAME_MAX 63
#define LABEL_VALUE_MAX 63
#define DNS1123_SUBDOMAIN_MAX 253

/* ---- messages shared with Kubernetes' validation package ---- */

#define LABEL_KEY_REGEX_MSG                                                                                  \
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "   \
  "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "                    \
  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define DNS1123_SUBDOMAIN_REGEX_MSG                                                                          \
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " \
  "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "          \
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_VALUE_REGEX_MSG                                                                                \
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "  \
  "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "   \
  "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

static char *vformat(const char *fmt, va_list ap) {
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    oom();
  return s;
}

static bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] over s[0..n). */
static bool qualified_name_ok(const char *s, size_t n) {
  if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
      return false;
  return true;
}

static bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)* over s[0..n). */
static bool dns1123_subdomain_ok(const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') {
      if (!is_lower_alnum(s[i]) && s[i] != '-')
        return false;
      continue;
    }
    if (i == start || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]))
      return false;
    start = i + 1;
  }
  return true;
}

/* The messages validation.IsQualifiedName gives for a label key (empty list when valid). */
static char **label_key_errors(const char *key) {
  char **errs = NULL;
  const char *slash = strchr(key, '/');
  const char *name = key;
  if (slash && strchr(slash + 1, '/')) {
    strv_push(&errs, "a valid label key " LABEL_KEY_REGEX_MSG
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errs;
  }
  if (slash) {
    size_t plen = (size_t)(slash - key);
    if (plen == 0)
      strv_push(&errs, "prefix part must be non-empty");
    else {
      if (plen > DNS1123_SUBDOMAIN_MAX)
        strv_push(&errs, "prefix part must be no more than 253 characters");
      if (!dns1123_subdomain_ok(key, plen))
        strv_push(&errs, "prefix part " DNS1123_SUBDOMAIN_REGEX_MSG);
    }
    name = slash + 1;
  }
  size_t nlen = strlen(name);
  if (nlen == 0)
    strv_push(&errs, "name part must be non-empty");
  else if (nlen > LABEL_NAME_MAX)
    strv_push(&errs, "name part must be no more than 63 characters");
  if (!qualified_name_ok(name, nlen))
    strv_push(&errs, "name part " LABEL_KEY_REGEX_MSG);
  return errs;
}

/* The messages validation.IsValidLabelValue gives (empty list when valid). */
static char **label_value_errors(const char *value) {
  char **errs = NULL;
  size_t n = strlen(value);
  if (n > LABEL_VALUE_MAX)
    strv_push(&errs, "must be no more than 63 characters");
  if (n > 0 && !qualified_name_ok(value, n))
    strv_push(&errs, LABEL_VALUE_REGEX_MSG);
  return errs;
}

static void buf_put_joined(Buf *b, char **l, const char *sep) {
  for (size_t i = 0; l && l[i]; i++) {
    if (i > 0)
      buf_puts(b, sep);
    buf_puts(b, l[i]);
  }
}

/* Decodes one UTF-8 sequence; returns its length, or 0 when the bytes are not valid UTF-8. */
static size_t utf8_decode(const unsigned char *p, uint32_t *ret_cp) {
  size_t n;
  uint32_t cp;
  if (p[0] < 0x80)
    return *ret_cp = p[0], 1;
  if (p[0] >= 0xc2 && p[0] <= 0xdf)
    n = 2, cp = p[0] & 0x1f;
  else if (p[0] >= 0xe0 && p[0] <= 0xef)
    n = 3, cp = p[0] & 0x0f;
  else if (p[0] >= 0xf0 && p[0] <= 0xf4)
    n = 4, cp = p[0] & 0x07;
  else
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  *ret_cp = cp;
  return n;
}

/* Appends s quoted the way Go's %q does, since Kubernetes quotes bad values with it. Printable non-ASCII
 * is kept as is; only the common non-printable code points are escaped (close enough for messages). */
static void buf_put_go_quoted(Buf *b, const char *s) {
  buf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    uint32_t cp;
    size_t n = utf8_decode(p, &cp);
    if (n == 0) {
      buf_printf(b, "\\x%02x", *p++);
      continue;
    }
    if (n > 1) {
      if ((cp >= 0x80 && cp <= 0x9f) || cp == 0xad || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
        buf_printf(b, "\\u%04x", (unsigned)cp);
      else
        buf_append(b, p, n);
      p += n;
      continue;
    }
    buf_put_go_byte(b, *p++);
  }
  buf_putc(b, '"');
}

/* An errors.Aggregate message: one error as is, several as "[a, b]" with duplicates dropped. */
static char *aggregate_message(char **msgs) {
  _cleanup_strv_free_ char **seen = NULL;
  for (size_t i = 0; msgs && msgs[i]; i++)
    if (!strv_contains(seen, msgs[i]))
      strv_push(&seen, msgs[i]);
  if (strv_length(seen) == 1)
    return xstrdup(seen[0]);
  _cleanup_buf_ Buf b = BUF_INIT;
  buf_putc(&b, '[');
  buf_put_joined(&b, seen, ", ");
  buf_putc(&b, ']');
  return buf_steal(&b, NULL);
}

/* strconv.ParseInt(s, 10, 64): optional sign, at least one digit, no overflow. */
static bool parse_int64(const char *s, int64_t *ret) {
  bool neg = false;
  if (*s == '+' || *s == '-')
    neg = *s++ == '-';
  if (!*s)
    return false;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return false;
    unsigned d = (unsigned)(*s - '0');
    if (v > (limit - d) / 10)
      return false;
    v = v * 10 + d;
  }
  if (!neg)
    *ret = (int64_t)v;
  else
    *ret = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  return true;
}

static int cmp_strp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_strings(char **l, bool unique) {
  size_t n = strv_length(l);
  if (n < 2)
    return;
  qsort(l, n, sizeof(char *), cmp_strp);
  if (!unique)
    return;
  size_t w = 1;
  for (size_t r = 1; r < n; r++) {
    if (streq(l[r], l[w - 1]))
      free(l[r]);
    else
      l[w++] = l[r];
  }
  l[w] = NULL;
}

/* ======================================== label selectors ======================================== */

typedef enum LabelOp {
  LABEL_OP_IN,
  LABEL_OP_NOT_IN,
  LABEL_OP_EQUALS,
  LABEL_OP_DOUBLE_EQUALS,
  LABEL_OP_NOT_EQUALS,
  LABEL_OP_EXISTS,
  LABEL_OP_DOES_NOT_EXIST,
  LABEL_OP_GT,
  LABEL_OP_LT,
  _LABEL_OP_MAX,
  LABEL_OP_INVALID = -EINVAL,
} LabelOp;

/* What the canonical form prints between key and values ("!" of DoesNotExist goes before the key). */
static const char *const label_op_infix[_LABEL_OP_MAX] = {
    [LABEL_OP_IN] = " in ",          [LABEL_OP_NOT_IN] = " notin ", [LABEL_OP_EQUALS] = "=",
    [LABEL_OP_DOUBLE_EQUALS] = "==", [LABEL_OP_NOT_EQUALS] = "!=",  [LABEL_OP_EXISTS] = "",
    [LABEL_OP_DOES_NOT_EXIST] = "",  [LABEL_OP_GT] = ">",           [LABEL_OP_LT] = "<",
};

typedef struct LabelRequirement {
  char *key;
  LabelOp op;
  char **values; /* sorted (the canonical form prints them sorted); NULL for Exists/DoesNotExist */
  int64_t bound; /* the integer of Gt/Lt */
  size_t seq;    /* position before sorting by key, so that equal keys keep their order */
} LabelRequirement;

struct LabelSelector {
  LabelRequirement *reqs;
  size_t n_reqs, cap;
};

void label_selector_free(LabelSelector *sel) {
  if (!sel)
    return;
  for (size_t i = 0; i < sel->n_reqs; i++) {
    free(sel->reqs[i].key);
    strv_free(sel->reqs[i].values);
  }
  free(sel->reqs);
  free(sel);
}

/* Takes ownership of key and values. */
static void selector_add(LabelSelector *sel, char *key, LabelOp op, char **values) {
  if (sel->n_reqs == sel->cap) {
    sel->cap = MAX(sel->cap * 2, (size_t)4);
    sel->reqs = xrealloc(sel->reqs, sel->cap * sizeof(LabelRequirement));
  }
  LabelRequirement *r = &sel->reqs[sel->n_reqs];
  *r = (LabelRequirement){.key = key, .op = op, .values = values, .seq = sel->n_reqs};
  if ((op == LABEL_OP_GT || op == LABEL_OP_LT) && values && values[0])
    (void)parse_int64(values[0], &r->bound);
  sel->n_reqs++;
}

static int cmp_requirement(const void *a, const void *b) {
  const LabelRequirement *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c != 0)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Kubernetes sorts requirements by key so that equal selectors print equally. */
static void selector_sort(LabelSelector *sel) {
  if (sel->n_reqs > 1)
    qsort(sel->reqs, sel->n_reqs, sizeof(LabelRequirement), cmp_requirement);
}

/* ---- lexer: the token rules of labels.Lexer ---- */

typedef enum TokenType {
  TOKEN_END,
  TOKEN_CLOSE_PAREN,
  TOKEN_COMMA,
  TOKEN_NOT,
  TOKEN_DOUBLE_EQUALS,
  TOKEN_EQUALS,
  TOKEN_GT,
  TOKEN_IDENTIFIER,
  TOKEN_IN,
  TOKEN_LT,
  TOKEN_NOT_EQUALS,
  TOKEN_NOT_IN,
  TOKEN_OPEN_PAREN,
} TokenType;

typedef struct Token {
  TokenType type;
  const char *lit; /* points into the selector ("" at the end) */
  size_t len;
} Token;

static bool lex_is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool lex_is_special(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* An identifier is anything up to a special character or a blank: validation, not the lexer, rejects
 * odd characters, which is why "a b" is an operator error and "a$" a key error. Special characters form
 * the longest operator they can ("!=" and "=="); every single one is a token, so Kubernetes' ErrorToken
 * can never occur. */
static Token lex_next(const char **pp) {
  const char *p = *pp;
  while (lex_is_space(*p))
    p++;
  Token t = {.type = TOKEN_IDENTIFIER, .lit = p, .len = 0};
  if (!*p) {
    t.type = TOKEN_END;
  } else if (lex_is_special(*p)) {
    t.len = 1;
    if ((p[0] == '!' || p[0] == '=') && p[1] == '=') {
      t.type = p[0] == '!' ? TOKEN_NOT_EQUALS : TOKEN_DOUBLE_EQUALS;
      t.len = 2;
    } else {
      switch (*p) {
      case '=':
        t.type = TOKEN_EQUALS;
        break;
      case '!':
        t.type = TOKEN_NOT;
        break;
      case '(':
        t.type = TOKEN_OPEN_PAREN;
        break;
      case ')':
        t.type = TOKEN_CLOSE_PAREN;
        break;
      case ',':
        t.type = TOKEN_COMMA;
        break;
      case '>':
        t.type = TOKEN_GT;
        break;
      default:
        t.type = TOKEN_LT;
      }
    }
  } else {
    while (p[t.len] && !lex_is_special(p[t.len]) && !lex_is_space(p[t.len]))
      t.len++;
    if (t.len == 2 && memcmp(p, "in", 2) == 0)
      t.type = TOKEN_IN;
    else if (t.len == 5 && memcmp(p, "notin", 5) == 0)
      t.type = TOKEN_NOT_IN;
  }
  *pp = p + t.len;
  return t;
}

/* ---- parser: labels.Parser, one function per Go method so the error paths stay the same ---- */

typedef enum ParseContext {
  CONTEXT_KEY_AND_OPERATOR,
  CONTEXT_VALUES, /* "in" and "notin" are plain identifiers here: "in in (in)" is valid */
} ParseContext;

typedef struct Parser {
  Token *toks; /* the whole input, ending with TOKEN_END */
  size_t n_toks, pos;
  char *error;
} Parser;

static Token parser_peek(const Parser *p, ParseContext ctx) {
  Token t = p->toks[MIN(p->pos, p->n_toks - 1)];
  if (ctx == CONTEXT_VALUES && (t.type == TOKEN_IN || t.type == TOKEN_NOT_IN))
    t.type = TOKEN_IDENTIFIER;
  return t;
}

static Token parser_next(Parser *p, ParseContext ctx) {
  Token t = parser_peek(p, ctx);
  if (p->pos < p->n_toks - 1)
    p->pos++;
  return t;
}

_printf_(2, 3) static int parser_fail(Parser *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  free(p->error);
  p->error = vformat(fmt, ap);
  va_end(ap);
  return -EBADMSG;
}

#define TOK_FMT "%.*s"
#define TOK_ARG(t) (int)(t).len, (t).lit

static int parse_key_and_infer_operator(Parser *p, char **ret_key, LabelOp *ret_op) {
  LabelOp op = LABEL_OP_INVALID;
  Token t = parser_next(p, CONTEXT_VALUES);
  if (t.type == TOKEN_NOT) {
    op = LABEL_OP_DOES_NOT_EXIST;
    t = parser_next(p, CONTEXT_VALUES);
  }
  if (t.type != TOKEN_IDENTIFIER)
    return parser_fail(p, "found '" TOK_FMT "', expected: identifier", TOK_ARG(t));
  _cleanup_free_ char *key = xstrndup(t.lit, t.len);
  _cleanup_strv_free_ char **errs = label_key_errors(key);
  if (errs) {
    /* Kubernetes passes a nil field path here, which prints as "<nil>". */
    _cleanup_buf_ Buf b = BUF_INIT;
    buf_puts(&b, "<nil>: Invalid value: ");
    buf_put_go_quoted(&b, key);
    buf_puts(&b, ": ");
    buf_put_joined(&b, errs, "; ");
    return parser_fail(p, "%s", b.data);
  }
  Token la = parser_peek(p, CONTEXT_VALUES);
  if ((la.type == TOKEN_END || la.type == TOKEN_COMMA) && op != LABEL_OP_DOES_NOT_EXIST)
    op = LABEL_OP_EXISTS;
  *ret_key = TAKE_PTR(key);
  *ret_op = op;
  return 0;
}

static int parse_operator(Parser *p, LabelOp *ret_op) {
  Token t = parser_next(p, CONTEXT_KEY_AND_OPERATOR);
  switch (t.type) {
  case TOKEN_IN:
    *ret_op = LABEL_OP_IN;
    return 0;
  case TOKEN_EQUALS:
    *ret_op = LABEL_OP_EQUALS;
    return 0;
  case TOKEN_DOUBLE_EQUALS:
    *ret_op = LABEL_OP_DOUBLE_EQUALS;
    return 0;
  case TOKEN_GT:
    *ret_op = LABEL_OP_GT;
    return 0;
  case TOKEN_LT:
    *ret_op = LABEL_OP_LT;
    return 0;
  case TOKEN_NOT_IN:
    *ret_op = LABEL_OP_NOT_IN;
    return 0;
  case TOKEN_NOT_EQUALS:
    *ret_op = LABEL_OP_NOT_EQUALS;
    return 0;
  default:
    return parser_fail(p, "found '" TOK_FMT "', expected: in, notin, =, ==, !=, gt, lt", TOK_ARG(t));
  }
}

static void values_add(char ***values, Token t) {
  _cleanup_free_ char *v = xstrndup(t.lit, t.len);
  strv_push(values, v);
}

/* A possibly empty list of possibly empty identifiers: "(,)", "(a,,b)" and "(a,)" all hold "". */
static int parse_identifiers_list(Parser *p, char ***values) {
  for (;;) {
    Token t = parser_next(p, CONTEXT_VALUES);
    switch (t.type) {
    case TOKEN_IDENTIFIER: {
      values_add(values, t);
      Token la = parser_peek(p, CONTEXT_VALUES);
      if (la.type == TOKEN_COMMA)
        continue;
      if (la.type == TOKEN_CLOSE_PAREN)
        return 0;
      return parser_fail(p, "found '" TOK_FMT "', expected: ',' or ')'", TOK_ARG(la));
    }
    case TOKEN_COMMA: {
      if (!*values)
        strv_push(values, "");
      Token la = parser_peek(p, CONTEXT_VALUES);
      if (la.type == TOKEN_CLOSE_PAREN) {
        strv_push(values, "");
        return 0;
      }
      if (la.type == TOKEN_COMMA) {
        parser_next(p, CONTEXT_VALUES);
        strv_push(values, "");
      }
      break;
    }
    default:
      return parser_fail(p, "found '" TOK_FMT "', expected: ',', or identifier", TOK_ARG(t));
    }
  }
}

static int parse_values(Parser *p, char ***values) {
  Token t = parser_next(p, CONTEXT_VALUES);
  if (t.type != TOKEN_OPEN_PAREN)
    return parser_fail(p, "found '" TOK_FMT "' expected: '('", TOK_ARG(t));
  Token la = parser_peek(p, CONTEXT_VALUES);
  switch (la.type) {
  case TOKEN_IDENTIFIER:
  case TOKEN_COMMA: {
    int r = parse_identifiers_list(p, values);
    if (r < 0)
      return r;
    /* Kubernetes names the first token of the list here, not the one it found. */
    if (parser_next(p, CONTEXT_VALUES).type != TOKEN_CLOSE_PAREN)
      return parser_fail(p, "found '" TOK_FMT "', expected: ')'", TOK_ARG(la));
    return 0;
  }
  case TOKEN_CLOSE_PAREN:
    parser_next(p, CONTEXT_VALUES);
    strv_push(values, "");
    return 0;
  default:
    return parser_fail(p, "found '" TOK_FMT "', expected: ',', ')' or identifier", TOK_ARG(la));
  }
}

static int parse_exact_value(Parser *p, char ***values) {
  Token la = parser_peek(p, CONTEXT_VALUES);
  if (la.type == TOKEN_END || la.type == TOKEN_COMMA) {
    strv_push(values, "");
    return 0;
  }
  Token t = parser_next(p, CONTEXT_VALUES);
  if (t.type != TOKEN_IDENTIFIER)
    return parser_fail(p, "found '" TOK_FMT "', expected: identifier", TOK_ARG(t));
  values_add(values, t);
  return 0;
}

/* The value checks of labels.NewRequirement for a parsed requirement (its key is already checked and
 * the parser always yields the right number of values), as one aggregate message or NULL. */
static char *requirement_value_errors(const char *key, LabelOp op, char **values) {
  _cleanup_strv_free_ char **msgs = NULL;
  _cleanup_buf_ Buf b = BUF_INIT;
  for (size_t i = 0; (op == LABEL_OP_GT || op == LABEL_OP_LT) && values[i]; i++) {
    int64_t unused;
    if (parse_int64(values[i], &unused))
      continue;
    buf_reset(&b);
    buf_printf(&b, "values[%zu]: Invalid value: ", i);
    buf_put_go_quoted(&b, values[i]);
    buf_puts(&b, ": for 'Gt', 'Lt' operators, the value must be an integer");
    strv_push(&msgs, b.data);
  }
  for (size_t i = 0; values && values[i]; i++) {
    _cleanup_strv_free_ char **errs = label_value_errors(values[i]);
    if (!errs)
      continue;
    buf_reset(&b);
    buf_printf(&b, "values[%zu][%s]: Invalid value: ", i, key);
    buf_put_go_quoted(&b, values[i]);
    buf_puts(&b, ": ");
    buf_put_joined(&b, errs, "; ");
    strv_push(&msgs, b.data);
  }
  return msgs ? aggregate_message(msgs) : NULL;
}

static int parse_requirement(Parser *p, LabelSelector *sel) {
  _cleanup_free_ char *key = NULL;
  LabelOp op = LABEL_OP_INVALID;
  int r = parse_key_and_infer_operator(p, &key, &op);
  if (r < 0)
    return r;
  if (op == LABEL_OP_EXISTS || op == LABEL_OP_DOES_NOT_EXIST) {
    selector_add(sel, TAKE_PTR(key), op, NULL);
    return 0;
  }
  r = parse_operator(p, &op);
  if (r < 0)
    return r;
  _cleanup_strv_free_ char **values = NULL;
  if (op == LABEL_OP_IN || op == LABEL_OP_NOT_IN)
    r = parse_values(p, &values);
  else
    r = parse_exact_value(p, &values);
  if (r < 0)
    return r;
  sort_strings(values, true); /* a set, as in Kubernetes */
  _cleanup_free_ char *msg = requirement_value_errors(key, op, values);
  if (msg)
    return parser_fail(p, "%s", msg);
  selector_add(sel, TAKE_PTR(key), op, TAKE_PTR(values));
  return 0;
}

static int parse_selector(Parser *p, LabelSelector *sel) {
  for (;;) {
    Token t = parser_peek(p, CONTEXT_VALUES);
    switch (t.type) {
    case TOKEN_IDENTIFIER:
    case TOKEN_NOT: {
      if (sel->n_reqs >= SELECTOR_MAX_REQUIREMENTS)
        return parser_fail(p, "label selector has too many requirements (at most %d)",
                           SELECTOR_MAX_REQUIREMENTS);
      if (parse_requirement(p, sel) < 0) {
        _cleanup_free_ char *inner = TAKE_PTR(p->error);
        return parser_fail(p, "unable to parse requirement: %s", inner);
      }
      Token next = parser_next(p, CONTEXT_VALUES);
      if (next.type == TOKEN_END)
        return 0;
      if (next.type != TOKEN_COMMA)
        return parser_fail(p, "found '" TOK_FMT "', expected: ',' or 'end of string'", TOK_ARG(next));
      Token la = parser_peek(p, CONTEXT_VALUES);
      if (la.type != TOKEN_IDENTIFIER && la.type != TOKEN_NOT)
        return parser_fail(p, "found '" TOK_FMT "', expected: identifier after ','", TOK_ARG(la));
      break;
    }
    case TOKEN_END:
      return 0;
    default:
      return parser_fail(p, "found '" TOK_FMT "', expected: !, identifier, or 'end of string'", TOK_ARG(t));
    }
  }
}

int label_selector_parse(const char *s, LabelSelector **ret, Error *err) {
  if (!s)
    s = "";
  size_t len = strlen(s);
  if (len > SELECTOR_MAX_BYTES)
    return error_set(err, -EBADMSG, NULL, "label selector is too long (%zu bytes, at most %d)", len,
                     SELECTOR_MAX_BYTES);

  /* Tokenise everything first, as Kubernetes does: the parser needs one token of lookahead anywhere. */
  _cleanup_free_ Token *toks = xmalloc((len + 1) * sizeof(Token));
  size_t n = 0;
  for (const char *p = s;;) {
    toks[n] = lex_next(&p);
    if (toks[n++].type == TOKEN_END)
      break;
  }

  LabelSelector *sel = xzalloc(sizeof *sel);
  Parser p = {.toks = toks, .n_toks = n};
  if (parse_selector(&p, sel) < 0) {
    label_selector_free(sel);
    int r = error_set(err, -EBADMSG, NULL, "%s", p.error);
    free(p.error);
    return r;
  }
  selector_sort(sel);
  *ret = sel;
  return 0;
}

/* ---- the metav1.LabelSelector JSON form ---- */

typedef struct Cause {
  const char *reason; /* static */
  char *field;
  char *body; /* field.Error.ErrorBody(): "Invalid value: \"x\": detail" */
} Cause;

typedef struct Causes {
  Cause *items;
  size_t n;
} Causes;

static void causes_free(Causes *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->items[i].field);
    free(c->items[i].body);
  }
  free(c->items);
}

static void causes_push(Causes *c, const char *reason, const char *field, char *body) {
  c->items = xrealloc(c->items, (c->n + 1) * sizeof(Cause));
  c->items[c->n++] = (Cause){.reason = reason, .field = xstrdup(field), .body = body};
}

/* field.Invalid with a string value. */
static void causes_invalid(Causes *c, const char *field, const char *value, const char *detail) {
  Buf b = BUF_INIT;
  buf_puts(&b, "Invalid value: ");
  buf_put_go_quoted(&b, value);
  buf_printf(&b, ": %s", detail);
  causes_push(c, "FieldValueInvalid", field, buf_steal(&b, NULL));
}

/* A JSON value of the wrong type, printed as JSON (Kubernetes would reject it while decoding). */
static void causes_wrong_type(Causes *c, const char *field, json_t *v, const char *detail) {
  _cleanup_free_ char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  causes_push(c, "FieldValueTypeInvalid", field,
              xasprintf("Invalid value: %s: %s", dump ? dump : "?", detail));
}

/* Turns the collected causes into an Invalid error (422) whose message reads like Kubernetes' aggregate. */
static int causes_finish(Causes *c, Error *err) {
  _cleanup_strv_free_ char **msgs = NULL;
  for (size_t i = 0; i < c->n; i++) {
    _cleanup_free_ char *m = xasprintf("%s: %s", c->items[i].field, c->items[i].body);
    strv_push(&msgs, m);
  }
  _cleanup_free_ char *msg = aggregate_message(msgs);
  int r = error_set(err, -EINVAL, NULL, "%s", msg);
  for (size_t i = 0; i < c->n; i++)
    error_add_cause(err, c->items[i].reason, c->items[i].field, "%s", c->items[i].body);
  return r;
}

static LabelOp label_op_from_json(const char *s) {
  if (streq(s, "In"))
    return LABEL_OP_IN;
  if (streq(s, "NotIn"))
    return LABEL_OP_NOT_IN;
  if (streq(s, "Exists"))
    return LABEL_OP_EXISTS;
  if (streq(s, "DoesNotExist"))
    return LABEL_OP_DOES_NOT_EXIST;
  return LABEL_OP_INVALID;
}

static void check_label_key(Causes *c, const char *field, const char *key) {
  _cleanup_strv_free_ char **errs = label_key_errors(key);
  for (size_t i = 0; errs && errs[i]; i++)
    causes_invalid(c, field, key, errs[i]);
}

static void check_label_value(Causes *c, const char *field, const char *value) {
  _cleanup_strv_free_ char **errs = label_value_errors(value);
  for (size_t i = 0; errs && errs[i]; i++)
    causes_invalid(c, field, value, errs[i]);
}

/* Checks one matchExpressions entry the way ValidateLabelSelectorRequirement does; adds it to sel when it
 * is well-formed. */
static void expression_from_json(json_t *e, size_t idx, Causes *c, LabelSelector *sel) {
  _cleanup_free_ char *path = xasprintf("matchExpressions[%zu]", idx);
  if (!json_is_object(e)) {
    causes_wrong_type(c, path, e, "must be an object");
    return;
  }
  size_t before = c->n;
  _cleanup_free_ char *key_path = xasprintf("%s.key", path);
  _cleanup_free_ char *op_path = xasprintf("%s.operator", path);
  _cleanup_free_ char *values_path = xasprintf("%s.values", path);

  json_t *jkey = json_object_get(e, "key"), *jop = json_object_get(e, "operator");
  json_t *jvalues = json_object_get(e, "values");
  const char *key = "", *opname = "";
  if (jkey && !json_is_null(jkey) && !json_is_string(jkey))
    causes_wrong_type(c, key_path, jkey, "must be a string");
  else if (jkey)
    key = json_is_string(jkey) ? json_string_value(jkey) : "";
  if (jop && !json_is_null(jop) && !json_is_string(jop))
    causes_wrong_type(c, op_path, jop, "must be a string");
  else if (jop)
    opname = json_is_string(jop) ? json_string_value(jop) : "";

  _cleanup_strv_free_ char **values = NULL;
  size_t n_values = 0;
  if (jvalues && !json_is_null(jvalues) && !json_is_array(jvalues)) {
    causes_wrong_type(c, values_path, jvalues, "must be an array of strings");
  } else if (jvalues) {
    n_values = json_array_size(jvalues);
    for (size_t j = 0; j < n_values; j++) {
      json_t *v = json_array_get(jvalues, j);
      _cleanup_free_ char *vpath = xasprintf("%s[%zu]", values_path, j);
      if (!json_is_string(v)) {
        causes_wrong_type(c, vpath, v, "must be a string");
        continue;
      }
      strv_push(&values, json_string_value(v));
    }
  }

  LabelOp op = label_op_from_json(opname);
  bool type_ok = c->n == before;
  switch (op) {
  case LABEL_OP_IN:
  case LABEL_OP_NOT_IN:
    if (n_values == 0)
      causes_push(c, "FieldValueRequired", values_path,
                  xstrdup("Required value: must be specified when `operator` is 'In' or 'NotIn'"));
    break;
  case LABEL_OP_EXISTS:
  case LABEL_OP_DOES_NOT_EXIST:
    if (n_values > 0)
      causes_push(c, "FieldValueForbidden", values_path,
                  xstrdup("Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    break;
  default:
    if (!jop || json_is_string(jop) || json_is_null(jop))
      causes_invalid(c, op_path, opname, "not a valid selector operator");
  }
  if (!jkey || json_is_string(jkey) || json_is_null(jkey))
    check_label_key(c, key_path, key);
  for (size_t j = 0; type_ok && values && values[j]; j++) {
    _cleanup_free_ char *vpath = xasprintf("%s[%zu]", values_path, j);
    check_label_value(c, vpath, values[j]);
  }
  if (c->n != before)
    return;
  sort_strings(values, false); /* Kubernetes keeps duplicates here and sorts only when printing */
  selector_add(sel, xstrdup(key), op, TAKE_PTR(values));
}

int label_selector_from_json(json_t *js, LabelSelector **ret, Error *err) {
  if (js && !json_is_null(js) && !json_is_object(js))
    return error_set(err, -EINVAL, NULL, "label selector must be an object");

  LabelSelector *sel = xzalloc(sizeof *sel);
  _cleanup_(causes_free) Causes c = {0};
  json_t *labels = js ? json_object_get(js, "matchLabels") : NULL;
  json_t *exprs = js ? json_object_get(js, "matchExpressions") : NULL;
  size_t total = (json_is_object(labels) ? json_object_size(labels) : 0) + json_array_size(exprs);

  if (total > SELECTOR_MAX_REQUIREMENTS) {
    causes_push(&c, "FieldValueTooMany", json_array_size(exprs) ? "matchExpressions" : "matchLabels",
                xasprintf("Too many: %zu: must have at most %d items", total, SELECTOR_MAX_REQUIREMENTS));
  } else {
    if (labels && !json_is_null(labels) && !json_is_object(labels))
      causes_wrong_type(&c, "matchLabels", labels, "must be an object of strings");
    const char *k;
    json_t *v;
    json_object_foreach(json_is_object(labels) ? labels : NULL, k, v) {
      size_t before = c.n;
      check_label_key(&c, "matchLabels", k);
      if (!json_is_string(v)) {
        causes_wrong_type(&c, "matchLabels", v, "must be a string");
        continue;
      }
      check_label_value(&c, "matchLabels", json_string_value(v));
      if (c.n == before) {
        char **values = NULL;
        strv_push(&values, json_string_value(v));
        selector_add(sel, xstrdup(k), LABEL_OP_EQUALS, values);
      }
    }
    if (exprs && !json_is_null(exprs) && !json_is_array(exprs))
      causes_wrong_type(&c, "matchExpressions", exprs, "must be an array");
    for (size_t i = 0; i < json_array_size(exprs); i++)
      expression_from_json(json_array_get(exprs, i), i, &c, sel);
  }

  if (c.n > 0) {
    label_selector_free(sel);
    return causes_finish(&c, err);
  }
  selector_sort(sel);
  *ret = sel;
  return 0;
}

/* ---- applying and printing ---- */

static bool requirement_has_value(const LabelRequirement *r, const char *v) {
  for (size_t i = 0; r->values && r->values[i]; i++)
    if (streq(r->values[i], v))
      return true;
  return false;
}

bool label_selector_matches(const LabelSelector *sel, json_t *labels) {
  if (!sel)
    return true;
  for (size_t i = 0; i < sel->n_reqs; i++) {
    const LabelRequirement *r = &sel->reqs[i];
    json_t *jv = json_is_object(labels) ? json_object_get(labels, r->key) : NULL;
    bool has = jv != NULL;
    /* Labels are strings; a malformed non-string one counts as present but equal to nothing. */
    const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;
    bool ok;
    switch (r->op) {
    case LABEL_OP_IN:
    case LABEL_OP_EQUALS:
    case LABEL_OP_DOUBLE_EQUALS:
      ok = has && v && requirement_has_value(r, v);
      break;
    case LABEL_OP_NOT_IN:
    case LABEL_OP_NOT_EQUALS:
      ok = !has || !v || !requirement_has_value(r, v);
      break;
    case LABEL_OP_EXISTS:
      ok = has;
      break;
    case LABEL_OP_DOES_NOT_EXIST:
      ok = !has;
      break;
    case LABEL_OP_GT:
    case LABEL_OP_LT: {
      int64_t n;
      ok = has && v && parse_int64(v, &n) && (r->op == LABEL_OP_GT ? n > r->bound : n < r->bound);
      break;
    }
    default:
      ok = false;
    }
    if (!ok)
      return false;
  }
  return true;
}

bool label_selector_is_empty(const LabelSelector *sel) {
  return !sel || sel->n_reqs == 0;
}

char *label_selector_to_string(const LabelSelector *sel) {
  Buf b = BUF_INIT;
  for (size_t i = 0; sel && i < sel->n_reqs; i++) {
    const LabelRequirement *r = &sel->reqs[i];
    if (i > 0)
      buf_putc(&b, ',');
    if (r->op == LABEL_OP_DOES_NOT_EXIST)
      buf_putc(&b, '!');
    buf_puts(&b, r->key);
    if (r->op == LABEL_OP_EXISTS || r->op == LABEL_OP_DOES_NOT_EXIST)
      continue;
    buf_puts(&b, label_op_infix[r->op]);
    bool set = r->op == LABEL_OP_IN || r->op == LABEL_OP_NOT_IN;
    if (set)
      buf_putc(&b, '(');
    buf_put_joined(&b, r->values, ",");
    if (set)
      buf_putc(&b, ')');
  }
  return buf_steal(&b, NULL);
}

/* ======================================== field selectors ======================================== */

typedef struct FieldRequirement {
  char *field;
  char *value; /* unescaped */
  bool not_equals;
} FieldRequirement;

struct FieldSelector {
  FieldRequirement *reqs; /* in the order of their sorted source terms, as Kubernetes keeps them */
  size_t n_reqs;
};

void field_selector_free(FieldSelector *fs) {
  if (!fs)
    return;
  for (size_t i = 0; i < fs->n_reqs; i++) {
    free(fs->reqs[i].field);
    free(fs->reqs[i].value);
  }
  free(fs->reqs);
  free(fs);
}

/* fields.UnescapeValue: "\\", "\," and "\=" are the only escapes; a bare "," or "=" is an error. */
static int field_unescape(const char *s, size_t n, char **ret, Error *err) {
  Buf b = BUF_INIT;
  buf_reserve(&b, n);
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\\') {
      if (i + 1 == n) {
        buf_free(&b);
        return error_set(err, -EBADMSG, NULL, "invalid field selector: invalid escape sequence: \\");
      }
      c = s[++i];
      if (c != '\\' && c != ',' && c != '=') {
        /* Kubernetes names the whole rune after the backslash. */
        uint32_t cp;
        size_t len = utf8_decode((const unsigned char *)s + i, &cp);
        if (len == 0 || i + len > n)
          len = 1;
        buf_free(&b);
        return error_set(err, -EBADMSG, NULL, "invalid field selector: invalid escape sequence: \\%.*s",
                         (int)len, s + i);
      }
    } else if (c == ',' || c == '=') {
      buf_free(&b);
      /* Kubernetes formats the rune with %v, which prints its number (61 for '='). */
      return error_set(err, -EBADMSG, NULL, "invalid field selector: unescaped character in value: %d", c);
    }
    buf_putc(&b, c);
  }
  *ret = buf_steal(&b, NULL);
  return 0;
}

static int cmp_slice(const void *a, const void *b) {
  const Slice *x = a, *y = b;
  int c = memcmp(x->ptr, y->ptr, MIN(x->len, y->len));
  if (c != 0)
    return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

int field_selector_parse(const char *s, FieldSelector **ret, Error *err) {
  if (!s)
    s = "";
  size_t len = strlen(s);
  if (len > SELECTOR_MAX_BYTES)
    return error_set(err, -EBADMSG, NULL, "field selector is too long (%zu bytes, at most %d)", len,
                     SELECTOR_MAX_BYTES);

  /* Split at commas not escaped by a backslash; the escapes stay in the terms until unescaping. */
  _cleanup_free_ Slice *terms = xmalloc((len + 1) * sizeof(Slice));
  size_t n_terms = 0, start = 0;
  bool in_slash = false;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && in_slash)
      in_slash = false;
    else if (i < len && s[i] == '\\')
      in_slash = true;
    else if (i == len || s[i] == ',') {
      terms[n_terms++] = (Slice){s + start, i - start};
      start = i + 1;
    }
  }
  if (len == 0)
    n_terms = 0;
  /* Kubernetes sorts the raw terms; it decides which error is reported first and the order of terms. */
  qsort(terms, n_terms, sizeof(Slice), cmp_slice);

  FieldSelector *fs = xzalloc(sizeof *fs);
  for (size_t t = 0; t < n_terms; t++) {
    const char *p = terms[t].ptr;
    size_t n = terms[t].len;
    if (n == 0)
      continue;
    if (fs->n_reqs >= SELECTOR_MAX_REQUIREMENTS) {
      field_selector_free(fs);
      return error_set(err, -EBADMSG, NULL, "field selector has too many requirements (at most %d)",
                       SELECTOR_MAX_REQUIREMENTS);
    }
    /* The first operator wins: the field part has no escapes. "!=" and "==" are tried before "=". */
    size_t i = 0, oplen = 0;
    bool neg = false;
    for (; i < n; i++) {
      if (p[i] == '!' && i + 1 < n && p[i + 1] == '=') {
        neg = true, oplen = 2;
        break;
      }
      if (p[i] == '=') {
        oplen = i + 1 < n && p[i + 1] == '=' ? 2 : 1;
        break;
      }
    }
    if (oplen == 0) {
      field_selector_free(fs);
      return error_set(err, -EBADMSG, NULL, "invalid selector: '%s'; can't understand '%.*s'", s, (int)n, p);
    }
    char *value = NULL;
    int r = field_unescape(p + i + oplen, n - i - oplen, &value, err);
    if (r < 0) {
      field_selector_free(fs);
      return r;
    }
    fs->reqs = xrealloc(fs->reqs, (fs->n_reqs + 1) * sizeof(FieldRequirement));
    fs->reqs[fs->n_reqs++] = (FieldRequirement){.field = xstrndup(p, i), .value = value, .not_equals = neg};
  }
  *ret = fs;
  return 0;
}

/* ---- which fields each resource supports and where their values live ----
 * The labels are those of the Kubernetes field label conversion functions (pkg/apis/<group>/<version>/
 * conversion.go); the values follow the registry's ToSelectableFields, which works on internal objects:
 * zero values print as "false" / "0", and a few labels read a differently named field. */

typedef struct FieldSpec {
  const char *label;
  /* JSON paths tried in order; the first non-empty value wins. Several paths let one table serve both
   * the core/v1 and the events.k8s.io/v1 shapes of an Event. No path: Kubernetes never fills the field. */
  const char *paths[4];
  const char *absent; /* value when every path is missing or empty; NULL means "" */
} FieldSpec;

typedef enum FieldErrorStyle {
  FIELD_ERROR_NOT_SUPPORTED, /* field label not supported: x */
  FIELD_ERROR_JOB,           /* field label "x" not supported for batchv1.Job */
  FIELD_ERROR_DEFAULT, /* "x" is not a known field selector: only "metadata.name", "metadata.namespace" */
} FieldErrorStyle;

typedef struct ResourceFields {
  const char *group;
  const char *resource;
  FieldErrorStyle style;
  const FieldSpec *fields; /* ends with {NULL} */
} ResourceFields;

#define META_NAME                                                                                            \
  { "metadata.name", {"metadata.name"}, NULL }
#define META_NAMESPACE                                                                                       \
  { "metadata.namespace", {"metadata.namespace"}, NULL }
#define SAME(label)                                                                                          \
  { label, {label}, NULL }

static const FieldSpec pod_fields[] = {
    META_NAME,
    META_NAMESPACE,
    SAME("spec.nodeName"),
    {"spec.host", {"spec.nodeName"}, NULL}, /* what old v1 clients call spec.nodeName */
    SAME("spec.restartPolicy"),
    SAME("spec.schedulerName"),
    SAME("spec.serviceAccountName"),
    {"spec.hostNetwork", {"spec.hostNetwork"}, "false"},
    SAME("status.phase"),
    {"status.podIP", {"status.podIPs.0.ip", "status.podIP"}, NULL},
    /* Accepted by the conversion but absent from the pod's selectable fields: it only ever equals "". */
    {"status.podIPs", {NULL}, NULL},
    SAME("status.nominatedNodeName"),
    {NULL, {NULL}, NULL},
};

static const FieldSpec node_fields[] = {
    META_NAME,
    {"spec.unschedulable", {"spec.unschedulable"}, "false"},
    {NULL, {NULL}, NULL},
};

static const FieldSpec replication_controller_fields[] = {
    META_NAME,
    META_NAMESPACE,
    {"status.replicas", {"status.replicas"}, "0"},
    {NULL, {NULL}, NULL},
};

/* Event.source is the reporting component of old events, else the reporting controller. */
#define EVENT_SOURCE                                                                                         \
  {                                                                                                          \
    "source",                                                                                                \
        {"source.component", "deprecatedSource.component", "reportingComponent", "reportingController"},     \
        NULL                                                                                                 \
  }

#define EVENT_OBJECT(core, events, which)                                                                    \
  { which, {core, events}, NULL }

static const FieldSpec core_event_fields[] = {
    EVENT_OBJECT("involvedObject.kind", "regarding.kind", "involvedObject.kind"),
    EVENT_OBJECT("involvedObject.namespace", "regarding.namespace", "involvedObject.namespace"),
    EVENT_OBJECT("involvedObject.name", "regarding.name", "involvedObject.name"),
    EVENT_OBJECT("involvedObject.uid", "regarding.uid", "involvedObject.uid"),
    EVENT_OBJECT("involvedObject.apiVersion", "regarding.apiVersion", "involvedObject.apiVersion"),
    EVENT_OBJECT("involvedObject.resourceVersion", "regarding.resourceVersion",
                 "involvedObject.resourceVersion"),
    EVENT_OBJECT("involvedObject.fieldPath", "regarding.fieldPath", "involvedObject.fieldPath"),
    SAME("reason"),
    {"reportingComponent", {"reportingComponent", "reportingController"}, NULL},
    EVENT_SOURCE,
    SAME("type"),
    META_NAMESPACE,
    META_NAME,
    {NULL, {NULL}, NULL},
};

/* events.k8s.io/v1 spells involvedObject "regarding" and reportingComponent "reportingController". */
static const FieldSpec events_event_fields[] = {
    SAME("reason"),
    EVENT_OBJECT("involvedObject.kind", "regarding.kind", "regarding.kind"),
    EVENT_OBJECT("involvedObject.namespace", "regarding.namespace", "regarding.namespace"),
    EVENT_OBJECT("involvedObject.name", "regarding.name", "regarding.name"),
    EVENT_OBJECT("involvedObject.uid", "regarding.uid", "regarding.uid"),
    EVENT_OBJECT("involvedObject.apiVersion", "regarding.apiVersion", "regarding.apiVersion"),
    EVENT_OBJECT("involvedObject.resourceVersion", "regarding.resourceVersion", "regarding.resourceVersion"),
    EVENT_OBJECT("involvedObject.fieldPath", "regarding.fieldPath", "regarding.fieldPath"),
    {"reportingController", {"reportingComponent", "reportingController"}, NULL},
    EVENT_SOURCE,
    SAME("type"),
    META_NAMESPACE,
    META_NAME,
    {NULL, {NULL}, NULL},
};

static const FieldSpec namespace_fields[] = {
    SAME("status.phase"),
    META_NAME,
    {NULL, {NULL}, NULL},
};

static const FieldSpec secret_fields[] = {
    SAME("type"),
    META_NAMESPACE,
    META_NAME,
    {NULL, {NULL}, NULL},
};

static const FieldSpec service_fields[] = {
    META_NAMESPACE, META_NAME, SAME("spec.clusterIP"), SAME("spec.type"), {NULL, {NULL}, NULL},
};

static const FieldSpec job_fields[] = {
    META_NAME,
    META_NAMESPACE,
    {"status.successful", {"status.succeeded"}, "0"},
    {NULL, {NULL}, NULL},
};

static const FieldSpec csr_fields[] = {
    META_NAME,
    SAME("spec.signerName"),
    {NULL, {NULL}, NULL},
};

/* Everything without its own conversion function (ReplicaSets included: Kubernetes documents
 * status.replicas for them but rejects it). */
static const FieldSpec default_fields[] = {
    META_NAME,
    META_NAMESPACE,
    {NULL, {NULL}, NULL},
};

static const ResourceFields resource_fields[] = {
    {"", "pods", FIELD_ERROR_NOT_SUPPORTED, pod_fields},
    {"", "nodes", FIELD_ERROR_NOT_SUPPORTED, node_fields},
    {"", "replicationcontrollers", FIELD_ERROR_NOT_SUPPORTED, replication_controller_fields},
    {"", "events", FIELD_ERROR_NOT_SUPPORTED, core_event_fields},
    {"events.k8s.io", "events", FIELD_ERROR_NOT_SUPPORTED, events_event_fields},
    {"", "namespaces", FIELD_ERROR_NOT_SUPPORTED, namespace_fields},
    {"", "secrets", FIELD_ERROR_NOT_SUPPORTED, secret_fields},
    {"", "services", FIELD_ERROR_NOT_SUPPORTED, service_fields},
    {"batch", "jobs", FIELD_ERROR_JOB, job_fields},
    {"certificates.k8s.io", "certificatesigningrequests", FIELD_ERROR_NOT_SUPPORTED, csr_fields},
};

static const ResourceFields default_resource = {NULL, NULL, FIELD_ERROR_DEFAULT, default_fields};

static const ResourceFields *resource_fields_find(const char *group, const char *resource) {
  if (!group)
    group = "";
  for (size_t i = 0; resource && i < ELEMENTSOF(resource_fields); i++)
    if (streq(resource_fields[i].group, group) && streq(resource_fields[i].resource, resource))
      return &resource_fields[i];
  return &default_resource;
}

static const FieldSpec *field_spec_find(const ResourceFields *rf, const char *label) {
  for (const FieldSpec *f = rf->fields; f->label; f++)
    if (streq(f->label, label))
      return f;
  return NULL;
}

int field_selector_validate(const FieldSelector *fs, const char *group, const char *resource, Error *err) {
  const ResourceFields *rf = resource_fields_find(group, resource);
  for (size_t i = 0; fs && i < fs->n_reqs; i++) {
    const char *f = fs->reqs[i].field;
    if (field_spec_find(rf, f))
      continue;
    if (rf->style == FIELD_ERROR_NOT_SUPPORTED)
      return error_set(err, -EBADMSG, NULL, "field label not supported: %s", f);
    _cleanup_buf_ Buf b = BUF_INIT;
    if (rf->style == FIELD_ERROR_JOB) {
      buf_puts(&b, "field label ");
      buf_put_go_quoted(&b, f);
      buf_puts(&b, " not supported for batchv1.Job");
    } else {
      buf_put_go_quoted(&b, f);
      buf_puts(&b, " is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
    }
    return error_set(err, -EBADMSG, NULL, "%s", b.data);
  }
  return 0;
}

/* The value at a dotted path; numeric segments index arrays ("status.podIPs.0.ip"). */
static json_t *json_at(json_t *o, const char *path) {
  for (;;) {
    const char *dot = strchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    if (json_is_object(o))
      o = json_object_getn(o, path, n);
    else if (json_is_array(o) && n > 0 && strspn(path, "0123456789") >= n)
      o = json_array_get(o, strtoul(path, NULL, 10));
    else
      return NULL;
    if (!dot || !o)
      return o;
    path = dot + 1;
  }
}

/* The text a field selector compares: strings as they are, integers in decimal, booleans as
 * "true"/"false"; anything else (missing, null, objects) as "". Returns v's string or scratch. */
static const char *json_selector_text(json_t *v, char scratch[static 32]) {
  if (json_is_string(v))
    return json_string_value(v);
  if (json_is_integer(v)) {
    snprintf(scratch, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return scratch;
  }
  if (json_is_real(v)) {
    snprintf(scratch, 32, "%.17g", json_real_value(v));
    return scratch;
  }
  if (json_is_boolean(v))
    return json_is_true(v) ? "true" : "false";
  return "";
}

static const char *field_value(const ResourceFields *rf, const char *label, json_t *obj,
                               char scratch[static 32]) {
  const FieldSpec *f = field_spec_find(rf, label);
  if (!f) /* unsupported (the caller skipped validation): read the path as written */
    return json_selector_text(json_at(obj, label), scratch);
  for (size_t i = 0; i < ELEMENTSOF(f->paths) && f->paths[i]; i++) {
    const char *v = json_selector_text(json_at(obj, f->paths[i]), scratch);
    if (*v)
      return v;
  }
  return f->absent ? f->absent : "";
}

bool field_selector_matches(const FieldSelector *fs, const char *group, const char *resource, json_t *obj) {
  if (!fs)
    return true;
  const ResourceFields *rf = resource_fields_find(group, resource);
  for (size_t i = 0; i < fs->n_reqs; i++) {
    char scratch[32];
    bool eq = streq(field_value(rf, fs->reqs[i].field, obj, scratch), fs->reqs[i].value);
    if (eq == fs->reqs[i].not_equals)
      return false;
  }
  return true;
}

bool field_selector_is_empty(const FieldSelector *fs) {
  return !fs || fs->n_reqs == 0;
}

const char *field_selector_required_value(const FieldSelector *fs, const char *field) {
  for (size_t i = 0; fs && i < fs->n_reqs; i++)
    if (!fs->reqs[i].not_equals && streq(fs->reqs[i].field, field))
      return fs->reqs[i].value;
  return NULL;
}
