/* tools/cmd_report.c — `mathmine report DIR`: one self-contained HTML page of a run
 * (common/report.h). */
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/report.h"
#include "tools/cli.h"

#define CMD "report"

static void usage(FILE *f) {
    fprintf(
        f,
        "Usage: mathmine report DIR [-o FILE] [--title T] [--samples N] [--scan-docs N]\n"
        "                       [--stats FILE]\n\n"
        "Writes one HTML page about what a run left in DIR (a `mathmine run` output folder, the\n"
        "demo's folder, or any folder holding stage outputs, searched 8 levels deep): the\n"
        "funnel (WARC records -> HTML -> extracted -> math-classified -> after each dedup ->\n"
        "after decontamination -> tokens), per-stage speed, CPU-hours, peak RSS and failures,\n"
        "extraction (math forms, languages, page kinds), iterations (growth, new share,\n"
        "domains, URL prefixes and their annotation decisions), decontamination per benchmark\n"
        "with matched n-grams, samples of kept and removed documents, and training curves\n"
        "(loss, GRPO reward/accuracy/KL) with Pass@K and Maj@K.  A section appears when its\n"
        "stage's outputs are there.  Inline CSS and SVG: no script, no network.  Prints the\n"
        "page's path on stdout.\n\n"
        "  -o, --out FILE      the page (default: DIR/report.html; written atomically)\n"
        "      --title T       the page title (default: \"mathmine report\")\n"
        "      --samples N     documents per sample list (default 6)\n"
        "      --scan-docs N   document lines read for languages and page kinds (default 20000)\n"
        "      --stats FILE    JSON summary: files read, stages, sections written\n"
        "  -h, --help          this help\n");
}

static void write_stats(const char *path, const char *out, const mm_report_info *in) {
    mm_buf b = {0};
    mm_jw w;
    mm_jw_init(&w, &b);
    mm_jw_obj_begin(&w);
    mm_jw_key(&w, "report"), mm_jw_string(&w, out);
    mm_jw_key(&w, "files_read"), mm_jw_uint(&w, in->files_read);
    mm_jw_key(&w, "files_bad"), mm_jw_uint(&w, in->files_bad);
    mm_jw_key(&w, "stages"), mm_jw_uint(&w, in->stages);
    mm_jw_key(&w, "sections"), mm_jw_arr_begin(&w);
    for (size_t i = 0; i < in->nsections; i++)
        mm_jw_string(&w, in->sections[i]);
    mm_jw_arr_end(&w);
    mm_jw_obj_end(&w);
    cli_write_stats(CMD, path, &b);
    mm_buf_free(&b);
}

int cmd_report(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) return usage(stdout), CLI_EXIT_OK;
    const char *dir = NULL, *out = NULL, *stats = NULL;
    mm_report_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_out(a))
            out = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--title"))
            o.title = cli_value(CMD, argc, argv, &i);
        else if (!strcmp(a, "--samples"))
            o.samples = (size_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 1, 1000);
        else if (!strcmp(a, "--scan-docs"))
            o.scan_docs =
                (uint64_t)cli_parse_int(CMD, a, cli_value(CMD, argc, argv, &i), 1, 1LL << 40);
        else if (!strcmp(a, "--stats"))
            stats = cli_value(CMD, argc, argv, &i);
        else if (a[0] == '-' && a[1])
            cli_usage_error(CMD, "unknown option '%s'", a);
        else if (dir)
            cli_usage_error(CMD, "one folder only (got '%s' and '%s')", dir, a);
        else
            dir = a;
    }
    if (!dir) cli_usage_error(CMD, "which run folder? (mathmine report DIR)");
    char def[4200];
    if (!out) snprintf(def, sizeof def, "%s/report.html", dir), out = def;
    mm_report_info info;
    mm_err e = mm_report_write(dir, out, &o, &info);
    if (e != MM_OK) cli_die(CMD, e);
    cli_info(0, "mathmine report: %zu file(s) read, %zu stage(s), %zu section(s)%s",
             info.files_read, info.stages, info.nsections,
             info.files_bad ? "; some JSON files did not parse" : "");
    if (info.files_bad)
        cli_warn(CMD, "%zu JSON file(s) did not parse (listed in the page)", info.files_bad);
    write_stats(stats, out, &info);
    printf("%s\n", out);
    return CLI_EXIT_OK;
}
