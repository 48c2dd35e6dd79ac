/* tools/stage_args.c — --inputs, --base and --task for the map commands (tools/stage_args.h). */
#include "tools/stage_args.h"

#include <string.h>

#include "classifier/classifier.h"
#include "rl/tokenizer.h"
#include "tools/cli.h"

bool stage_option(const char *cmd, int argc, char **argv, int *i, stage_args *s) {
    const char *a = argv[*i];
    bool list = !strcmp(a, "--inputs"), base = !strcmp(a, "--base"), task = !strcmp(a, "--task");
    if (!list && !base && !task) return false;
    if (*i + 1 >= argc) cli_usage_error(cmd, "%s needs a value", a);
    const char *v = argv[++*i];
    if (list) {
        if (s->nlists == sizeof s->lists / sizeof *s->lists)
            cli_usage_error(cmd, "too many --inputs files");
        s->lists[s->nlists++] = v;
    } else if (base) {
        s->base = v;
    } else {
        if (s->whole) cli_usage_error(cmd, "--task: this command reads every input at once");
        if (mm_task_parse(v, &s->task) != MM_OK) cli_usage_error(cmd, "%s", mm_error_detail());
        s->task_given = true;
    }
    return true;
}

char **stage_all_inputs(const char *cmd, stage_args *s, char **args, int *n) {
    static mm_inputs all; /* lives until exit, as argv does */
    size_t lo, hi;
    s->whole = true;
    stage_inputs(cmd, s, (const char *const *)args, (size_t)*n, &all, &lo, &hi);
    *n = (int)all.n;
    return all.v;
}

bool http_option(const char *cmd, int argc, char **argv, int *i, mm_http_retry *r) {
    const char *a = argv[*i];
    if (strncmp(a, "--http-", 7)) return false;
    const char *k = a + 7;
    double *d = !strcmp(k, "delay")       ? &r->delay_s
                : !strcmp(k, "max-delay") ? &r->max_delay_s
                : !strcmp(k, "timeout")   ? &r->timeout_s
                                          : NULL;
    if (!d && strcmp(k, "tries")) return false;
    if (*i + 1 >= argc) cli_usage_error(cmd, "%s needs a value", a);
    const char *v = argv[++*i];
    if (d)
        *d = cli_parse_double(cmd, a, v, 0.001, 86400);
    else
        r->tries = (unsigned)cli_parse_int(cmd, a, v, 1, 1000);
    return true;
}

void stage_inputs(const char *cmd, stage_args *s, const char *const *args, size_t nargs,
                  mm_inputs *all, size_t *lo, size_t *hi) {
    memset(all, 0, sizeof *all);
    mm_err e = MM_OK;
    for (size_t i = 0; e == MM_OK && i < nargs; i++)
        e = mm_inputs_add(all, NULL, args[i]);
    for (size_t i = 0; e == MM_OK && i < s->nlists; i++)
        e = mm_inputs_read(all, s->lists[i], s->base);
    if (e != MM_OK) cli_die(cmd, e);
    if (!s->whole && !s->task_given && mm_task_from_env(&s->task) != MM_OK)
        cli_usage_error(cmd, "%s", mm_error_detail());
    mm_task_range(&s->task, all->n, lo, hi);
    if (s->task.count)
        cli_info(1, "mathmine %s: task %u/%u: inputs %zu..%zu of %zu", cmd, s->task.index,
                 s->task.count, *lo, *hi, all->n);
}

mm_tok *token_counter_load(const char *cmd, const char *dir, mm_clf_token_counter *counter) {
    mm_tok *tok;
    mm_err e = mm_tok_load(dir, &tok);
    if (e != MM_OK) cli_die(cmd, e);
    *counter = (mm_clf_token_counter){mm_tok_counter_open, mm_tok_counter_count,
                                      mm_tok_counter_close, tok};
    return tok;
}
