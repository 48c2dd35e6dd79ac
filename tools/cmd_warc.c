/* tools/cmd_warc.c — `mathmine warc ls|cat|stats`: list, dump and count WARC records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/pool.h"
#include "common/progress.h"
#include "corpus/warc.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "warc"

typedef struct opts {
    const char *sub;
    char **inputs;
    size_t ninputs;
    char **listing; /* from --paths, freed at the end */
    const char *paths, *base, *stats_path, *what;
    long long offset;
    bool have_offset, verify, with_name, no_name, header;
    size_t max_record;
    int threads;
    mm_http_retry http;
} opts;

static void help(void) {
    printf("Usage: mathmine warc ls    [options] FILE...\n"
           "       mathmine warc cat   [options] FILE --offset N\n"
           "       mathmine warc stats [options] FILE...\n\n"
           "Read WARC files (.warc, .warc.gz with one gzip member per record or one for the\n"
           "whole file, .bz2, .xz, .zst, .lz4; '-' for standard input; http:// and https://\n"
           "URLs are streamed).  The codec is found from the file's first bytes.\n\n"
           "  ls     one TSV line per record: offset, type, target URI, date, block length,\n"
           "         HTTP status, content type, truncated ('-' where there is none).  The\n"
           "         offset is what 'cat --offset' takes: the byte offset in the file for plain\n"
           "         files and for gzip with one member per record; the offset in the\n"
           "         decompressed stream otherwise.  Content type: the HTTP Content-Type for\n"
           "         HTTP records, else the WARC Content-Type.  Truncated: why the block is\n"
           "         not the whole page:\n"
           "         the WARC-Truncated header (length, time, disconnect, unspecified), or\n"
           "         the block was cut short by the end of the file (eof), of its gzip\n"
           "         member (gzip) or of the compressed stream (stream); the record is still\n"
           "         listed, with the bytes that could be read.\n"
           "  cat    write the payload of the record at --offset to standard output.\n"
           "  stats  count records by type, truncated records by reason, damaged records by\n"
           "         reason, bytes, speed.\n\n"
           "Damaged input (garbage, a wrong Content-Length, a file cut short, a bad gzip member)\n"
           "is reported on stderr with the file and byte offset; reading goes on with the next\n"
           "record.  A record cut short is kept (marked truncated) and reported too.\n\n"
           "Options:\n"
           "  --paths FILE        also read inputs from a Common Crawl path listing\n"
           "                      (warc.paths.gz; one path per line, any codec)\n"
           "  --base URL          prefix for the --paths lines (default:\n"
           "                      https://data.commoncrawl.org/)\n"
           "  --max-record SIZE   largest record block held in memory (default 32M); larger\n"
           "                      blocks are skipped and counted as oversized\n"
           "  --verify-digests    check sha1 WARC-Block-Digest / WARC-Payload-Digest "
           "(off)\n" HTTP_ARGS_HELP "ls:\n"
           "  -H, --with-filename print the input name as a first column (default when there\n"
           "                      are several inputs)\n"
           "      --no-filename   never print it\n"
           "      --header        print a header line first (off)\n"
           "cat:\n"
           "  --offset N          the record's offset as printed by 'ls' (required)\n"
           "  --what WHAT         payload (default): the HTTP body de-chunked and decoded for\n"
           "                      HTTP records, the block for others; block: the record block\n"
           "                      as stored; record: WARC header and block; headers: the WARC\n"
           "                      header\n"
           "stats:\n"
           "  -j N                files read in parallel (default: all cores)\n"
           "  --stats FILE        also write the counts as JSON to FILE\n\n"
           "Exit status: 0 all inputs read cleanly; 1 an input could not be opened or had\n"
           "damaged records (everything else was still read); 2 usage error.\n");
}

static void parse(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->base = "https://data.commoncrawl.org/";
    o->what = "payload";
    mm_http_retry_defaults(&o->http);
    if (argc < 2) cli_usage_error(CMD, "expects a subcommand: ls, cat or stats");
    o->sub = argv[1];
    if (strcmp(o->sub, "ls") && strcmp(o->sub, "cat") && strcmp(o->sub, "stats"))
        cli_usage_error(CMD, "unknown subcommand '%s' (ls, cat, stats)", o->sub);
    o->inputs = calloc((size_t)argc, sizeof *o->inputs);
    if (!o->inputs) cli_die(CMD, MM_ERR_NOMEM);
    bool dashdash = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !strcmp(a, "-"))
            o->inputs[o->ninputs++] = argv[i];
        else if (!strcmp(a, "--"))
            dashdash = true;
        else if (http_option(CMD, argc, argv, &i, &o->http))
            continue;
        else if (!strcmp(a, "--paths") || !strcmp(a, "--inputs"))
            o->paths = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--base"))
            o->base = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--max-record"))
            o->max_record =
                (size_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 1, 1LL << 40);
        else if (!strcmp(a, "--verify-digests"))
            o->verify = true;
        else if (!strcmp(a, "-H") || !strcmp(a, "--with-filename"))
            o->with_name = true;
        else if (!strcmp(a, "--no-filename"))
            o->no_name = true;
        else if (!strcmp(a, "--header"))
            o->header = true;
        else if (!strcmp(a, "--offset"))
            o->offset = cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 0, 1LL << 62),
            o->have_offset = true;
        else if (!strcmp(a, "--what"))
            o->what = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "-j"))
            o->threads = (int)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 1, 4096);
        else if (!strcmp(a, "--stats"))
            o->stats_path = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "-q"))
            cli_verbosity = -1;
        else if (!strcmp(a, "-v"))
            cli_verbosity++;
        else
            cli_usage_error(CMD, "unknown option '%s'", a);
    }
}

static void add_listing(opts *o) {
    if (!o->paths) return;
    size_t n;
    mm_err e = mm_warc_read_paths(o->paths, o->base, &o->listing, &n);
    if (e != MM_OK) cli_die(CMD, e);
    char **all = realloc(o->inputs, (o->ninputs + n + 1) * sizeof *all);
    if (!all) cli_die(CMD, MM_ERR_NOMEM);
    o->inputs = all;
    for (size_t i = 0; i < n; i++)
        o->inputs[o->ninputs++] = o->listing[i];
}

static mm_warc_opts reader_opts(const opts *o) {
    mm_warc_opts ro = {0};
    ro.max_record = o->max_record;
    ro.verify_digests = o->verify;
    ro.http = &o->http;
    return ro;
}

/* ---- ls ----------------------------------------------------------------------------------- */

/* A field for a TSV cell: tabs and line ends become spaces, empty becomes "-". */
static void put_cell(FILE *f, const char *s, size_t n) {
    if (!s || n == 0) {
        fputc('-', f);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        fputc(c == '\t' || c == '\n' || c == '\r' ? ' ' : c, f);
    }
}

/* The Content-Type value in an HTTP header, without decoding the body. */
static bool http_content_type(const unsigned char *b, size_t n, const char **v, size_t *vn) {
    size_t i = 0;
    while (i < n) {
        const unsigned char *e = memchr(b + i, '\n', n - i);
        size_t end = e ? (size_t)(e - b) : n;
        if (end == i || (end == i + 1 && b[i] == '\r')) return false;
        if (end - i > 13 && !strncasecmp((const char *)b + i, "content-type:", 13)) {
            size_t s = i + 13, t = end;
            while (s < t && (b[s] == ' ' || b[s] == '\t'))
                s++;
            while (t > s && (b[t - 1] == '\r' || b[t - 1] == ' '))
                t--;
            *v = (const char *)b + s, *vn = t - s;
            return true;
        }
        i = end + 1;
    }
    return false;
}

static void ls_line(const char *name, const mm_warc_record *r) {
    if (name) {
        put_cell(stdout, name, strlen(name));
        fputc('\t', stdout);
    }
    printf("%llu\t", (unsigned long long)r->offset);
    put_cell(stdout, r->type_name, strlen(r->type_name));
    fputc('\t', stdout);
    put_cell(stdout, r->target_uri, strlen(r->target_uri));
    fputc('\t', stdout);
    put_cell(stdout, r->date, strlen(r->date));
    printf("\t%llu\t", (unsigned long long)r->content_length);
    int st = r->block ? mm_http_status(r->block, r->block_len) : 0;
    const char *ct = r->content_type;
    size_t ctn = strlen(ct);
    if (st) {
        printf("%d\t", st);
        const char *v;
        size_t vn;
        if (http_content_type(r->block, r->block_len, &v, &vn)) ct = v, ctn = vn;
    } else {
        fputs("-\t", stdout);
    }
    put_cell(stdout, ct, ctn);
    fputc('\t', stdout);
    const char *tr = mm_warc_trunc_name(r->truncated);
    put_cell(stdout, tr, strlen(tr));
    fputc('\n', stdout);
}

/* Read every record of one input; `fn` sees each good one.  Returns false when the input could
 * not be opened or had damage (already reported). */
typedef void (*rec_fn)(void *ctx, const char *name, const mm_warc_record *r);

static bool each_record(const opts *o, const char *path, rec_fn fn, void *ctx, mm_warc_stats *st,
                        mm_progress *prog) {
    mm_warc_opts ro = reader_opts(o);
    mm_warc *w;
    mm_err e = mm_warc_open(path, &ro, &w);
    if (e != MM_OK) {
        cli_warn(CMD, "%s", mm_error_detail());
        return false;
    }
    mm_warc_record r;
    int rc;
    bool clean = true;
    uint64_t last_bytes = 0, n = 0;
    while (!cli_interrupted && (rc = mm_warc_next(w, &r, &e)) != 0) {
        if (rc < 0) {
            cli_warn(CMD, "%s", mm_error_detail());
            clean = false;
            continue;
        }
        if (r.truncated >= MM_WARC_TRUNC_EOF) {
            cli_warn(CMD,
                     "%s: byte %llu: record cut short: %zu of its %llu bytes read (%s); kept, "
                     "marked truncated",
                     path, (unsigned long long)r.offset, r.block_len,
                     (unsigned long long)r.content_length, mm_warc_trunc_name(r.truncated));
            clean = false;
        }
        if (fn) fn(ctx, path, &r);
        if (prog && ++n % 256 == 0) {
            uint64_t b = mm_warc_get_stats(w)->bytes_out;
            mm_progress_add(prog, 256, b - last_bytes);
            last_bytes = b;
        }
    }
    if (e != MM_OK) {
        cli_warn(CMD, "%s", mm_error_detail());
        clean = false;
    }
    if (st) *st = *mm_warc_get_stats(w);
    if (prog) mm_progress_add(prog, n % 256, mm_warc_get_stats(w)->bytes_out - last_bytes);
    mm_warc_close(w);
    return clean;
}

static void ls_fn(void *ctx, const char *name, const mm_warc_record *r) {
    ls_line(*(bool *)ctx ? name : NULL, r);
}

static int cmd_ls(opts *o) {
    bool with_name = !o->no_name && (o->with_name || o->ninputs > 1);
    if (o->header)
        printf("%soffset\ttype\ttarget_uri\tdate\tlength\thttp_status\tcontent_type\ttruncated\n",
               with_name ? "file\t" : "");
    bool clean = true;
    for (size_t i = 0; i < o->ninputs && !cli_interrupted; i++)
        clean &= each_record(o, o->inputs[i], ls_fn, &with_name, NULL, NULL);
    if (fflush(stdout) != 0) cli_warn(CMD, "write error on standard output");
    return cli_interrupted ? CLI_EXIT_INTERRUPTED : clean ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ---- cat ---------------------------------------------------------------------------------- */

static mm_err write_out(const void *p, size_t n) {
    if (n && fwrite(p, 1, n, stdout) != n)
        return mm_fail(MM_ERR_IO, "standard output: write failed");
    return MM_OK;
}

static mm_err cat_record(const opts *o, const mm_warc_record *r) {
    if (r->oversized)
        return mm_fail(MM_ERR_TOO_LARGE, "the record at %lld is larger than --max-record",
                       o->offset);
    if (!strcmp(o->what, "headers") || !strcmp(o->what, "record")) {
        MM_TRY(write_out(r->version, strlen(r->version)));
        MM_TRY(write_out("\r\n", 2));
        for (size_t i = 0; i < r->nheaders; i++) {
            printf("%s: %s\r\n", r->headers[i].name, r->headers[i].value);
        }
        MM_TRY(write_out("\r\n", 2));
        if (!strcmp(o->what, "headers")) return MM_OK;
    }
    if (strcmp(o->what, "payload")) return write_out(r->block, r->block_len);
    mm_http *h = mm_http_create(0);
    if (!h) return MM_ERR_NOMEM;
    mm_http_response resp;
    mm_err e = MM_OK;
    if (!strncasecmp(r->content_type, "application/http", 16))
        e = mm_http_parse(h, r->block, r->block_len, &resp);
    else
        resp.body = r->block, resp.body_len = r->block_len, resp.body_truncated = false;
    if (e == MM_OK) e = write_out(resp.body, resp.body_len);
    if (e == MM_OK && resp.body_truncated)
        cli_warn(CMD, "the HTTP body of the record at %lld is damaged; wrote what decoded",
                 o->offset);
    mm_http_free(h);
    return e;
}

/* Find the record at o->offset: seek there when the input allows, else read on and compare. */
static int cmd_cat(opts *o) {
    if (o->ninputs != 1) cli_usage_error(CMD, "cat takes exactly one input");
    if (!o->have_offset) cli_usage_error(CMD, "cat needs --offset N (see 'mathmine warc ls')");
    if (strcmp(o->what, "payload") && strcmp(o->what, "block") && strcmp(o->what, "record") &&
        strcmp(o->what, "headers"))
        cli_usage_error(CMD, "--what must be payload, block, record or headers");
    mm_warc_opts ro = reader_opts(o);
    mm_warc *w;
    mm_err e = mm_warc_open(o->inputs[0], &ro, &w);
    if (e != MM_OK) cli_die(CMD, e);
    bool seeked = mm_warc_can_seek(w) && mm_warc_seek(w, (uint64_t)o->offset) == MM_OK;
    mm_warc_record r;
    int rc;
    for (int pass = 0; pass < 2; pass++) {
        while ((rc = mm_warc_next(w, &r, &e)) != 0) {
            if (rc < 0) continue;
            if (r.offset == (uint64_t)o->offset) {
                e = cat_record(o, &r);
                mm_warc_close(w);
                if (e != MM_OK) cli_die(CMD, e);
                return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
            }
            if (seeked || r.offset > (uint64_t)o->offset) break;
        }
        if (e != MM_OK || !seeked) break;
        /* the offset was not a record start in the file: read from the beginning instead */
        mm_warc_close(w);
        if ((e = mm_warc_open(o->inputs[0], &ro, &w)) != MM_OK) cli_die(CMD, e);
        seeked = false;
    }
    mm_warc_close(w);
    if (e != MM_OK) cli_die(CMD, e);
    fprintf(stderr, "mathmine warc: error: %s: no record at offset %lld\n", o->inputs[0],
            o->offset);
    return CLI_EXIT_FAIL;
}

/* ---- stats -------------------------------------------------------------------------------- */

typedef struct job {
    opts *o;
    mm_warc_stats *st;
    bool *clean;
    mm_progress *prog;
} job;

static mm_err stats_item(void *ctx, size_t i, int worker) {
    job *j = ctx;
    if (cli_interrupted) return MM_OK;
    j->clean[i] = each_record(j->o, j->o->inputs[i], NULL, NULL, &j->st[i], j->prog);
    return MM_OK;
}

static void add_stats(mm_warc_stats *t, const mm_warc_stats *s) {
    t->records += s->records;
    for (int k = 0; k <= MM_WARC_OTHER; k++)
        t->by_type[k] += s->by_type[k];
    t->bytes_in += s->bytes_in;
    t->bytes_out += s->bytes_out;
    t->skipped_truncated += s->skipped_truncated;
    t->skipped_bad_length += s->skipped_bad_length;
    t->skipped_garbage += s->skipped_garbage;
    t->skipped_bad_gzip += s->skipped_bad_gzip;
    t->skipped_bad_header += s->skipped_bad_header;
    t->skipped_oversized += s->skipped_oversized;
    t->digest_failures += s->digest_failures;
    t->damaged += s->damaged;
    t->truncated += s->truncated;
    for (int k = 0; k < MM_WARC_TRUNC_COUNT; k++)
        t->truncated_by[k] += s->truncated_by[k];
}

typedef struct counter {
    const char *name;
    uint64_t v;
} counter;

static void print_stats(const mm_warc_stats *t, size_t files, size_t failed, double secs,
                        bool verify) {
    printf("files\t%zu\nfiles_with_damage\t%zu\nrecords\t%llu\n", files, failed,
           (unsigned long long)t->records);
    for (int k = 0; k <= MM_WARC_OTHER; k++)
        if (t->by_type[k])
            printf("  %s\t%llu\n", mm_warc_type_name((mm_warc_type)k),
                   (unsigned long long)t->by_type[k]);
    counter c[] = {{"damaged", t->damaged},
                   {"  truncated", t->skipped_truncated},
                   {"  bad_length", t->skipped_bad_length},
                   {"  garbage", t->skipped_garbage},
                   {"  bad_gzip", t->skipped_bad_gzip},
                   {"  bad_header", t->skipped_bad_header},
                   {"oversized", t->skipped_oversized}};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        printf("%s\t%llu\n", c[i].name, (unsigned long long)c[i].v);
    printf("truncated_kept\t%llu\n", (unsigned long long)t->truncated);
    for (int k = 1; k < MM_WARC_TRUNC_COUNT; k++)
        if (t->truncated_by[k])
            printf("  %s\t%llu\n", mm_warc_trunc_name((mm_warc_trunc)k),
                   (unsigned long long)t->truncated_by[k]);
    if (verify) printf("digest_failures\t%llu\n", (unsigned long long)t->digest_failures);
    printf("bytes_in\t%llu\nbytes_out\t%llu\nseconds\t%.3f\nMB_per_s\t%.1f\nrecords_per_s\t%.0f\n",
           (unsigned long long)t->bytes_in, (unsigned long long)t->bytes_out, secs,
           secs > 0 ? t->bytes_out / secs / 1e6 : 0.0, secs > 0 ? t->records / secs : 0.0);
}

static void stats_json(const opts *o, const mm_warc_stats *t, size_t files, size_t failed,
                       double secs) {
    if (!o->stats_path) return;
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "files"), mm_jw_uint(&w, files);
    mm_jw_key(&w, "files_with_damage"), mm_jw_uint(&w, failed);
    mm_jw_key(&w, "records"), mm_jw_uint(&w, t->records);
    mm_jw_key(&w, "by_type"), mm_jw_obj_begin(&w);
    for (int k = 0; k <= MM_WARC_OTHER; k++)
        mm_jw_key(&w, mm_warc_type_name((mm_warc_type)k)), mm_jw_uint(&w, t->by_type[k]);
    mm_jw_obj_end(&w);
    mm_jw_key(&w, "damaged"), mm_jw_uint(&w, t->damaged);
    mm_jw_key(&w, "skipped"), mm_jw_obj_begin(&w);
    mm_jw_key(&w, "truncated"), mm_jw_uint(&w, t->skipped_truncated);
    mm_jw_key(&w, "bad_length"), mm_jw_uint(&w, t->skipped_bad_length);
    mm_jw_key(&w, "garbage"), mm_jw_uint(&w, t->skipped_garbage);
    mm_jw_key(&w, "bad_gzip"), mm_jw_uint(&w, t->skipped_bad_gzip);
    mm_jw_key(&w, "bad_header"), mm_jw_uint(&w, t->skipped_bad_header);
    mm_jw_key(&w, "oversized"), mm_jw_uint(&w, t->skipped_oversized);
    mm_jw_obj_end(&w);
    mm_jw_key(&w, "truncated_kept"), mm_jw_uint(&w, t->truncated);
    mm_jw_key(&w, "truncated_by"), mm_jw_obj_begin(&w);
    for (int k = 1; k < MM_WARC_TRUNC_COUNT; k++)
        mm_jw_key(&w, mm_warc_trunc_name((mm_warc_trunc)k)), mm_jw_uint(&w, t->truncated_by[k]);
    mm_jw_obj_end(&w);
    mm_jw_key(&w, "digest_failures"), mm_jw_uint(&w, t->digest_failures);
    mm_jw_key(&w, "bytes_in"), mm_jw_uint(&w, t->bytes_in);
    mm_jw_key(&w, "bytes_out"), mm_jw_uint(&w, t->bytes_out);
    mm_jw_key(&w, "seconds"), mm_jw_double(&w, secs);
    mm_jw_key(&w, "mb_per_s"), mm_jw_double(&w, secs > 0 ? t->bytes_out / secs / 1e6 : 0);
    mm_jw_key(&w, "records_per_s"), mm_jw_double(&w, secs > 0 ? t->records / secs : 0);
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, o->stats_path, &b);
    mm_buf_free(&b);
}

static int cmd_stats(opts *o) {
    size_t n = o->ninputs;
    mm_warc_stats *st = calloc(n ? n : 1, sizeof *st);
    bool *clean = calloc(n ? n : 1, sizeof *clean);
    if (!st || !clean) cli_die(CMD, MM_ERR_NOMEM);
    job j = {o, st, clean, mm_progress_create("warc stats", 0, "records")};
    double t0 = mm_now();
    mm_pool_run(n, o->threads, stats_item, &j);
    double secs = mm_now() - t0;
    mm_progress_done(j.prog);
    mm_warc_stats total = {0};
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        add_stats(&total, &st[i]);
        failed += !clean[i];
    }
    print_stats(&total, n, failed, secs, o->verify);
    stats_json(o, &total, n, failed, secs);
    free(st);
    free(clean);
    return cli_interrupted ? CLI_EXIT_INTERRUPTED : failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_warc(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        help();
        return CLI_EXIT_OK;
    }
    opts o;
    parse(argc, argv, &o);
    add_listing(&o);
    if (o.ninputs == 0) cli_usage_error(CMD, "no input (give FILE..., '-' or --paths)");
    int rc = !strcmp(o.sub, "ls")    ? cmd_ls(&o)
             : !strcmp(o.sub, "cat") ? cmd_cat(&o)
                                     : cmd_stats(&o);
    free(o.inputs);
    free(o.listing);
    return rc;
}
