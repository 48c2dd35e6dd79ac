/* common/manifest.c — the cost of a pipeline run and its manifest (common/pipeline.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/json.h"
#include "common/pipeline.h"

/* ---- cost ---- */

static void cost_rates(mm_pipe_cost *c, const mm_pipe_costs *all, double cpu_s, double docs,
                       double bytes_in) {
    c->cpu_hours = cpu_s / 3600;
    c->cpu_hours_per_tb = all->warc_bytes ? c->cpu_hours / (all->warc_bytes / 1e12) : 0;
    c->cpu_hours_per_mdocs = docs > 0 ? c->cpu_hours / (docs / 1e6) : 0;
    c->projected_cpu_hours =
        all->warc_bytes ? c->cpu_hours / all->warc_bytes * all->file_bytes * (double)all->dump_files
                        : 0;
    c->mb_per_cpu_s = cpu_s > 0 ? bytes_in / 1e6 / cpu_s : 0;
    c->docs_per_cpu_s = cpu_s > 0 ? docs / cpu_s : 0;
}

mm_err mm_pipe_cost_of(const mm_pipe *p, const mm_pipe_cost_opts *o, mm_pipe_costs *c) {
    memset(c, 0, sizeof *c);
    size_t n = mm_pipe_nstages(p);
    c->stage = calloc(n ? n : 1, sizeof *c->stage);
    mm_pipe_status *st = calloc(n ? n : 1, sizeof *st);
    if (!c->stage || !st) return free(c->stage), free(st), mm_fail(MM_ERR_NOMEM, "out of memory");
    for (size_t s = 0; s < n; s++)
        mm_pipe_stage_status(p, s, &st[s]);
    if (n) c->warc_files = st[0].inputs, c->warc_bytes = st[0].bytes_in;
    c->dump_files = o && o->dump_files ? o->dump_files : MM_PIPE_DUMP_FILES;
    c->file_bytes = o && o->file_bytes > 0 ? o->file_bytes
                    : c->warc_files        ? (double)c->warc_bytes / (double)c->warc_files
                                           : 0;
    double cpu = 0;
    for (size_t s = 0; s < n; s++) {
        cost_rates(&c->stage[s], c, st[s].cpu_s, (double)st[s].docs, (double)st[s].bytes_in);
        cpu += st[s].cpu_s;
    }
    cost_rates(&c->total, c, cpu, n ? (double)st[0].docs : 0, (double)c->warc_bytes);
    free(st);
    return MM_OK;
}

/* ---- manifest ---- */

static void jw_cost(mm_jw *w, const mm_pipe_cost *c) {
    mm_jw_key(w, "cpu_hours"), mm_jw_double(w, c->cpu_hours);
    mm_jw_key(w, "cpu_hours_per_tb"), mm_jw_double(w, c->cpu_hours_per_tb);
    mm_jw_key(w, "cpu_hours_per_million_docs"), mm_jw_double(w, c->cpu_hours_per_mdocs);
    mm_jw_key(w, "projected_cpu_hours"), mm_jw_double(w, c->projected_cpu_hours);
    mm_jw_key(w, "mb_per_cpu_s"), mm_jw_double(w, c->mb_per_cpu_s);
    mm_jw_key(w, "docs_per_cpu_s"), mm_jw_double(w, c->docs_per_cpu_s);
}

static void jw_costs(mm_jw *w, const mm_pipe *p, const mm_pipe_costs *c) {
    mm_jw_obj_begin(w);
    mm_jw_key(w, "warc_files"), mm_jw_uint(w, c->warc_files);
    mm_jw_key(w, "warc_bytes"), mm_jw_uint(w, c->warc_bytes);
    mm_jw_key(w, "assumed_file_bytes"), mm_jw_double(w, c->file_bytes);
    mm_jw_key(w, "dump_files"), mm_jw_uint(w, c->dump_files);
    mm_jw_key(w, "stages"), mm_jw_arr_begin(w);
    for (size_t s = 0; s < mm_pipe_nstages(p); s++) {
        mm_jw_obj_begin(w);
        mm_jw_key(w, "name"), mm_jw_string(w, mm_pipe_stage_name(p, s));
        jw_cost(w, &c->stage[s]);
        mm_jw_obj_end(w);
    }
    mm_jw_arr_end(w);
    mm_jw_key(w, "total"), mm_jw_obj_begin(w);
    jw_cost(w, &c->total);
    mm_jw_obj_end(w);
    mm_jw_obj_end(w);
}

static void hex64(uint64_t h, char out[17]) {
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* {"path", "xxh3", "text"} of a text file (null fields when it cannot be read). */
static void jw_file(mm_jw *w, const char *path, const char *text_key) {
    mm_buf b = {0};
    bool ok = mm_read_file(path, &b) == MM_OK;
    if (!ok) mm_error_clear();
    char h[17];
    hex64(mm_hash64(b.data ? b.data : "", b.len, 0), h);
    mm_jw_key(w, "path"), mm_jw_string(w, path);
    mm_jw_key(w, "xxh3"), ok ? mm_jw_string(w, h) : mm_jw_null(w);
    if (text_key)
        mm_jw_key(w, text_key), mm_jw_stringn(w, b.data ? b.data : "", b.len);
    else {
        uint64_t lines = 0;
        for (size_t i = 0; i < b.len; i++)
            lines += b.data[i] == '\n';
        mm_jw_key(w, "files"), mm_jw_uint(w, lines);
    }
    mm_buf_free(&b);
}

/* Every task's marker, as written (they are JSON already). */
static void jw_markers(mm_jw *w, const mm_pipe *p, size_t s) {
    mm_jw_arr_begin(w);
    mm_buf b = {0};
    for (uint32_t t = 0; t < mm_pipe_stage_tasks(p, s); t++) {
        char path[4096];
        mm_pipe_task_file(p, s, t, ".json", path, sizeof path);
        mm_buf_clear(&b);
        mm_json_doc *doc;
        mm_json *root;
        if (mm_read_file(path, &b) != MM_OK || mm_buf_putc(&b, 0) != MM_OK ||
            mm_json_parse(b.data, b.len - 1, &doc, &root) != MM_OK) {
            mm_error_clear();
            continue;
        }
        mm_json_doc_free(doc);
        while (b.len > 1 && strchr(" \n\r\t", b.data[b.len - 2]))
            b.data[--b.len - 1] = 0;
        mm_jw_raw(w, b.data);
    }
    mm_buf_free(&b);
    mm_jw_arr_end(w);
}

static void jw_stage(mm_jw *w, const mm_pipe *p, size_t s) {
    mm_pipe_status st;
    mm_pipe_stage_status(p, s, &st);
    mm_jw_obj_begin(w);
    mm_jw_key(w, "name"), mm_jw_string(w, mm_pipe_stage_name(p, s));
    mm_jw_key(w, "kind"), mm_jw_string(w, mm_pipe_stage_reduce(p, s) ? "reduce" : "map");
    const struct {
        const char *k;
        uint64_t v;
    } f[] = {{"tasks", st.tasks},          {"done", st.done},       {"failed", st.failed},
             {"running", st.running},      {"pending", st.pending}, {"inputs", st.inputs},
             {"input_bytes", st.bytes_in}, {"docs", st.docs}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        mm_jw_key(w, f[i].k), mm_jw_uint(w, f[i].v);
    mm_jw_key(w, "task_seconds"), mm_jw_double(w, st.seconds);
    mm_jw_key(w, "cpu_s"), mm_jw_double(w, st.cpu_s);
    mm_jw_key(w, "task_markers"), jw_markers(w, p, s);
    mm_jw_obj_end(w);
}

static mm_err manifest_json(const mm_pipe *p, const mm_pipe_cost_opts *o, const mm_pipe_costs *c,
                            mm_buf *b) {
    char path[4200];
    mm_jw w;
    mm_jw_init(&w, b);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "mathmine"), mm_jw_string(&w, o && o->version ? o->version : "");
    mm_jw_key(&w, "created"), mm_jw_uint(&w, (uint64_t)tv.tv_sec);
    mm_jw_key(&w, "out"), mm_jw_string(&w, mm_pipe_out(p));
    snprintf(path, sizeof path, "%s/_run/pipeline.ini", mm_pipe_out(p));
    mm_jw_key(&w, "pipeline"), mm_jw_obj_begin(&w);
    jw_file(&w, path, "text");
    mm_jw_obj_end(&w);
    mm_jw_key(&w, "inputs"), mm_jw_arr_begin(&w);
    for (size_t s = 0; s < mm_pipe_nstages(p); s++) {
        snprintf(path, sizeof path, "%s/_run/%s/inputs.txt", mm_pipe_out(p),
                 mm_pipe_stage_name(p, s));
        if (access(path, R_OK)) continue;
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "stage"), mm_jw_string(&w, mm_pipe_stage_name(p, s));
        jw_file(&w, path, NULL);
        mm_jw_obj_end(&w);
    }
    mm_jw_arr_end(&w);
    mm_jw_key(&w, "stages"), mm_jw_arr_begin(&w);
    for (size_t s = 0; s < mm_pipe_nstages(p); s++)
        jw_stage(&w, p, s);
    mm_jw_arr_end(&w);
    mm_jw_key(&w, "cost"), jw_costs(&w, p, c);
    mm_jw_obj_end(&w);
    return mm_buf_putc(b, '\n');
}

mm_err mm_pipe_write_manifest(const mm_pipe *p, const mm_pipe_cost_opts *o, char *out_path,
                              size_t cap) {
    mm_pipe_costs c;
    MM_TRY(mm_pipe_cost_of(p, o, &c));
    mm_buf b = {0};
    mm_err e = manifest_json(p, o, &c, &b);
    free(c.stage);
    char path[4200];
    snprintf(path, sizeof path, "%s/_run/manifest.json", mm_pipe_out(p));
    mm_out *f = NULL;
    if (e == MM_OK) e = mm_out_open(path, 0, &f);
    if (e == MM_OK) e = mm_out_write(f, b.data, b.len);
    if (e == MM_OK) e = mm_out_commit(f), f = NULL;
    mm_out_abort(f);
    mm_buf_free(&b);
    if (out_path) snprintf(out_path, cap, "%s", path);
    return e;
}
