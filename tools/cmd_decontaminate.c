/* mathmine decontaminate — remove documents that share an n-gram with a benchmark
 * (dedup/decontam.h).
 *
 * Per input shard (in parallel, -j): clean documents go to OUT/<stem>.jsonl.zst; removed ones
 * are gathered and written, in input order, to OUT/removed/removed.jsonl.zst; the report names, for
 * each removed document, the benchmark, item and matching n-gram, and for each benchmark the items
 * that were found.  Every run redoes every shard (it is fast, and the benchmark set may have
 * changed since the last run); outputs are atomic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/attrs.h"
#include "common/doc.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "dedup/decontam.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "decontaminate"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine decontaminate --bench SPEC... [--bench-dir DIR] -o D [options] "
        "SHARD...\n\n"
        "Remove every document that contains an n-gram (default 10 words) of a benchmark question\n"
        "or answer; benchmark texts of 3..n-1 words must appear whole.  Words are lowercase,\n"
        "punctuation is dropped, every CJK character is a word; texts under 3 words are not "
        "used.\n\n"
        "Options:\n"
        "  --bench SPEC     a benchmark file or folder (repeatable): [NAME=]PATH[@FIELDS]\n"
        "                   NAME is a preset: gsm8k math math500 cmath agieval mmlu mmlu_stem "
        "svamp\n"
        "                   asdiv mawps mathqa minerva_ocw sat_math mgsm_zh (without NAME, the "
        "folder\n"
        "                   name picks it).  FIELDS overrides the preset: comma-separated texts,\n"
        "                   '+' joins parts, 'a|b' takes the first present, '?' marks optional,\n"
        "                   'a.b.0' is a JSON path, CSV fields are column numbers, XML fields are\n"
        "                   child elements of the records named by a 'Tag/' prefix (default "
        "Problem/).\n"
        "                   e.g. --bench gsm8k=test.jsonl  --bench mine=q.jsonl@prompt,solution\n"
        "  --bench-dir DIR  load every folder of DIR named after a preset (../shared/benchmarks)\n"
        "  -n N             n-gram length (default 10, 3..100)\n"
        "  -o, --out D      (alias --out-dir) clean shards D/<stem>.jsonl.zst and removed "
        "documents D/removed/removed.jsonl.zst\n"
        "  --attrs A        attribute mode instead of --out-dir: only "
        "A/<stem>.contaminated.attrs.tsv\n"
        "                   (id, contaminated:<benchmark>, the matching item) and the report\n"
        "                   (default A/decontam-report.json); documents dropped by the attribute\n"
        "                   files of earlier filters in A are not scanned.  `mathmine apply`\n"
        "                   writes the clean shards once\n"
        "  --report R       JSON report (default D/decontam-report.json)\n"
        "  --removed F      the removed documents (default D/removed/removed.jsonl.zst)\n"
        "  --max-matches K  benchmark texts reported per removed document (default 8)\n"
        "  -j N             threads (default: all cores)\n"
        "  --stats FILE     run summary as JSON\n" STAGE_ARGS_HELP
        "                   (with a task of N > 1 the default report and removed file names\n"
        "                   end in -task-I-of-N: each task writes its own)\n"
        "  -h, --help       this help\n\n"
        "A benchmark record with a broken line or a missing field is reported with its line\n"
        "number and the run exits 1 after doing all the work; broken shard lines are counted and\n"
        "skipped.\n");
}

typedef struct removed_doc {
    char *id, *url;
    uint64_t line; /* 1-based record number of the document in its shard */
    size_t nm;
    mm_decontam_match m[];
} removed_doc;

typedef struct shard {
    const char *path;
    char stem[256];
    mm_buf removed; /* raw lines of removed documents */
    removed_doc **docs;
    size_t ndocs, capdocs;
    uint64_t in, bad, bytes, skipped;
    double scan_time; /* seconds inside mm_decontam_scan (monotonic clock) */
    double read_time; /* seconds reading documents: zstd, lines, JSON (monotonic clock) */
    double cpu;       /* thread CPU seconds for the whole shard */
    mm_err err;
    char errmsg[512];
} shard;

typedef struct job {
    const mm_decontam *d;
    shard *shards;
    const char *out_dir;
    bool attrs; /* attribute mode: out_dir is the attribute folder */
    int max_matches;
    mm_progress *prog;
} job;

static mm_err keep_removed(shard *s, const mm_doc *doc, uint64_t line, const mm_decontam_match *m,
                           size_t nm) {
    if (s->ndocs == s->capdocs) {
        size_t c = s->capdocs ? s->capdocs * 2 : 16;
        removed_doc **p = realloc(s->docs, c * sizeof *p);
        if (!p) return MM_ERR_NOMEM;
        s->docs = p;
        s->capdocs = c;
    }
    removed_doc *r = mm_calloc(1, sizeof *r + nm * sizeof *m);
    if (!r) return MM_ERR_NOMEM;
    r->id = mm_strndup(doc->id, strlen(doc->id));
    r->url = mm_strndup(doc->url, strlen(doc->url));
    r->line = line;
    r->nm = nm;
    memcpy(r->m, m, nm * sizeof *m);
    s->docs[s->ndocs++] = r;
    MM_TRY(mm_buf_append(&s->removed, doc->raw, doc->raw_len));
    return mm_buf_putc(&s->removed, '\n');
}

/* The attribute line of a contaminated document: reason contaminated:<benchmark> of its first
 * match, detail "<file> item <N>". */
static mm_err add_attr(mm_attr_writer *w, const mm_decontam *d, const mm_doc *doc,
                       const mm_decontam_match *m, mm_buf *why) {
    mm_decontam_text_info t;
    mm_decontam_bench_info b;
    mm_decontam_text(d, m->text, &t);
    mm_decontam_bench(d, t.bench, &b);
    mm_buf_clear(why);
    MM_TRY(mm_buf_printf(why, "contaminated:%s", b.name));
    char detail[512];
    snprintf(detail, sizeof detail, "%s item %llu", b.file, (unsigned long long)t.item);
    return mm_attr_writer_add(w, doc->id, why->data, detail);
}

/* The scan of each document is timed with the monotonic clock (mm_now): it is read without a
 * system call, while the thread CPU clock costs one (1.6 us on this VM, and a system call can
 * flush the TLB that the scan's random lookups depend on).  With one thread per core the two
 * agree; on a loaded machine the monotonic time can only be longer. */

static mm_err do_shard(void *ctx, size_t i, int worker) {
    (void)worker;
    job *j = ctx;
    shard *s = &j->shards[i];
    char out_path[4096];
    snprintf(out_path, sizeof out_path, "%s/%s.jsonl.zst", j->out_dir, s->stem);
    mm_doc_reader *r = NULL;
    mm_out *o = NULL;
    mm_attr_writer *aw = NULL;
    mm_attrs *skip = NULL;
    mm_buf ap = {0}, why = {0};
    mm_err e = mm_doc_reader_open(s->path, &r);
    if (!e) mm_doc_reader_light(r); /* id, text, url and the raw line are all it needs */
    if (!e && j->attrs) e = mm_attrs_load(&j->out_dir, 1, s->path, MM_ATTR_CONTAMINATED, &skip);
    if (!e && j->attrs) e = mm_attr_path(j->out_dir, s->path, MM_ATTR_CONTAMINATED, &ap);
    if (!e && j->attrs)
        e = mm_attr_writer_open(ap.data, MM_ATTR_CONTAMINATED, &aw);
    else if (!e)
        e = mm_out_open(out_path, 3, &o);
    mm_decontam_match m[64];
    mm_doc doc;
    int got;
    double c0 = mm_thread_cpu();
    uint64_t line = 0, last_bytes = 0;
    double tr = mm_now();
    while (!e && !cli_interrupted && (got = mm_doc_reader_next(r, &doc, &e)) != 0) {
        s->read_time += mm_now() - tr;
        line++;
        if (got < 0) {
            if (mm_doc_reader_bad(r) <= 3) cli_warn(CMD, "%s", mm_error_detail());
            continue;
        }
        if (mm_attrs_reason(skip, doc.id, strlen(doc.id))) {
            s->skipped++;
            continue;
        }
        s->in++;
        s->bytes += doc.text_len;
        double t0 = mm_now();
        size_t nm = mm_decontam_scan(j->d, doc.text, doc.text_len, m, (size_t)j->max_matches);
        s->scan_time += mm_now() - t0;
        if (nm) {
            e = keep_removed(s, &doc, line, m, nm);
            if (!e && aw) e = add_attr(aw, j->d, &doc, &m[0], &why);
        } else if (o && !(e = mm_out_write(o, doc.raw, doc.raw_len)))
            e = mm_out_write(o, "\n", 1);
        if ((s->in & 1023) == 0) {
            uint64_t b = mm_doc_reader_bytes(r);
            mm_progress_add(j->prog, 0, b - last_bytes);
            last_bytes = b;
        }
        tr = mm_now();
    }
    if (!e && cli_interrupted) e = mm_fail(MM_ERR_IO, "interrupted");
    if (r) s->bad = mm_doc_reader_bad(r);
    if (!e && o) e = mm_out_commit(o), o = NULL;
    if (!e && aw) e = mm_attr_writer_commit(aw), aw = NULL;
    mm_out_abort(o);
    mm_attr_writer_abort(aw);
    mm_attrs_free(skip);
    mm_buf_free(&ap);
    mm_buf_free(&why);
    s->cpu = mm_thread_cpu() - c0;
    mm_progress_add(j->prog, 1, r ? mm_doc_reader_bytes(r) - last_bytes : 0);
    mm_doc_reader_close(r);
    if (e) {
        s->err = e;
        snprintf(s->errmsg, sizeof s->errmsg, "%s", mm_error_detail());
    }
    return e;
}

/* CPU seconds of the whole process so far (user + system). */
static double process_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* ---- report ---- */

typedef struct found {
    uint32_t text;
    uint64_t docs;
} found;

static int cmp_found(const void *a, const void *b) {
    const found *x = a, *y = b;
    return x->text < y->text ? -1 : x->text > y->text;
}

static mm_err write_match(mm_jw *w, const mm_decontam *d, const mm_decontam_match *m, mm_buf *tmp) {
    mm_decontam_text_info t;
    mm_decontam_bench_info b;
    mm_decontam_text(d, m->text, &t);
    mm_decontam_bench(d, t.bench, &b);
    mm_buf_clear(tmp);
    MM_TRY(mm_decontam_ngram(d, m, tmp));
    MM_TRY(mm_jw_obj_begin(w));
    MM_TRY(mm_jw_key(w, "benchmark"));
    MM_TRY(mm_jw_string(w, b.name));
    MM_TRY(mm_jw_key(w, "file"));
    MM_TRY(mm_jw_string(w, b.file));
    MM_TRY(mm_jw_key(w, "item"));
    MM_TRY(mm_jw_uint(w, t.item));
    MM_TRY(mm_jw_key(w, "line"));
    MM_TRY(t.line ? mm_jw_uint(w, t.line) : mm_jw_null(w));
    MM_TRY(mm_jw_key(w, "id"));
    MM_TRY(mm_jw_string(w, t.id));
    MM_TRY(mm_jw_key(w, "field"));
    MM_TRY(mm_jw_string(w, t.field));
    MM_TRY(mm_jw_key(w, "kind"));
    MM_TRY(mm_jw_string(w, m->whole ? "whole" : "ngram"));
    MM_TRY(mm_jw_key(w, "ngram"));
    MM_TRY(mm_jw_stringn(w, tmp->data ? tmp->data : "", tmp->len));
    MM_TRY(mm_jw_key(w, "doc_word"));
    MM_TRY(mm_jw_uint(w, m->doc_word));
    return mm_jw_obj_end(w);
}

static mm_err write_bench(mm_jw *w, const mm_decontam *d, size_t bi, const found *f, size_t nf) {
    mm_decontam_bench_info b;
    mm_decontam_bench(d, bi, &b);
    MM_TRY(mm_jw_obj_begin(w));
    MM_TRY(mm_jw_key(w, "name"));
    MM_TRY(mm_jw_string(w, b.name));
    MM_TRY(mm_jw_key(w, "file"));
    MM_TRY(mm_jw_string(w, b.file));
    MM_TRY(mm_jw_key(w, "fields"));
    MM_TRY(mm_jw_string(w, b.fields));
    MM_TRY(mm_jw_key(w, "records"));
    MM_TRY(mm_jw_uint(w, b.records));
    MM_TRY(mm_jw_key(w, "texts"));
    MM_TRY(mm_jw_uint(w, b.texts));
    MM_TRY(mm_jw_key(w, "short_texts"));
    MM_TRY(mm_jw_uint(w, b.short_texts));
    MM_TRY(mm_jw_key(w, "too_short"));
    MM_TRY(mm_jw_uint(w, b.too_short));
    MM_TRY(mm_jw_key(w, "trivial"));
    MM_TRY(mm_jw_uint(w, b.trivial));
    MM_TRY(mm_jw_key(w, "bad_records"));
    MM_TRY(mm_jw_uint(w, b.bad));
    uint64_t items = 0, last = UINT64_MAX;
    for (size_t k = 0; k < nf; k++) {
        mm_decontam_text_info t;
        mm_decontam_text(d, f[k].text, &t);
        if (t.bench == bi && t.item != last) items++, last = t.item;
    }
    MM_TRY(mm_jw_key(w, "items_found"));
    MM_TRY(mm_jw_uint(w, items));
    MM_TRY(mm_jw_key(w, "found"));
    MM_TRY(mm_jw_arr_begin(w));
    for (size_t k = 0; k < nf; k++) {
        mm_decontam_text_info t;
        mm_decontam_text(d, f[k].text, &t);
        if (t.bench != bi) continue;
        MM_TRY(mm_jw_obj_begin(w));
        MM_TRY(mm_jw_key(w, "item"));
        MM_TRY(mm_jw_uint(w, t.item));
        MM_TRY(mm_jw_key(w, "line"));
        MM_TRY(t.line ? mm_jw_uint(w, t.line) : mm_jw_null(w));
        MM_TRY(mm_jw_key(w, "id"));
        MM_TRY(mm_jw_string(w, t.id));
        MM_TRY(mm_jw_key(w, "field"));
        MM_TRY(mm_jw_string(w, t.field));
        MM_TRY(mm_jw_key(w, "docs"));
        MM_TRY(mm_jw_uint(w, f[k].docs));
        MM_TRY(mm_jw_obj_end(w));
    }
    MM_TRY(mm_jw_arr_end(w));
    return mm_jw_obj_end(w);
}

static mm_err build_report(mm_buf *out, const mm_decontam *d, shard *sh, size_t ns, int n,
                           double load_s, double scan_s, uint64_t rss_kb) {
    mm_jw w;
    mm_jw_init(&w, out);
    mm_buf tmp = {0};
    uint64_t in = 0, rm = 0, bad = 0, bytes = 0;
    found *f = NULL;
    size_t nf = 0, capf = 0;
    for (size_t i = 0; i < ns; i++) {
        in += sh[i].in, rm += sh[i].ndocs, bad += sh[i].bad, bytes += sh[i].bytes;
        for (size_t k = 0; k < sh[i].ndocs; k++)
            for (size_t m = 0; m < sh[i].docs[k]->nm; m++) {
                if (nf == capf) {
                    capf = capf ? capf * 2 : 64;
                    found *p = realloc(f, capf * sizeof *p);
                    if (!p) return MM_ERR_NOMEM;
                    f = p;
                }
                f[nf++] = (found){sh[i].docs[k]->m[m].text, 1};
            }
    }
    if (nf) qsort(f, nf, sizeof *f, cmp_found);
    size_t u = 0;
    for (size_t k = 0; k < nf; k++) {
        if (u && f[u - 1].text == f[k].text)
            f[u - 1].docs++;
        else
            f[u++] = f[k];
    }
    nf = u;
    mm_err e = mm_jw_obj_begin(&w);
    if (!e) e = mm_jw_key(&w, "n"), e = e ? e : mm_jw_int(&w, n);
    if (!e) e = mm_jw_key(&w, "docs_in"), e = e ? e : mm_jw_uint(&w, in);
    if (!e) e = mm_jw_key(&w, "docs_removed"), e = e ? e : mm_jw_uint(&w, rm);
    if (!e) e = mm_jw_key(&w, "docs_clean"), e = e ? e : mm_jw_uint(&w, in - rm);
    if (!e) e = mm_jw_key(&w, "broken_lines_skipped"), e = e ? e : mm_jw_uint(&w, bad);
    if (!e) e = mm_jw_key(&w, "text_bytes"), e = e ? e : mm_jw_uint(&w, bytes);
    if (!e) e = mm_jw_key(&w, "benchmark_keys"), e = e ? e : mm_jw_uint(&w, mm_decontam_keys(d));
    if (!e) e = mm_jw_key(&w, "benchmark_load_s"), e = e ? e : mm_jw_double(&w, load_s);
    if (!e) e = mm_jw_key(&w, "scan_s"), e = e ? e : mm_jw_double(&w, scan_s);
    if (!e) e = mm_jw_key(&w, "max_rss_kb"), e = e ? e : mm_jw_uint(&w, rss_kb);
    if (!e) e = mm_jw_key(&w, "benchmark_problems"), e = e ? e : mm_jw_arr_begin(&w);
    for (size_t i = 0; !e && i < mm_decontam_nproblems(d); i++)
        e = mm_jw_string(&w, mm_decontam_problem(d, i));
    if (!e) e = mm_jw_arr_end(&w);
    if (!e) e = mm_jw_key(&w, "benchmarks"), e = e ? e : mm_jw_arr_begin(&w);
    for (size_t b = 0; !e && b < mm_decontam_nbench(d); b++)
        e = write_bench(&w, d, b, f, nf);
    if (!e) e = mm_jw_arr_end(&w);
    if (!e) e = mm_jw_key(&w, "removed"), e = e ? e : mm_jw_arr_begin(&w);
    for (size_t i = 0; !e && i < ns; i++)
        for (size_t k = 0; !e && k < sh[i].ndocs; k++) {
            removed_doc *r = sh[i].docs[k];
            e = mm_jw_obj_begin(&w);
            if (!e) e = mm_jw_key(&w, "id"), e = e ? e : mm_jw_string(&w, r->id ? r->id : "");
            if (!e) e = mm_jw_key(&w, "url"), e = e ? e : mm_jw_string(&w, r->url ? r->url : "");
            if (!e) e = mm_jw_key(&w, "shard"), e = e ? e : mm_jw_string(&w, sh[i].path);
            if (!e) e = mm_jw_key(&w, "line"), e = e ? e : mm_jw_uint(&w, r->line);
            if (!e) e = mm_jw_key(&w, "matches"), e = e ? e : mm_jw_arr_begin(&w);
            for (size_t m = 0; !e && m < r->nm; m++)
                e = write_match(&w, d, &r->m[m], &tmp);
            if (!e) e = mm_jw_arr_end(&w);
            if (!e) e = mm_jw_obj_end(&w);
        }
    if (!e) e = mm_jw_arr_end(&w);
    if (!e) e = mm_jw_obj_end(&w);
    free(f);
    mm_buf_free(&tmp);
    return e;
}

static uint64_t max_rss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_maxrss;
}

int cmd_decontaminate(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const char **benches = calloc((size_t)argc, sizeof *benches),
               **dirs = calloc((size_t)argc, sizeof *dirs);
    shard *sh = calloc((size_t)argc, sizeof *sh);
    if (!benches || !dirs || !sh) cli_die(CMD, MM_ERR_NOMEM);
    const char **args = calloc((size_t)argc, sizeof *args);
    if (!args) cli_die(CMD, MM_ERR_NOMEM);
    stage_args sa = {0};
    size_t nb = 0, nd = 0, ns = 0, nargs = 0;
    const char *out_dir = NULL, *report = NULL, *stats = NULL, *removed = NULL, *attrs = NULL;
    int n = 10, threads = 0, max_matches = 8;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (stage_option(CMD, argc, argv, &i, &sa)) continue;
        if (!strcmp(a, "--bench") && more)
            benches[nb++] = argv[++i];
        else if (!strcmp(a, "--bench-dir") && more)
            dirs[nd++] = argv[++i];
        else if (!strcmp(a, "-n") && more)
            n = (int)cli_parse_int(CMD, a, argv[++i], 3, MM_DECONTAM_MAX_N);
        else if (!strcmp(a, "-j") && more)
            threads = (int)cli_parse_int(CMD, a, argv[++i], 0, 4096);
        else if (!strcmp(a, "--max-matches") && more)
            max_matches = (int)cli_parse_int(CMD, a, argv[++i], 1, 64);
        else if (cli_is_out(a) && more)
            out_dir = argv[++i];
        else if (!strcmp(a, "--attrs") && more)
            attrs = argv[++i];
        else if (!strcmp(a, "--report") && more)
            report = argv[++i];
        else if (!strcmp(a, "--removed") && more)
            removed = argv[++i];
        else if (!strcmp(a, "--stats") && more)
            stats = argv[++i];
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "unknown option or missing value: '%s'", a);
        else
            args[nargs++] = a;
    }
    mm_inputs inputs;
    size_t lo, hi;
    stage_inputs(CMD, &sa, args, nargs, &inputs, &lo, &hi);
    free(args);
    free(sh);
    sh = calloc(hi - lo + 1, sizeof *sh);
    if (!sh) cli_die(CMD, MM_ERR_NOMEM);
    for (size_t i = lo; i < hi; i++)
        sh[ns++].path = inputs.v[i];
    /* each task of several writes its own report and removed file */
    char task_sfx[64] = "";
    if (sa.task.count > 1)
        snprintf(task_sfx, sizeof task_sfx, "-task-%u-of-%u", sa.task.index, sa.task.count);
    if (!nb && !nd) cli_usage_error(CMD, "no benchmarks: give --bench SPEC or --bench-dir DIR");
    if (!out_dir == !attrs)
        cli_usage_error(CMD, "give -o/--out D (clean copies) or --attrs A (attribute files)");
    if (attrs) out_dir = attrs;
    if (!inputs.n) cli_usage_error(CMD, "no input shards");
    for (size_t i = 0; i < ns; i++) {
        mm_stem(sh[i].path, sh[i].stem, sizeof sh[i].stem);
        if (!strcmp(sh[i].stem, "removed"))
            cli_usage_error(CMD, "%s: the stem 'removed' is reserved for the removed documents",
                            sh[i].path);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(sh[i].stem, sh[k].stem))
                cli_usage_error(CMD, "%s and %s would both write %s.jsonl.zst", sh[k].path,
                                sh[i].path, sh[i].stem);
    }
    char report_def[4096];
    if (!report) {
        snprintf(report_def, sizeof report_def, "%s/decontam-report%s.json", out_dir, task_sfx);
        report = report_def;
    }

    double t0 = mm_now(), c0 = process_cpu();
    mm_decontam *d;
    mm_err e = mm_decontam_create(n, &d);
    if (e) cli_die(CMD, e);
    for (size_t i = 0; i < nb; i++)
        if ((e = mm_decontam_add_spec(d, benches[i]))) cli_die(CMD, e);
    for (size_t i = 0; i < nd; i++)
        if ((e = mm_decontam_add_dir(d, dirs[i]))) cli_die(CMD, e);
    if ((e = mm_decontam_build(d))) cli_die(CMD, e);
    double load_s = mm_now() - t0, load_cpu = process_cpu() - c0;
    size_t nprob = mm_decontam_nproblems(d);
    for (size_t i = 0; i < nprob; i++)
        cli_warn(CMD, "benchmark: %s", mm_decontam_problem(d, i));
    uint64_t texts = 0;
    for (size_t b = 0; b < mm_decontam_nbench(d); b++) {
        mm_decontam_bench_info bi;
        mm_decontam_bench(d, b, &bi);
        texts += bi.texts;
    }
    if (!texts) { /* every document would pass as clean */
        mm_fail(MM_ERR_FORMAT,
                "no benchmark text of 3 words or more in %zu benchmark files: "
                "nothing to decontaminate against",
                mm_decontam_nbench(d));
        cli_die(CMD, MM_ERR_FORMAT);
    }
    cli_info(0,
             "decontaminate: %zu benchmark files, %llu texts, %llu keys, %.1f MB index, loaded in "
             "%.2f s",
             mm_decontam_nbench(d), (unsigned long long)texts,
             (unsigned long long)mm_decontam_keys(d), mm_decontam_bytes(d) / 1e6, load_s);
    if ((e = mm_mkdirs(out_dir))) cli_die(CMD, e);

    double t1 = mm_now();
    job j = {d,           sh,
             out_dir,     attrs != NULL,
             max_matches, mm_progress_create("decontaminate", ns, "shards")};
    mm_err pe = mm_pool_run(ns, threads, do_shard, &j);
    mm_progress_done(j.prog);
    double scan_s = mm_now() - t1;
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    int failed = 0;
    mm_buf all = {0};
    for (size_t i = 0; i < ns; i++) {
        if (sh[i].err) {
            failed++;
            fprintf(stderr, "mathmine %s: error: %s: %s\n", CMD, sh[i].path, sh[i].errmsg);
        }
        if (mm_buf_append(&all, sh[i].removed.data ? sh[i].removed.data : "", sh[i].removed.len))
            cli_die(CMD, MM_ERR_NOMEM);
    }
    (void)pe;
    char rm_path[4096];
    if (removed)
        snprintf(rm_path, sizeof rm_path, "%s", removed);
    else if (attrs)
        rm_path[0] = 0; /* the attribute files list them */
    else {
        /* a subfolder, so that a glob over the clean shards does not pick it up */
        snprintf(rm_path, sizeof rm_path, "%s/removed", out_dir);
        if ((e = mm_mkdirs(rm_path))) cli_die(CMD, e);
        snprintf(rm_path, sizeof rm_path, "%s/removed/removed%s.jsonl.zst", out_dir, task_sfx);
    }
    if (rm_path[0] && (e = mm_out_file(rm_path, 3, all.data ? all.data : "", all.len)))
        cli_die(CMD, e);
    mm_buf rep = {0};
    if ((e = build_report(&rep, d, sh, ns, n, load_s, scan_s, max_rss_kb()))) cli_die(CMD, e);
    if ((e = mm_buf_putc(&rep, '\n')) || (e = mm_out_file(report, 0, rep.data, rep.len)))
        cli_die(CMD, e);

    uint64_t in = 0, rm = 0, bad = 0, bytes = 0, skipped = 0;
    double scan_time = 0, read_time = 0, cpu = 0;
    for (size_t i = 0; i < ns; i++) {
        skipped += sh[i].skipped;
        in += sh[i].in, rm += sh[i].ndocs, bad += sh[i].bad, bytes += sh[i].bytes;
        scan_time += sh[i].scan_time, read_time += sh[i].read_time, cpu += sh[i].cpu;
    }
    int thr = mm_pool_threads(threads, ns);
    cli_info(
        0,
        "decontaminate: %llu docs, %llu removed, %llu broken lines skipped; %.1f MB text in %.2f s "
        "(%.0f MB/s, %.0f MB/s per thread; scan alone %.0f MB/s per thread); report %s",
        (unsigned long long)in, (unsigned long long)rm, (unsigned long long)bad, bytes / 1e6,
        scan_s, bytes / 1e6 / (scan_s > 0 ? scan_s : 1e-9),
        bytes / 1e6 / (scan_s > 0 ? scan_s : 1e-9) / thr,
        scan_time > 0 ? bytes / 1e6 / scan_time : 0, report);
    if (stats) {
        mm_buf js = {0};
        mm_jw w;
        mm_jw_init(&w, &js);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "docs_in");
        mm_jw_uint(&w, in);
        mm_jw_key(&w, "docs_removed");
        mm_jw_uint(&w, rm);
        mm_jw_key(&w, "docs_skipped_by_earlier_attrs");
        mm_jw_uint(&w, skipped);
        mm_jw_key(&w, "broken_lines_skipped");
        mm_jw_uint(&w, bad);
        mm_jw_key(&w, "text_bytes");
        mm_jw_uint(&w, bytes);
        mm_jw_key(&w, "benchmark_load_s");
        mm_jw_double(&w, load_s);
        mm_jw_key(&w, "benchmark_load_cpu_s");
        mm_jw_double(&w, load_cpu);
        mm_jw_key(&w, "benchmark_keys");
        mm_jw_uint(&w, mm_decontam_keys(d));
        mm_jw_key(&w, "scan_s");
        mm_jw_double(&w, scan_s);
        mm_jw_key(&w, "threads");
        mm_jw_int(&w, thr);
        mm_jw_key(&w, "mb_per_s_per_thread");
        mm_jw_double(&w, bytes / 1e6 / (scan_s > 0 ? scan_s : 1e-9) / thr);
        mm_jw_key(&w, "scan_thread_s");
        mm_jw_double(&w, scan_time);
        mm_jw_key(&w, "scan_mb_per_thread_s");
        mm_jw_double(&w, scan_time > 0 ? bytes / 1e6 / scan_time : 0);
        mm_jw_key(&w, "read_thread_s");
        mm_jw_double(&w, read_time);
        /* reading + scanning: what a pass costs that writes no corpus copy */
        mm_jw_key(&w, "read_scan_mb_per_thread_s");
        mm_jw_double(&w, read_time + scan_time > 0 ? bytes / 1e6 / (read_time + scan_time) : 0);
        mm_jw_key(&w, "shard_cpu_s");
        mm_jw_double(&w, cpu);
        mm_jw_key(&w, "end_to_end_mb_per_cpu_s");
        mm_jw_double(&w, cpu > 0 ? bytes / 1e6 / cpu : 0);
        mm_jw_key(&w, "max_rss_kb");
        mm_jw_uint(&w, max_rss_kb());
        mm_jw_key(&w, "benchmark_index_bytes");
        mm_jw_uint(&w, mm_decontam_bytes(d));
        mm_jw_key(&w, "benchmark_problems");
        mm_jw_uint(&w, nprob);
        mm_jw_obj_end(&w);
        cli_write_stats(CMD, stats, &js);
        mm_buf_free(&js);
    }
    for (size_t i = 0; i < ns; i++) {
        for (size_t k = 0; k < sh[i].ndocs; k++) {
            free(sh[i].docs[k]->id);
            free(sh[i].docs[k]->url);
            free(sh[i].docs[k]);
        }
        free(sh[i].docs);
        mm_buf_free(&sh[i].removed);
    }
    mm_buf_free(&all);
    mm_buf_free(&rep);
    mm_decontam_free(d);
    free(benches);
    free(dirs);
    free(sh);
    mm_inputs_free(&inputs);
    return failed || nprob ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
