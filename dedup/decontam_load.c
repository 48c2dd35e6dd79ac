/* dedup/decontam_load.c — benchmark files → benchmark texts: presets, the FIELDS grammar
 * (decontam.h), and readers for JSONL, JSON arrays, CSV (RFC 4180) and ASDiv-style XML.
 * A broken record or a missing required field is a problem naming file and line; loading goes
 * on with the next record. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/io.h"
#include "common/json.h"
#include "dedup/decontam_int.h"

/* ---------------------------------------------------------------- presets */

typedef struct preset {
    const char *name;
    const char *json; /* FIELDS for JSONL / JSON arrays */
    const char *csv;  /* FIELDS for CSV */
    const char *xml;  /* FIELDS for XML */
} preset;

/* Questions and worked answers/solutions, as DeepSeekMath decontaminated.  Left out: final
 * answers on their own (MATH "answer", CMATH "golden", MGSM "answer": "3, 5, 7", "18" — the
 * solution holds them anyway) and multiple-choice options ("None of the above" as a whole-text
 * match would remove every page that merely says so). */
static const preset presets[] = {
    {"gsm8k", "question,answer", NULL, NULL},
    {"math", "problem,solution", NULL, NULL},
    {"math500", "problem,solution", NULL, NULL},
    {"cmath", "input|question,original?", NULL, NULL},
    {"agieval", "passage?,question,other.solution?", NULL, NULL},
    {"mmlu", "question", "0", NULL},
    {"mmlu_stem", "question", "0", NULL},
    {"svamp", "Body+Question", NULL, NULL},
    {"asdiv", "body+question", NULL, "Problem/Body+Question"},
    {"mawps", "input", NULL, NULL},
    {"mathqa", "problem,rationale?", NULL, NULL},
    {"minerva_ocw", "problem,solution", NULL, NULL},
    {"sat_math", "question", NULL, NULL},
    {"mgsm_zh", "messages.0.content", NULL, NULL},
};
enum { NPRESETS = sizeof presets / sizeof *presets };

/* Folder names of the ../shared/benchmarks layout (and common aliases) → preset. */
static const struct {
    const char *alias, *preset;
} aliases[] = {
    {"cmath_test", "cmath"}, {"asdiv_jsonl", "asdiv"},   {"mmlu_math", "mmlu"},
    {"ocw", "minerva_ocw"},  {"minerva", "minerva_ocw"}, {"mgsm", "mgsm_zh"},
    {"gsm", "gsm8k"},        {"sat", "sat_math"},
};

static const preset *find_preset(const char *name) {
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (!strcmp(name, aliases[i].alias)) name = aliases[i].preset;
    for (int i = 0; i < NPRESETS; i++)
        if (!strcmp(presets[i].name, name)) return &presets[i];
    return NULL;
}

/* ---------------------------------------------------------------- records */

typedef enum { F_JSONL, F_JSON, F_CSV, F_XML } fmt;

/* One record, whatever its format: get(path) returns the value text or NULL. */
typedef struct record {
    fmt f;
    const mm_json *obj; /* JSON */
    const char **cols;  /* CSV */
    size_t *col_len, ncols;
    const char *xml, *xml_end;     /* XML: the record element's content */
    const char *attrs, *attrs_end; /* XML: the record element's attributes */
    mm_buf tmp;                    /* decoded XML text, joined JSON arrays */
} record;

static const mm_json *json_path(const mm_json *v, const char *path) {
    char key[256];
    while (v && *path) {
        size_t k = strcspn(path, ".");
        if (k >= sizeof key) return NULL;
        memcpy(key, path, k);
        key[k] = 0;
        path += k + (path[k] == '.');
        if (v->type == MM_JSON_ARR) {
            char *e;
            unsigned long ix = strtoul(key, &e, 10);
            v = *e ? NULL : mm_json_at(v, ix);
        } else {
            v = v->type == MM_JSON_OBJ ? mm_json_get(v, key) : NULL;
        }
    }
    return v;
}

static int xml_unescape(mm_buf *b, const char *s, const char *e) {
    for (; s < e; s++) {
        if (*s != '&') {
            if (mm_buf_putc(b, *s)) return -1;
            continue;
        }
        const char *semi = memchr(s, ';', (size_t)(e - s));
        static const char *const ent[][2] = {
            {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
        int done = 0;
        if (semi && semi - s <= 10) {
            size_t k = (size_t)(semi - s - 1);
            for (int i = 0; i < 5 && !done; i++)
                if (strlen(ent[i][0]) == k && !memcmp(s + 1, ent[i][0], k)) {
                    if (mm_buf_puts(b, ent[i][1])) return -1;
                    done = 1;
                }
            if (!done && s[1] == '#') {
                unsigned long cp =
                    s[2] == 'x' ? strtoul(s + 3, NULL, 16) : strtoul(s + 2, NULL, 10);
                char enc[4];
                if (cp && cp < 0x110000 &&
                    mm_buf_append(b, enc, (size_t)mm_utf8_encode((uint32_t)cp, enc)))
                    return -1;
                done = 1;
            }
        }
        if (done)
            s = semi;
        else if (mm_buf_putc(b, '&'))
            return -1;
    }
    return 0;
}

/* The value at `path` in the record (NUL-terminated, in the record or its tmp), or NULL. */
static const char *rec_get(record *r, const char *path, size_t *len) {
    if (r->f == F_CSV) {
        char *e;
        unsigned long c = strtoul(path, &e, 10);
        if (*e || c >= r->ncols) return NULL;
        *len = r->col_len[c];
        return r->cols[c];
    }
    if (r->f == F_XML) {
        char open[300], close[300];
        snprintf(open, sizeof open, "<%s>", path);
        snprintf(close, sizeof close, "</%s>", path);
        const char *s = memmem(r->xml, (size_t)(r->xml_end - r->xml), open, strlen(open));
        if (!s) return NULL;
        s += strlen(open);
        const char *e = memmem(s, (size_t)(r->xml_end - s), close, strlen(close));
        if (!e) return NULL;
        size_t at = r->tmp.len;
        if (xml_unescape(&r->tmp, s, e) || mm_buf_putc(&r->tmp, 0)) return NULL;
        *len = r->tmp.len - at - 1;
        return r->tmp.data + at;
    }
    const mm_json *v = json_path(r->obj, path);
    if (!v) return NULL;
    if (v->type == MM_JSON_STR || v->type == MM_JSON_NUM) {
        *len = v->type == MM_JSON_STR ? v->len : strlen(v->str);
        return v->str;
    }
    if (v->type != MM_JSON_ARR) return NULL; /* null, bool, object: missing */
    size_t at = r->tmp.len;
    for (const mm_json *c = v->child; c; c = c->next)
        if (c->type == MM_JSON_STR &&
            (mm_buf_append(&r->tmp, c->str, c->len) || mm_buf_putc(&r->tmp, '\n')))
            return NULL;
    if (mm_buf_putc(&r->tmp, 0)) return NULL;
    *len = r->tmp.len - at - 1;
    return r->tmp.data + at;
}

static const char *rec_id(record *r, mm_buf *b) {
    mm_buf_clear(b);
    if (r->f == F_XML) {
        const char *s = memmem(r->attrs, (size_t)(r->attrs_end - r->attrs), "ID=\"", 4);
        const char *e = s ? memchr(s + 4, '"', (size_t)(r->attrs_end - s - 4)) : NULL;
        if (!e || mm_buf_append(b, s + 4, (size_t)(e - s - 4))) return "";
        return b->data;
    }
    if (r->f == F_CSV) return "";
    static const char *const keys[] = {"id", "idx", "unique_id", "ID"};
    for (int i = 0; i < 4; i++) {
        const mm_json *v = mm_json_get(r->obj, keys[i]);
        if (v && (v->type == MM_JSON_STR || v->type == MM_JSON_NUM)) {
            mm_buf_puts(b, v->str);
            return b->data ? b->data : "";
        }
    }
    return "";
}

/* ---------------------------------------------------------------- FIELDS */

typedef struct load_ctx {
    mm_decontam *d;
    uint32_t bi;
    const char *file, *fields;
    mm_buf text, id;
} load_ctx;

/* Extract one TEXT (PART+PART) into c->text.  Returns 0 ok, 1 missing required part (named in
 * *missing), -1 out of memory. */
static int text_of(load_ctx *c, record *r, const char *spec, size_t speclen, char *missing,
                   size_t mcap) {
    mm_buf_clear(&c->text);
    const char *p = spec, *end = spec + speclen;
    while (p < end) {
        const char *pe = memchr(p, '+', (size_t)(end - p));
        if (!pe) pe = end;
        bool opt = pe > p && pe[-1] == '?';
        const char *ae = opt ? pe - 1 : pe, *got = NULL;
        size_t glen = 0;
        for (const char *a = p; a < ae && !got;) {
            const char *bar = memchr(a, '|', (size_t)(ae - a));
            if (!bar) bar = ae;
            char path[256];
            snprintf(path, sizeof path, "%.*s", (int)(bar - a), a);
            got = rec_get(r, path, &glen);
            a = bar + 1;
        }
        if (got && glen) {
            if (c->text.len && mm_buf_putc(&c->text, '\n')) return -1;
            if (mm_buf_append(&c->text, got, glen)) return -1;
        } else if (!opt && !got) {
            snprintf(missing, mcap, "%.*s", (int)(ae - p), p);
            return 1;
        }
        p = pe + 1;
    }
    return 0;
}

/* All TEXTs of one record. */
static mm_err add_record(load_ctx *c, record *r, uint64_t item, uint64_t line) {
    mm_decontam *d = c->d;
    dc_bench *b = &d->bench[c->bi];
    b->records++;
    const char *id = rec_id(r, &c->id);
    char idcopy[128];
    snprintf(idcopy, sizeof idcopy, "%s", id);
    const char *f = c->fields;
    const char *slash = strchr(f, '/');
    if (r->f == F_XML && slash) f = slash + 1;
    bool bad = false;
    while (*f) {
        size_t k = strcspn(f, ",");
        char missing[256], field[256];
        snprintf(field, sizeof field, "%.*s", (int)k, f);
        int rc = text_of(c, r, f, k, missing, sizeof missing);
        if (rc < 0) return MM_ERR_NOMEM;
        if (rc > 0) {
            if (line)
                MM_TRY(dc_problem(d, "%s: line %llu: missing field \"%s\"", c->file,
                                  (unsigned long long)line, missing));
            else
                MM_TRY(dc_problem(d, "%s: item %llu: missing field \"%s\"", c->file,
                                  (unsigned long long)item, missing));
            bad = true;
        } else if (c->text.len) {
            MM_TRY(dc_text_add(d, c->bi, c->text.data, c->text.len, item, line, field, idcopy));
        }
        f += k + (f[k] == ',');
    }
    if (bad) b->bad++;
    return MM_OK;
}

/* ---------------------------------------------------------------- formats */

/* Python's json module writes NaN/Infinity (MMLU-STEM options hold NaN): copy the line with those
 * bare tokens, outside strings, turned into null so the record still loads. */
static bool python_nan_to_null(const char *s, size_t n, mm_buf *b) {
    mm_buf_clear(b);
    bool in_str = false, changed = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\' && i + 1 < n) {
                mm_buf_putc(b, ch);
                ch = s[++i];
            } else if (ch == '"') {
                in_str = false;
            }
        } else if (ch == '"') {
            in_str = true;
        } else {
            static const char *const tok[] = {"-Infinity", "Infinity", "NaN"};
            int hit = -1;
            for (int t = 0; t < 3 && hit < 0; t++)
                if (n - i >= strlen(tok[t]) && !memcmp(s + i, tok[t], strlen(tok[t]))) hit = t;
            if (hit >= 0) {
                mm_buf_puts(b, "null");
                i += strlen(tok[hit]) - 1;
                changed = true;
                continue;
            }
        }
        mm_buf_putc(b, ch);
    }
    return changed;
}

static mm_err load_jsonl(load_ctx *c) {
    mm_lines *L;
    MM_TRY(mm_lines_open(c->file, 64u << 20, &L));
    const char *line;
    size_t len;
    mm_err e = MM_OK;
    uint64_t item = 0;
    record r = {.f = F_JSONL};
    while (mm_lines_next(L, &line, &len, &e) > 0) {
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i == len) continue;
        uint64_t ln = mm_lines_number(L);
        mm_json_doc *doc = NULL;
        mm_json *root;
        mm_err pe = mm_json_parse(line, len, &doc, &root);
        if (pe != MM_OK && python_nan_to_null(line, len, &c->text)) {
            mm_json_doc_free(doc);
            doc = NULL;
            pe = mm_json_parse(c->text.data, c->text.len, &doc, &root);
        }
        if (pe != MM_OK || root->type != MM_JSON_OBJ) {
            e = dc_problem(c->d, "%s: line %llu: %s", c->file, (unsigned long long)ln,
                           pe ? mm_error_detail() : "not a JSON object");
            c->d->bench[c->bi].bad++;
            item++;
        } else {
            r.obj = root;
            mm_buf_clear(&r.tmp);
            e = add_record(c, &r, item++, ln);
        }
        mm_json_doc_free(doc);
        if (e) break;
    }
    if (!e && mm_lines_skipped_long(L))
        e = dc_problem(c->d, "%s: %llu lines over 64 MB skipped", c->file,
                       (unsigned long long)mm_lines_skipped_long(L));
    mm_lines_close(L);
    mm_buf_free(&r.tmp);
    return e;
}

static mm_err load_json_array(load_ctx *c, mm_buf *file) {
    mm_json_doc *doc = NULL;
    mm_json *root;
    if (mm_json_parse(file->data, file->len, &doc, &root) != MM_OK) {
        c->d->bench[c->bi].bad++;
        return dc_problem(c->d, "%s: not valid JSON: %s", c->file, mm_error_detail());
    }
    mm_err e = MM_OK;
    record r = {.f = F_JSON};
    uint64_t item = 0;
    if (root->type != MM_JSON_ARR) e = dc_problem(c->d, "%s: not a JSON array", c->file);
    for (const mm_json *v = root->type == MM_JSON_ARR ? root->child : NULL; v && !e; v = v->next) {
        if (v->type != MM_JSON_OBJ) {
            c->d->bench[c->bi].bad++;
            e = dc_problem(c->d, "%s: item %llu: not a JSON object", c->file,
                           (unsigned long long)item++);
            continue;
        }
        r.obj = v;
        mm_buf_clear(&r.tmp);
        e = add_record(c, &r, item++, 0);
    }
    mm_json_doc_free(doc);
    mm_buf_free(&r.tmp);
    return e;
}

/* CSV (RFC 4180: quoted fields with "" escapes and newlines inside quotes). */
static mm_err load_csv(load_ctx *c, mm_buf *file) {
    enum { MAXC = 64 };
    const char *cols[MAXC];
    size_t lens[MAXC];
    record r = {.f = F_CSV, .cols = cols, .col_len = lens};
    mm_buf cells = {0};
    mm_err e = MM_OK;
    const char *p = file->data, *end = p + file->len;
    uint64_t line = 1, item = 0;
    while (p < end && !e) {
        uint64_t start_line = line;
        size_t offs[MAXC], n = 0;
        bool broken = false;
        mm_buf_clear(&cells);
        for (;;) { /* one cell */
            size_t at = cells.len;
            if (p < end && *p == '"') {
                p++;
                for (;;) {
                    if (p >= end) {
                        broken = true;
                        break;
                    }
                    if (*p == '"') {
                        if (p + 1 < end && p[1] == '"') {
                            mm_buf_putc(&cells, '"');
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    if (*p == '\n') line++;
                    mm_buf_putc(&cells, *p++);
                }
            } else {
                while (p < end && *p != ',' && *p != '\n' && *p != '\r')
                    mm_buf_putc(&cells, *p++);
            }
            if (mm_buf_putc(&cells, 0)) {
                e = MM_ERR_NOMEM;
                break;
            }
            if (n < MAXC) {
                offs[n] = at;
                lens[n] = cells.len - at - 1;
                n++;
            }
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == '\r') p++;
            if (p < end && *p == '\n') {
                p++;
                line++;
                break;
            }
            if (p >= end) break;
            broken = true; /* junk after a closing quote */
            while (p < end && *p != '\n')
                p++;
        }
        if (e) break;
        if (n == 1 && lens[0] == 0) continue; /* blank line */
        for (size_t i = 0; i < n; i++)
            cols[i] = cells.data + offs[i];
        r.ncols = n;
        if (broken) {
            c->d->bench[c->bi].bad++;
            e = dc_problem(c->d, "%s: line %llu: broken CSV quoting", c->file,
                           (unsigned long long)start_line);
            item++;
            continue;
        }
        e = add_record(c, &r, item++, start_line);
    }
    mm_buf_free(&cells);
    return e;
}

static mm_err load_xml(load_ctx *c, mm_buf *file) {
    char tag[128] = "Problem";
    const char *slash = strchr(c->fields, '/');
    if (slash) snprintf(tag, sizeof tag, "%.*s", (int)(slash - c->fields), c->fields);
    char open[140], close[140];
    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    record r = {.f = F_XML};
    mm_err e = MM_OK;
    const char *p = file->data, *end = p + file->len, *counted = p;
    uint64_t line = 1, item = 0;
    while (!e && (p = memmem(p, (size_t)(end - p), open, strlen(open)))) {
        const char *after = p + strlen(open);
        if (after < end && *after != '>' && *after != ' ' && *after != '\t' && *after != '\n') {
            p = after;
            continue;
        }
        for (; counted < p; counted++)
            line += *counted == '\n';
        const char *gt = memchr(p, '>', (size_t)(end - p));
        const char *ce = gt ? memmem(gt, (size_t)(end - gt), close, strlen(close)) : NULL;
        if (!ce) {
            c->d->bench[c->bi].bad++;
            e = dc_problem(c->d, "%s: line %llu: <%s> not closed", c->file,
                           (unsigned long long)line, tag);
            break;
        }
        r.attrs = after;
        r.attrs_end = gt;
        r.xml = gt + 1;
        r.xml_end = ce;
        mm_buf_clear(&r.tmp);
        e = add_record(c, &r, item++, line);
        p = ce + strlen(close);
    }
    mm_buf_free(&r.tmp);
    return e;
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static bool is_data_file(const char *name) {
    return ends_with(name, ".jsonl") || ends_with(name, ".json") || ends_with(name, ".csv") ||
           ends_with(name, ".xml") || ends_with(name, ".jsonl.zst");
}

/* Load one file with the given FIELDS (or the preset's for its format). */
static mm_err load_file(mm_decontam *d, const char *name, const char *path, const char *fields) {
    fmt f = ends_with(path, ".csv")    ? F_CSV
            : ends_with(path, ".xml")  ? F_XML
            : ends_with(path, ".json") ? F_JSON
                                       : F_JSONL;
    mm_buf file = {0};
    if (f != F_JSONL) {
        MM_TRY(mm_read_file(path, &file));
        if (f == F_JSON) { /* a .json file may still be JSON lines */
            size_t i = 0;
            while (i < file.len && strchr(" \t\r\n", file.data[i]))
                i++;
            if (i == file.len || file.data[i] != '[') f = F_JSONL;
        }
    }
    const preset *pr = find_preset(name);
    const char *fl = fields;
    if (!fl && pr) fl = f == F_CSV ? pr->csv : f == F_XML ? pr->xml : pr->json;
    if (!fl) {
        mm_buf_free(&file);
        return mm_fail(
            MM_ERR_ARG,
            "%s: no fields for benchmark \"%s\" in this format; give them as %s=%s@FIELDS", path,
            name, name, path);
    }
    load_ctx c = {.d = d, .file = path, .fields = fl};
    mm_err e = dc_bench_add(d, name, path, fl, &c.bi);
    if (!e) {
        if (f == F_JSONL)
            e = load_jsonl(&c);
        else if (f == F_JSON)
            e = load_json_array(&c, &file);
        else if (f == F_CSV)
            e = load_csv(&c, &file);
        else
            e = load_xml(&c, &file);
    }
    if (!e) { /* an empty benchmark would let every document pass as clean */
        mm_decontam_bench_info bi;
        mm_decontam_bench(d, c.bi, &bi);
        if (!bi.records)
            e = mm_fail(MM_ERR_FORMAT,
                        "%s: byte 0: no benchmark record in it (%llu broken): an empty "
                        "benchmark decontaminates nothing",
                        path, (unsigned long long)bi.bad);
    }
    mm_buf_free(&file);
    mm_buf_free(&c.text);
    mm_buf_free(&c.id);
    return e;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in `dir` (caller frees each and the array). */
static mm_err list_dir(const char *dir, char ***names, size_t *n) {
    *names = NULL;
    *n = 0;
    DIR *dh = opendir(dir);
    if (!dh) return mm_fail(MM_ERR_IO, "%s: cannot open folder", dir);
    size_t cap = 0;
    struct dirent *de;
    mm_err e = MM_OK;
    while ((de = readdir(dh)) && !e) {
        if (de->d_name[0] == '.') continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(*names, cap * sizeof *p);
            if (!p) {
                e = MM_ERR_NOMEM;
                break;
            }
            *names = p;
        }
        if (!((*names)[*n] = mm_strndup(de->d_name, strlen(de->d_name))))
            e = MM_ERR_NOMEM;
        else
            (*n)++;
    }
    closedir(dh);
    if (*n) qsort(*names, *n, sizeof **names, cmp_str);
    return e;
}

static void free_list(char **names, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool is_dir(const char *path) {
    struct stat st;
    return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Every data file of a folder, with one preset name. */
static mm_err load_folder(mm_decontam *d, const char *name, const char *dir, const char *fields) {
    char **names;
    size_t n;
    MM_TRY(list_dir(dir, &names, &n));
    mm_err e = MM_OK;
    size_t loaded = 0;
    for (size_t i = 0; i < n && !e; i++) {
        if (!is_data_file(names[i])) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        e = load_file(d, name, path, fields);
        loaded++;
    }
    if (!e && !loaded) e = mm_fail(MM_ERR_ARG, "%s: no .jsonl/.json/.csv/.xml files", dir);
    free_list(names, n);
    return e;
}

mm_err mm_decontam_add_spec(mm_decontam *d, const char *spec) {
    char name[128] = "", path[4096], *fields = NULL;
    const char *eq = strchr(spec, '=');
    if (eq && (size_t)(eq - spec) < sizeof name && !memchr(spec, '/', (size_t)(eq - spec))) {
        snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
        spec = eq + 1;
    }
    snprintf(path, sizeof path, "%s", spec);
    char *at = strrchr(path, '@');
    if (at) {
        *at = 0;
        fields = at + 1;
        if (!*fields) return mm_fail(MM_ERR_ARG, "--bench %s: empty FIELDS after '@'", spec);
    }
    if (!*name) { /* guess the preset: the folder's name, else the file's name */
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", path);
        size_t len = strlen(tmp);
        while (len > 1 && tmp[len - 1] == '/')
            tmp[--len] = 0;
        char *base = strrchr(tmp, '/');
        char *file = base ? base + 1 : tmp;
        if (!is_dir(path)) {
            if (base) {
                *base = 0;
                char *b2 = strrchr(tmp, '/');
                snprintf(name, sizeof name, "%.127s", b2 ? b2 + 1 : tmp);
            }
            if (!find_preset(name)) {
                snprintf(name, sizeof name, "%.127s", file);
                char *dot = strchr(name, '.');
                if (dot) *dot = 0;
            }
        } else {
            snprintf(name, sizeof name, "%.127s", file);
        }
    }
    if (!fields && !find_preset(name))
        return mm_fail(
            MM_ERR_ARG,
            "--bench: no preset named \"%s\" (presets: gsm8k math math500 cmath "
            "agieval mmlu mmlu_stem svamp asdiv mawps mathqa minerva_ocw sat_math mgsm_zh); "
            "give fields as NAME=PATH@FIELDS",
            name);
    const preset *pr = find_preset(name);
    const char *canon = pr ? pr->name : name;
    if (is_dir(path)) return load_folder(d, canon, path, fields);
    return load_file(d, canon, path, fields);
}

mm_err mm_decontam_add_dir(mm_decontam *d, const char *dir) {
    char **names;
    size_t n;
    MM_TRY(list_dir(dir, &names, &n));
    mm_err e = MM_OK;
    size_t loaded = 0;
    for (size_t i = 0; i < n && !e; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!is_dir(path)) continue;
        const preset *pr = find_preset(names[i]);
        if (!pr) {
            e = dc_problem(
                d, "%s: no preset for this folder; skipped (use --bench NAME=PATH@FIELDS)", path);
            continue;
        }
        e = load_folder(d, pr->name, path, NULL);
        loaded++;
    }
    if (!e && !loaded)
        e = mm_fail(MM_ERR_ARG,
                    "%s: no benchmark folder in it (folders named after a preset: "
                    "gsm8k, math, cmath, agieval, ...)",
                    dir);
    free_list(names, n);
    return e;
}
