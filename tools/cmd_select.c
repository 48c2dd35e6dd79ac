/* tools/cmd_select.c — `mathmine select`: choose documents by classifier score. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classifier/classifier.h"
#include "common/io.h"
#include "common/json.h"
#include "common/stage.h"
#include "tools/cli.h"
#include "tools/stage_args.h"

#define CMD "select"

static void usage(FILE *f) {
    fprintf(
        f, "Usage: mathmine select --scores S... (--threshold T | --top-frac F | --top-tokens N)\n"
           "                       -o ids.txt [--docs SHARD... (--out-dir D | --attrs A)] [--stats "
           "FILE]\n\n"
           "Ranks the rows of the score files (from `mathmine classify score`) by score, highest\n"
           "first (ties: smaller id first), and selects:\n"
           "  --threshold T    every document with score >= T\n"
           "  --top-frac F     the top ceil(F x documents), 0 < F <= 1\n"
           "  --top-tokens N   the top documents until their tokens reach N (K/M/G suffixes);\n"
           "                   tokens = ceil(text bytes / 4), the score file's 5th column\n"
           "  -o, --out P      (alias --output) the selected ids, one per line in score-file\n"
           "                   order (atomic; .zst compresses); the cut-off is found without\n"
           "                   sorting every row\n"
           "  --docs SHARD...  also copy the selected documents of these shards, unchanged, to\n"
           "  --out-dir D      D/<shard stem>.jsonl.zst (finished ones are skipped; --force);\n"
           "                   shards of one stem in two folders: D/<stem>.<8 hex>.jsonl.zst\n"
           "  --attrs A        instead of copying: list the documents of --docs NOT selected in\n"
           "                   A/<stem>.below_threshold.attrs.tsv (the attribute flow; `mathmine\n"
           "                   apply` writes the clean shards once)\n"
           "  --scores-from L  --docs-from L: the score files / shards listed in L as well\n"
           "                   (one path a line, .gz/.zst allowed, '#' comments; for a dump's\n"
           "                   thousands of files)\n"
           "  --stats FILE     JSON summary\n\n"
           "As map and reduce stages (docs/cluster.md): the reduce finds the cut once,\n"
           "  --cut-out C      write the cut (and the selection's counts) to C, a small JSON\n"
           "                   file; -o is then optional; --inputs L lists score files here\n"
           "and each map task writes the attribute files of its shards from it:\n"
           "  --cut C          the cut of a --cut-out run, instead of a mode and --scores\n"
           "  --scores-dir S   the shards' score files, S/<stem>.scores.tsv as `classify score\n"
           "                   -o S` names them (stems over the whole list, so any --task agrees)\n"
           "  --attrs A        (required with --cut) as above; --docs, --docs-from and\n"
           "                   --inputs L give the shards, --task I/N picks block I of N\n"
           "                   (default: the Slurm array task); the attribute files are the\n"
           "                   ones a single run writes\n" STAGE_ARGS_HELP
           "  --force          redo finished attribute files or shards\n");
}

static void push_path(const char ***list, size_t *n, const char *path) {
    *list = realloc(*list, (*n + 1) * sizeof **list);
    if (!*list) cli_die(CMD, mm_fail(MM_ERR_NOMEM, "out of memory"));
    (*list)[(*n)++] = path;
}

static void take_paths(int argc, char **argv, int *i, const char ***list, size_t *n) {
    while (*i + 1 < argc && argv[*i + 1][0] != '-')
        push_path(list, n, argv[++*i]);
}

/* The paths of the list file `path` (see common/stage.h: one a line, .gz/.zst, '#' comments)
 * appended to *list; `keep` owns the strings until the command ends. */
static void read_list(const char *path, mm_inputs *keep, const char ***list, size_t *n) {
    size_t first = keep->n;
    mm_err e = mm_inputs_read(keep, path, NULL);
    if (e != MM_OK) cli_die(CMD, e);
    for (size_t k = first; k < keep->n; k++)
        push_path(list, n, keep->v[k]);
}

/* The map stage: the attribute files of this task's shards, from a saved cut. */
static int select_map(const char *cut_path, const char *scores_dir, const char *attrs,
                      const char **docs, size_t nd, stage_args *sa, bool force, const char *stats) {
    mm_select_cut cut;
    mm_select_stats all;
    mm_err e = mm_select_cut_load(cut_path, &cut, &all);
    if (e != MM_OK) cli_die(CMD, e);
    mm_inputs in;
    size_t lo, hi;
    stage_inputs(CMD, sa, docs, nd, &in, &lo, &hi);
    if (!in.n) cli_usage_error(CMD, "--cut needs the shards: --docs, --docs-from or --inputs");
    char **stems;
    if ((e = mm_clf_unique_stems((const char *const *)in.v, in.n, &stems)) != MM_OK)
        cli_die(CMD, e);
    if ((e = mm_mkdirs(attrs)) != MM_OK) cli_die(CMD, e);
    uint64_t kept = 0, dropped = 0, bad = 0, failed = 0, done = 0;
    for (size_t i = lo; i < hi && !cli_interrupted; i++) {
        char path[4200], sp[4200];
        snprintf(path, sizeof path, "%s/%s.below_threshold.attrs.tsv", attrs, stems[i]);
        snprintf(sp, sizeof sp, "%s/%s.scores.tsv", scores_dir, stems[i]);
        if (!force && mm_file_done(path)) continue;
        uint64_t k = 0, d = 0;
        if ((e = mm_select_attrs_cut(&cut, sp, in.v[i], path, &k, &d, &bad)) != MM_OK) {
            cli_warn(CMD, "%s: %s", in.v[i], mm_error_detail());
            failed++;
        }
        kept += k, dropped += d, done++;
    }
    if (cli_interrupted) return CLI_EXIT_INTERRUPTED;
    fprintf(stderr,
            "select: %zu of %zu shards (task), %llu documents kept, %llu listed in %s "
            "(%llu broken lines, %llu shards failed); the whole selection: %llu of %llu\n",
            hi - lo, in.n, (unsigned long long)kept, (unsigned long long)dropped, attrs,
            (unsigned long long)bad, (unsigned long long)failed, (unsigned long long)all.selected,
            (unsigned long long)all.rows);
    if (stats) {
        mm_buf b = {0};
        mm_jw w;
        mm_jw_init(&w, &b);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "shards"), mm_jw_uint(&w, hi - lo);
        mm_jw_key(&w, "shards_done"), mm_jw_uint(&w, done);
        mm_jw_key(&w, "docs_in"), mm_jw_uint(&w, kept + dropped);
        mm_jw_key(&w, "docs_kept"), mm_jw_uint(&w, kept);
        mm_jw_key(&w, "docs_listed"), mm_jw_uint(&w, dropped);
        mm_jw_key(&w, "bad_lines"), mm_jw_uint(&w, bad);
        mm_jw_key(&w, "shards_failed"), mm_jw_uint(&w, failed);
        mm_jw_obj_end(&w);
        cli_write_stats(CMD, stats, &b);
        mm_buf_free(&b);
    }
    mm_clf_free_stems(stems, in.n);
    mm_inputs_free(&in);
    mm_select_cut_free(&cut);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_select(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return usage(stdout), CLI_EXIT_OK;
    const char **scores = NULL, **docs = NULL, *out = NULL, *out_dir = NULL, *stats = NULL,
               *attrs = NULL;
    size_t ns = 0, nd = 0;
    int modes = 0;
    mm_select_mode mode = MM_SELECT_THRESHOLD;
    double value = 0;
    bool force = false;
    mm_inputs lists[2] = {{0}}; /* --scores-from, --docs-from */
    const char *cut_out = NULL, *cut_in = NULL, *scores_dir = NULL;
    stage_args sa = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (stage_option(CMD, argc, argv, &i, &sa)) continue;
        if (!strcmp(a, "--scores"))
            take_paths(argc, argv, &i, &scores, &ns);
        else if (!strcmp(a, "--cut-out"))
            cut_out = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--cut"))
            cut_in = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--scores-dir"))
            scores_dir = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--docs"))
            take_paths(argc, argv, &i, &docs, &nd);
        else if (!strcmp(a, "--scores-from"))
            read_list(cli_value(CMD, argc, argv, &i), &lists[0], &scores, &ns);
        else if (!strcmp(a, "--docs-from"))
            read_list(cli_value(CMD, argc, argv, &i), &lists[1], &docs, &nd);
        else if (!strcmp(a, "-o") || !strcmp(a, "--out") || !strcmp(a, "--output"))
            out = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--out-dir"))
            out_dir = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--attrs"))
            attrs = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--stats"))
            stats = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--force"))
            force = true;
        else if (!strcmp(a, "--threshold"))
            modes++, mode = MM_SELECT_THRESHOLD,
                     value = cli_parse_double(CMD, a, cli_value(CMD, argc, argv, &i), -1, 2);
        else if (!strcmp(a, "--top-frac"))
            modes++, mode = MM_SELECT_TOP_FRAC,
                     value = cli_parse_double(CMD, a, cli_value(CMD, argc, argv, &i), 1e-12, 1);
        else if (!strcmp(a, "--top-tokens"))
            modes++,
                mode = MM_SELECT_TOP_TOKENS,
                value = (double)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 1, 1LL << 62);
        else
            cli_usage_error(CMD, "unknown option '%s'", a);
    }
    if (cut_in) {
        if (modes || ns || out || out_dir || cut_out)
            cli_usage_error(
                CMD, "--cut (a map task) takes no mode, --scores, -o, --out-dir or --cut-out");
        if (!scores_dir || !attrs) cli_usage_error(CMD, "--cut needs --scores-dir and --attrs");
        int rc = select_map(cut_in, scores_dir, attrs, docs, nd, &sa, force, stats);
        free(scores), free(docs);
        mm_inputs_free(&lists[0]), mm_inputs_free(&lists[1]);
        return rc;
    }
    if (sa.task_given)
        cli_usage_error(CMD,
                        "--task is for map tasks (--cut); finding the cut reads every score file");
    if (scores_dir) cli_usage_error(CMD, "--scores-dir is for map tasks (--cut)");
    sa.whole = true; /* --inputs lists score files here (the reduce of the map stage) */
    mm_inputs listed;
    size_t lo, hi;
    stage_inputs(CMD, &sa, NULL, 0, &listed, &lo, &hi);
    for (size_t k = 0; k < listed.n; k++)
        push_path(&scores, &ns, listed.v[k]);
    if (!ns) cli_usage_error(CMD, "--scores is required");
    if (modes != 1)
        cli_usage_error(CMD, "give exactly one of --threshold, --top-frac, --top-tokens");
    if (!out && !cut_out) cli_usage_error(CMD, "-o ids.txt (or --cut-out C) is required");
    if (nd && !out) cli_usage_error(CMD, "--docs without --cut needs -o ids.txt");
    if (nd && !out_dir == !attrs)
        cli_usage_error(CMD, "--docs needs --out-dir or --attrs (one of them)");
    if (attrs) out_dir = attrs;
    mm_select_stats st;
    mm_err e = mm_select_save(scores, ns, mode, value, out, cut_out, &st);
    if (e != MM_OK) cli_die(CMD, e);
    if (st.bad_lines)
        cli_warn(CMD, "%llu broken score lines skipped (the first: %s)",
                 (unsigned long long)st.bad_lines, mm_select_bad_example());
    if (!st.rows) {
        fprintf(stderr,
                "mathmine select: error: no valid score row in %s%s; score the shards "
                "again with `mathmine classify score`\n",
                scores[0], ns > 1 ? " and the other score files" : "");
        return CLI_EXIT_FAIL;
    }
    fprintf(stderr, "select: %llu of %llu documents (%llu of %llu tokens), cutoff score %.6g%s\n",
            (unsigned long long)st.selected, (unsigned long long)st.rows,
            (unsigned long long)st.tokens_selected, (unsigned long long)st.tokens_total, st.cutoff,
            st.bad_lines ? ", broken score lines skipped" : "");
    uint64_t kept = 0, bad = 0, failed = 0;
    if (nd) {
        mm_idset *ids;
        if ((e = mm_idset_load(out, &ids)) != MM_OK) cli_die(CMD, e);
        if ((e = mm_mkdirs(out_dir)) != MM_OK) cli_die(CMD, e);
        char **stems;
        if ((e = mm_clf_unique_stems(docs, nd, &stems)) != MM_OK) cli_die(CMD, e);
        for (size_t i = 0; i < nd && !cli_interrupted; i++) {
            char path[4200];
            snprintf(path, sizeof path,
                     attrs ? "%s/%s.below_threshold.attrs.tsv" : "%s/%s.jsonl.zst", out_dir,
                     stems[i]);
            if (!force && mm_file_done(path)) continue;
            uint64_t k = 0, dropped = 0;
            e = attrs ? mm_select_attrs(ids, docs[i], path, &k, &dropped, &bad)
                      : mm_select_docs(ids, docs[i], path, &k, &bad);
            if (e != MM_OK) {
                cli_warn(CMD, "%s: %s", docs[i], mm_error_detail());
                failed++;
            }
            kept += k;
        }
        mm_idset_free(ids);
        mm_clf_free_stems(stems, nd);
        fprintf(stderr, "select: %s %llu documents %s %s (%llu broken lines, %llu shards failed)\n",
                attrs ? "kept" : "wrote", (unsigned long long)kept,
                attrs ? "; attributes of the others in" : "to", out_dir, (unsigned long long)bad,
                (unsigned long long)failed);
    }
    if (stats) {
        mm_buf b = {0};
        mm_jw w;
        mm_jw_init(&w, &b);
        mm_jw_obj_begin(&w);
        mm_jw_key(&w, "rows"), mm_jw_uint(&w, st.rows);
        mm_jw_key(&w, "selected"), mm_jw_uint(&w, st.selected);
        mm_jw_key(&w, "tokens_total"), mm_jw_uint(&w, st.tokens_total);
        mm_jw_key(&w, "tokens_selected"), mm_jw_uint(&w, st.tokens_selected);
        mm_jw_key(&w, "cutoff"), mm_jw_double(&w, st.cutoff);
        mm_jw_key(&w, "bad_lines"), mm_jw_uint(&w, st.bad_lines);
        mm_jw_key(&w, "docs_written"), mm_jw_uint(&w, kept);
        mm_jw_key(&w, "shards_failed"), mm_jw_uint(&w, failed);
        mm_jw_obj_end(&w);
        cli_write_stats(CMD, stats, &b);
        mm_buf_free(&b);
    }
    free(scores);
    free(docs);
    mm_inputs_free(&lists[0]), mm_inputs_free(&lists[1]);
    mm_inputs_free(&listed);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
