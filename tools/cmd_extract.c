/* tools/cmd_extract.c — `mathmine extract`: WARC files → document shards, main text with the
 * mathematics kept as LaTeX; and `--html` to look at the text of single pages. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/buf.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "corpus/extract.h"
#include "corpus/langid.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "extract"

typedef struct opts {
    char **inputs; /* this task's block of all.v */
    size_t ninputs;
    char **args; /* inputs given as arguments */
    size_t nargs;
    stage_args stage;
    mm_http_retry http;
    mm_inputs all;
    const char *out_dir, *stats_path, *charset;
    char *lang_list;
    const char *langs[64];
    size_t nlangs;
    size_t min_chars, max_bytes;
    bool force, html, json, keep, comments, keep_cut;
    int threads;
} opts;

static void help(void) {
    printf("Usage: mathmine extract [options] -o OUT_DIR WARC... [--inputs LIST]\n"
           "       mathmine extract --html [--json] FILE.html|DIR...\n\n"
           "For every HTML response in each WARC (by Content-Type, else by sniffing): decode\n"
           "the charset to UTF-8, parse, keep the main content as plain text with every\n"
           "formula as LaTeX in $...$ (inline) or $$...$$ (display), identify the language\n"
           "(cld2) and write one JSON document per page to OUT_DIR/<input-name>.jsonl.zst,\n"
           "atomically.  An output that already exists is skipped (a killed run resumes).\n"
           "A record marked WARC-Truncated, or cut short by a damaged gzip member inside\n"
           "the file, is extracted from what there is and its document gets \"truncated\":\n"
           "REASON.  An input that ends inside a record (a download cut short) or holds no\n"
           "WARC record fails: named at the end, exit 1, no shard written, so a rerun with\n"
           "the whole file redoes it (--keep-cut keeps its shard instead).  HTTP\n"
           "206 partial responses are skipped.  WET files (conversion records, plain text)\n"
           "are read too, with a warning: their math markup is already gone.\n\n"
           "Options:\n"
           "  -o, --out DIR         output folder (created; required with WARC inputs)\n"
           "  -j N                  WARC files processed in parallel (default: all cores)\n"
           "      --force           redo outputs that already exist\n"
           "      --min-chars N     drop documents with fewer than N characters (default 0)\n"
           "      --lang L1,L2      keep only these languages (cld2 codes: en, zh, de, ...;\n"
           "                        'zh' also keeps zh-Hant) (default: all)\n"
           "      --max-bytes SIZE  skip HTML payloads larger than SIZE (default 8M)\n"
           "      --keep-boilerplate  all visible text: no navigation/sidebar/footer pruning\n"
           "      --comments        keep a blog post's comment section with the post (default\n"
           "                        off: the comments under a Q&A thread's posts are kept\n"
           "                        either way; see docs/extract.md)\n"
           "      --keep-cut        an input that ends inside a record still gives its shard\n"
           "                        (that document marked \"truncated\"; default: the input\n"
           "                        fails and no shard is written)\n"
           "      --stats FILE      write the counts (records, HTML, WET text, extracted,\n"
           "                        truncated, skipped by reason, bytes, docs/s, and per\n"
           "                        math form the formulas found in the HTML and written:\n"
           "                        math_found, math_written) as JSON to FILE; with --html:\n"
           "                        pages, HTML bytes and the CPU seconds of the loop "
           "too\n" STAGE_ARGS_HELP HTTP_ARGS_HELP
           "      --html            inputs are HTML files (.html or .html.gz) or folders of\n"
           "                        them: print each page's text to standard output\n"
           "      --json            with --html: one JSON line per page instead:\n"
           "                        {\"file\",\"text\",\"lang\",\"lang_score\",\"math\"}\n"
           "      --charset CS      with --html: the charset an HTTP header would give\n\n"
           "Exit status: 0 ok; 1 some input failed (the others were done; each failed input\n"
           "is listed at the end with its error, and in --stats as failed_inputs, and its\n"
           "output is not written, so a rerun tries it again); 2 usage error.\n");
}

static void split_langs(opts *o, const char *list) {
    o->lang_list = strdup(list);
    if (!o->lang_list) cli_die(CMD, MM_ERR_NOMEM);
    for (char *save = NULL, *t = strtok_r(o->lang_list, ",", &save); t && o->nlangs < 64;
         t = strtok_r(NULL, ",", &save))
        if (*t) o->langs[o->nlangs++] = t;
    if (!o->nlangs) cli_usage_error(CMD, "--lang needs at least one language code");
}

static void parse(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->max_bytes = 8u << 20;
    mm_http_retry_defaults(&o->http);
    o->args = calloc((size_t)argc, sizeof *o->args);
    if (!o->args) cli_die(CMD, MM_ERR_NOMEM);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (stage_option(CMD, argc, argv, &i, &o->stage)) continue;
        if (http_option(CMD, argc, argv, &i, &o->http)) continue;
        if (cli_is_out(a))
            o->out_dir = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "-j"))
            o->threads = (int)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 0, 4096);
        else if (!strcmp(a, "--force"))
            o->force = true;
        else if (!strcmp(a, "--min-chars"))
            o->min_chars =
                (size_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 0, 1LL << 40);
        else if (!strcmp(a, "--max-bytes"))
            o->max_bytes =
                (size_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 1, 1LL << 40);
        else if (!strcmp(a, "--lang"))
            split_langs(o, cli_value(CMD, argc, argv, &i));
        else if (!strcmp(a, "--keep-boilerplate"))
            o->keep = true;
        else if (!strcmp(a, "--comments"))
            o->comments = true;
        else if (!strcmp(a, "--keep-cut"))
            o->keep_cut = true;
        else if (!strcmp(a, "--stats"))
            o->stats_path = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--html"))
            o->html = true;
        else if (!strcmp(a, "--json"))
            o->json = true;
        else if (!strcmp(a, "--charset"))
            o->charset = cli_value(CMD, argc, argv, &i);
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "unknown option '%s'", a);
        else
            o->args[o->nargs++] = argv[i];
    }
    size_t lo, hi;
    stage_inputs(CMD, &o->stage, (const char *const *)o->args, o->nargs, &o->all, &lo, &hi);
    if (!o->all.n) cli_usage_error(CMD, "no input files");
    o->inputs = o->all.v + lo, o->ninputs = hi - lo; /* may be empty: a task with no inputs */
    if (!o->html && !o->out_dir) cli_usage_error(CMD, "-o OUT_DIR is required");
}

/* ---- --html: one page at a time ---- */

/* A .gz page must be whole gzip data: zlib would pass other bytes through as they are
 * ("transparent" mode) and stop quietly at a member cut short. */
static mm_err read_maybe_gz(const char *path, mm_buf *b) {
    size_t n = strlen(path);
    if (n < 3 || strcmp(path + n - 3, ".gz")) return mm_read_file(path, b);
    gzFile f = gzopen(path, "rb");
    if (!f) return mm_fail(MM_ERR_IO, "%s: cannot open", path);
    mm_buf_clear(b);
    char chunk[65536];
    int k;
    mm_err e = MM_OK;
    while (e == MM_OK && (k = gzread(f, chunk, sizeof chunk)) > 0)
        e = mm_buf_append(b, chunk, (size_t)k);
    int zerr = Z_OK;
    const char *why = gzerror(f, &zerr);
    long at = (long)gzoffset(f);
    if (e == MM_OK && gzdirect(f))
        e = mm_fail(MM_ERR_FORMAT, "%s: byte 0: not gzip data", path);
    else if (e == MM_OK && (k < 0 || (zerr != Z_OK && zerr != Z_STREAM_END)))
        e = mm_fail(zerr == Z_BUF_ERROR ? MM_ERR_TRUNCATED : MM_ERR_FORMAT,
                    "%s: byte %ld: bad gzip data: %s", path, at, why);
    gzclose(f);
    return e;
}

static mm_err print_page(mm_extract *x, const opts *o, const char *path, mm_buf *html, mm_buf *line,
                         mm_extract_stats *st) {
    MM_TRY(read_maybe_gz(path, html));
    mm_extract_result r;
    MM_TRY(mm_extract_html(x, html->data, html->len, o->charset, &r));
    mm_extract_stats_doc(st, &r);
    if (!o->json) {
        fwrite(r.text, 1, r.text_len, stdout);
        fputc('\n', stdout);
        return MM_OK;
    }
    char stem[1024], lang[16];
    mm_stem(path, stem, sizeof stem);
    double score = mm_lang_detect(r.text, r.text_len, lang, sizeof lang);
    mm_buf_clear(line);
    mm_jw w;
    mm_jw_init(&w, line);
    MM_TRY(mm_jw_obj_begin(&w));
    MM_TRY(mm_jw_key(&w, "file"));
    MM_TRY(mm_jw_string(&w, stem));
    MM_TRY(mm_jw_key(&w, "text"));
    MM_TRY(mm_jw_stringn(&w, r.text, r.text_len));
    MM_TRY(mm_jw_key(&w, "lang"));
    MM_TRY(mm_jw_string(&w, lang));
    MM_TRY(mm_jw_key(&w, "lang_score"));
    MM_TRY(mm_jw_double(&w, score));
    MM_TRY(mm_jw_key(&w, "math"));
    mm_buf m = {0};
    mm_err e = mm_extract_math_json(&r.math, &m);
    if (e == MM_OK) e = mm_jw_raw(&w, m.data);
    mm_buf_free(&m);
    MM_TRY(e);
    MM_TRY(mm_jw_obj_end(&w));
    fwrite(line->data, 1, line->len, stdout);
    fputc('\n', stdout);
    return MM_OK;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .html/.htm/.html.gz files of a folder, sorted (NULL when `path` is not a folder). */
static char **list_dir(const char *path, size_t *n) {
    DIR *d = opendir(path);
    if (!d) return NULL;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strstr(e->d_name, ".htm")) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv) break;
            v = nv;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        v[*n] = malloc(len);
        if (!v[*n]) break;
        snprintf(v[(*n)++], len, "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (v) qsort(v, *n, sizeof *v, cmp_str);
    return v ? v : calloc(1, sizeof *v);
}

/* "math_found": {form: n, …}, "math_written": {…} (every form, zeros too: the keys are stable). */
static mm_err math_forms_json(mm_jw *w, const uint64_t *found, const uint64_t *written) {
    const char *keys[2] = {"math_found", "math_written"};
    const uint64_t *v[2] = {found, written};
    for (int k = 0; k < 2; k++) {
        MM_TRY(mm_jw_key(w, keys[k]));
        MM_TRY(mm_jw_obj_begin(w));
        for (int f = 0; f < MM_MATH_FORMS; f++) {
            MM_TRY(mm_jw_key(w, mm_math_form_name(f)));
            MM_TRY(mm_jw_uint(w, v[k][f]));
        }
        MM_TRY(mm_jw_obj_end(w));
    }
    return MM_OK;
}

/* One line: "math: script_tex 120/118, img_tex 4/4 (found/written)", forms found only. */
static void math_summary(const uint64_t *found, const uint64_t *written) {
    char line[1024];
    size_t n = 0;
    for (int f = 0; f < MM_MATH_FORMS && n < sizeof line; f++)
        if (found[f])
            n += (size_t)snprintf(line + n, sizeof line - n, "%s%s %llu/%llu", n ? ", " : "",
                                  mm_math_form_name(f), (unsigned long long)found[f],
                                  (unsigned long long)written[f]);
    if (n) cli_info(0, "  math formulas found/written: %s", line);
}

/* --stats with --html: the extraction loop's CPU time (reading, decoding, parsing, selecting,
 * language ID, JSON), without the process start, so that it compares with peers timed the same
 * way inside their own loop. */
static void html_stats(const opts *o, uint64_t pages, uint64_t bytes, double cpu,
                       const mm_extract_stats *st) {
    if (!o->stats_path) return;
    math_summary(st->math_found, st->math_written);
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "pages"), mm_jw_uint(&w, pages);
    mm_jw_key(&w, "html_bytes"), mm_jw_uint(&w, bytes);
    mm_jw_key(&w, "cpu_s"), mm_jw_double(&w, cpu);
    mm_jw_key(&w, "docs_per_cpu_s"), mm_jw_double(&w, cpu > 0 ? (double)pages / cpu : 0);
    math_forms_json(&w, st->math_found, st->math_written);
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, o->stats_path, &b);
    mm_buf_free(&b);
}

static int run_html(const opts *o) {
    mm_extract_opts eo = {
        .keep_boilerplate = o->keep, .keep_comments = o->comments, .max_bytes = o->max_bytes};
    double c0 = mm_process_cpu();
    mm_extract *x = mm_extract_create(&eo);
    if (!x) cli_die(CMD, MM_ERR_NOMEM);
    mm_buf html = {0}, line = {0};
    int rc = CLI_EXIT_OK;
    uint64_t pages = 0, bytes = 0;
    mm_extract_stats st = {0};
    for (size_t i = 0; i < o->ninputs && !cli_interrupted; i++) {
        size_t n = 1;
        char **files = list_dir(o->inputs[i], &n);
        for (size_t k = 0; k < n; k++) {
            const char *f = files ? files[k] : o->inputs[i];
            if (print_page(x, o, f, &html, &line, &st) != MM_OK) {
                cli_error(CMD, "%s", mm_error_detail());
                rc = CLI_EXIT_FAIL;
            } else {
                pages++, bytes += html.len;
            }
            if (files) free(files[k]);
        }
        free(files);
    }
    fflush(stdout);
    html_stats(o, pages, bytes, mm_process_cpu() - c0, &st);
    mm_buf_free(&html);
    mm_buf_free(&line);
    mm_extract_free(x);
    return rc;
}

/* ---- WARC files → shards ---- */

typedef struct job {
    const opts *o;
    mm_extract **ctx;     /* one per worker */
    mm_extract_stats *st; /* one per worker */
    char **outs;
    int *status; /* per input: 0 done, 1 skipped (exists), -1 failed */
    char **why;  /* per failed input: its error */
    mm_progress *prog;
} job;

static void on_progress(void *ctx, uint64_t records, uint64_t bytes) {
    mm_progress_add(ctx, records, bytes);
}

static mm_err one_file(void *ctx, size_t i, int worker) {
    job *j = ctx;
    const opts *o = j->o;
    if (!o->force && mm_file_done(j->outs[i])) {
        j->status[i] = 1;
        return MM_OK;
    }
    if (!j->ctx[worker]) {
        mm_extract_opts eo = {
            .keep_boilerplate = o->keep, .keep_comments = o->comments, .max_bytes = o->max_bytes};
        j->ctx[worker] = mm_extract_create(&eo);
        if (!j->ctx[worker]) return j->status[i] = -1, MM_ERR_NOMEM;
    }
    mm_extract_file_opts fo = {.extract = {.keep_boilerplate = o->keep,
                                           .keep_comments = o->comments,
                                           .max_bytes = o->max_bytes},
                               .min_chars = o->min_chars,
                               .langs = o->nlangs ? o->langs : NULL,
                               .nlangs = o->nlangs,
                               .progress = on_progress,
                               .progress_ctx = j->prog,
                               .stop = &cli_interrupted,
                               .http = &o->http,
                               .keep_cut = o->keep_cut};
    uint64_t wet_before = j->st[worker].conversions;
    mm_err e = mm_extract_warc(j->ctx[worker], o->inputs[i], j->outs[i], &fo, &j->st[worker]);
    if (e == MM_OK && j->st[worker].conversions > wet_before)
        cli_warn(CMD,
                 "%s: a WET file (conversion records): its text was taken out of the HTML "
                 "by the crawler, so its math markup (MathJax, MathML, TeX images) is already "
                 "gone; extract from the WARC files to keep the formulas",
                 o->inputs[i]);
    if (e != MM_OK) {
        if (!cli_interrupted)
            cli_error(CMD, "%s: %s: %s", o->inputs[i], mm_strerror(e), mm_error_detail());
        j->status[i] = -1;
        j->why[i] = strdup(mm_error_detail());
    }
    return e;
}

/* [{"input", "error"}] of the inputs that failed. */
static mm_err failed_json(mm_jw *w, const job *j) {
    MM_TRY(mm_jw_key(w, "failed_inputs"));
    MM_TRY(mm_jw_arr_begin(w));
    for (size_t i = 0; i < j->o->ninputs; i++) {
        if (j->status[i] != -1) continue;
        MM_TRY(mm_jw_obj_begin(w));
        MM_TRY(mm_jw_key(w, "input"));
        MM_TRY(mm_jw_string(w, j->o->inputs[i]));
        MM_TRY(mm_jw_key(w, "error"));
        MM_TRY(mm_jw_string(w, j->why[i] ? j->why[i] : ""));
        MM_TRY(mm_jw_obj_end(w));
    }
    return mm_jw_arr_end(w);
}

static mm_err stats_json(const mm_extract_stats *s, const job *j, size_t skipped, size_t failed,
                         double secs, mm_buf *b) {
    size_t files = j->o->ninputs;
    mm_jw w;
    mm_jw_init(&w, b);
    MM_TRY(mm_jw_obj_begin(&w));
    const struct {
        const char *k;
        uint64_t v;
    } f[] = {{"files", files},
             {"files_skipped_done", skipped},
             {"files_failed", failed},
             {"records", s->records},
             {"responses", s->responses},
             {"html", s->html},
             {"extracted", s->extracted},
             {"math_docs", s->math_docs},
             {"truncated", s->truncated},
             {"conversions", s->conversions},
             {"text_docs", s->text_docs},
             {"inputs_cut_kept", s->inputs_cut},
             {"bytes_in", s->bytes_in},
             {"html_bytes", s->html_bytes},
             {"bytes_out", s->bytes_out},
             {"http_retries", s->http_retries},
             {"http_resumes", s->http_resumes},
             {"http_restarts", s->http_restarts}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        MM_TRY(mm_jw_key(&w, f[i].k));
        MM_TRY(mm_jw_uint(&w, f[i].v));
    }
    MM_TRY(mm_jw_key(&w, "skipped"));
    MM_TRY(mm_jw_obj_begin(&w));
    const struct {
        const char *k;
        uint64_t v;
    } sk[] = {{"not_html", s->skip_not_html},
              {"http_status", s->skip_status},
              {"too_large", s->skip_too_large},
              {"http_error", s->skip_http_error},
              {"empty", s->skip_empty},
              {"min_chars", s->skip_min_chars},
              {"lang", s->skip_lang},
              {"damaged", s->skip_damaged},
              {"http_partial", s->skip_http_partial}};
    for (size_t i = 0; i < sizeof sk / sizeof *sk; i++) {
        MM_TRY(mm_jw_key(&w, sk[i].k));
        MM_TRY(mm_jw_uint(&w, sk[i].v));
    }
    MM_TRY(mm_jw_obj_end(&w));
    MM_TRY(math_forms_json(&w, s->math_found, s->math_written));
    MM_TRY(failed_json(&w, j));
    MM_TRY(mm_jw_key(&w, "seconds"));
    MM_TRY(mm_jw_double(&w, secs));
    MM_TRY(mm_jw_key(&w, "docs_per_s"));
    MM_TRY(mm_jw_double(&w, secs > 0 ? (s->html + s->text_docs) / secs : 0));
    MM_TRY(mm_jw_key(&w, "html_mb_per_s"));
    MM_TRY(mm_jw_double(&w, secs > 0 ? s->html_bytes / secs / 1e6 : 0));
    return mm_jw_obj_end(&w);
}

static void summary(const job *j, const mm_extract_stats *s, size_t skipped, size_t failed,
                    double secs) {
    const opts *o = j->o;
    cli_info(0,
             "mathmine extract: %zu files (%zu already done, %zu failed), %llu records, "
             "%llu HTML, %llu WET text, %llu extracted (%llu with math, %llu truncated) in "
             "%.1f s (%.0f docs/s)",
             o->ninputs, skipped, failed, (unsigned long long)s->records,
             (unsigned long long)s->html, (unsigned long long)s->text_docs,
             (unsigned long long)s->extracted, (unsigned long long)s->math_docs,
             (unsigned long long)s->truncated, secs,
             secs > 0 ? (s->html + s->text_docs) / secs : 0);
    cli_info(1,
             "  skipped: not_html %llu, status %llu, http_partial %llu, too_large %llu, "
             "http_error %llu, empty %llu, min_chars %llu, lang %llu, damaged %llu",
             (unsigned long long)s->skip_not_html, (unsigned long long)s->skip_status,
             (unsigned long long)s->skip_http_partial, (unsigned long long)s->skip_too_large,
             (unsigned long long)s->skip_http_error, (unsigned long long)s->skip_empty,
             (unsigned long long)s->skip_min_chars, (unsigned long long)s->skip_lang,
             (unsigned long long)s->skip_damaged);
    math_summary(s->math_found, s->math_written);
    if (s->http_retries)
        cli_info(0, "  http: %llu retries (%llu resumed by Range, %llu restarted)",
                 (unsigned long long)s->http_retries, (unsigned long long)s->http_resumes,
                 (unsigned long long)s->http_restarts);
    for (size_t i = 0; i < o->ninputs && !cli_interrupted; i++)
        if (j->status[i] == -1)
            fprintf(stderr, "mathmine extract: failed: %s: %s\n", o->inputs[i],
                    j->why[i] ? j->why[i] : "see above");
    if (!o->stats_path) return;
    mm_buf b = {0};
    if (stats_json(s, j, skipped, failed, secs, &b) == MM_OK)
        cli_write_stats(CMD, o->stats_path, &b);
    mm_buf_free(&b);
}

static char **output_paths(const opts *o) {
    char **outs = calloc(o->ninputs + 1, sizeof *outs);
    for (size_t i = 0; outs && i < o->ninputs; i++) {
        char stem[1024];
        mm_stem(o->inputs[i], stem, sizeof stem);
        size_t len = strlen(o->out_dir) + strlen(stem) + 16;
        outs[i] = malloc(len);
        if (!outs[i]) cli_die(CMD, MM_ERR_NOMEM);
        snprintf(outs[i], len, "%s/%s.jsonl.zst", o->out_dir, stem);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(outs[k], outs[i]))
                cli_usage_error(CMD, "inputs %s and %s would both write %s", o->inputs[k],
                                o->inputs[i], outs[i]);
    }
    return outs;
}

static int run_warcs(const opts *o) {
    mm_err e = mm_mkdirs(o->out_dir);
    if (e != MM_OK) cli_die(CMD, e);
    int nt = mm_pool_threads(o->threads, o->ninputs);
    job j = {.o = o,
             .ctx = calloc((size_t)nt, sizeof *j.ctx),
             .st = calloc((size_t)nt, sizeof *j.st),
             .outs = output_paths(o),
             .status = calloc(o->ninputs + 1, sizeof *j.status),
             .why = calloc(o->ninputs + 1, sizeof *j.why),
             .prog = mm_progress_create("extract", 0, "records")};
    if (!j.ctx || !j.st || !j.outs || !j.status || !j.why) cli_die(CMD, MM_ERR_NOMEM);
    double t0 = mm_now();
    mm_pool_run(o->ninputs, o->threads, one_file, &j);
    double secs = mm_now() - t0;
    mm_progress_done(j.prog);
    mm_extract_stats total = {0};
    size_t skipped = 0, failed = 0;
    for (int w = 0; w < nt; w++) {
        mm_extract_stats_add(&total, &j.st[w]);
        mm_extract_free(j.ctx[w]);
    }
    for (size_t i = 0; i < o->ninputs; i++) {
        skipped += j.status[i] == 1, failed += j.status[i] == -1;
        free(j.outs[i]);
    }
    summary(&j, &total, skipped, failed, secs);
    for (size_t i = 0; i < o->ninputs; i++)
        free(j.why[i]);
    free(j.ctx), free(j.st), free(j.outs), free(j.status), free(j.why);
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_extract(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_EXIT_OK;
    }
    opts o;
    parse(argc, argv, &o);
    int rc = o.html ? run_html(&o) : run_warcs(&o);
    free(o.args);
    mm_inputs_free(&o.all);
    free(o.lang_list);
    return rc;
}
