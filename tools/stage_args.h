/* tools/stage_args.h — the options every map command shares (common/stage.h):
 *   --inputs FILE   inputs listed one per line (.gz/.zst allowed; repeatable), after the ones
 *                   given as arguments
 *   --base PREFIX   prefix for relative --inputs lines (a URL or a folder)
 *   --task I/N      process block I of N of the inputs (default: Slurm's array task when
 *                   SLURM_ARRAY_TASK_ID is set, else all)
 * A command calls stage_option() in its option loop and stage_inputs() after it. */
#ifndef MM_STAGE_ARGS_H
#define MM_STAGE_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/stage.h"
#include "corpus/warc.h"

typedef struct stage_args {
    const char *lists[64];
    size_t nlists;
    const char *base;
    mm_task task;
    bool task_given;
    bool whole; /* set by a reduce command: --task is refused, the Slurm array ignored */
} stage_args;

#define STAGE_ARGS_HELP                                                                            \
    "      --inputs FILE     more inputs, one path or URL per line (.gz/.zst allowed, '#'\n"       \
    "                        comments; repeatable); they follow the ones given as arguments\n"     \
    "      --base PREFIX     prefix for relative --inputs lines (URL or folder)\n"                 \
    "      --task I/N        only block I (0-based) of N of the inputs, in list order; the\n"      \
    "                        outputs are the same whatever N (default: SLURM_ARRAY_TASK_ID of\n"   \
    "                        SLURM_ARRAY_TASK_COUNT inside a Slurm job array, else all)\n"

#define STAGE_LIST_HELP                                                                            \
    "      --inputs FILE     more inputs, one path per line (.gz/.zst allowed, '#' comments;\n"    \
    "                        repeatable); they follow the ones given as arguments\n"               \
    "      --base PREFIX     prefix for relative --inputs lines\n"

#define HTTP_ARGS_HELP                                                                             \
    "      --http-tries N    attempts per http(s):// input before it is reported failed; a\n"      \
    "                        connection error, a timeout, a cut transfer, HTTP 429 or 5xx is\n"    \
    "                        retried, a cut transfer resumed with a Range request (default 5,\n"   \
    "                        or MM_HTTP_TRIES)\n"                                                  \
    "      --http-delay S    first retry after S seconds, doubled per retry, with jitter\n"        \
    "                        (default 1, or MM_HTTP_DELAY)\n"                                      \
    "      --http-max-delay S  cap of one wait, Retry-After included (default 60, or\n"            \
    "                        MM_HTTP_MAX_DELAY)\n"                                                 \
    "      --http-timeout S  connecting, or receiving nothing, for S seconds fails an attempt\n"   \
    "                        (default 60, or MM_HTTP_TIMEOUT)\n"

/* Consume argv[*i] (and its value) when it is one of the --http-* options; `r` starts as
 * mm_http_retry_defaults. */
bool http_option(const char *cmd, int argc, char **argv, int *i, mm_http_retry *r);

/* Consume argv[*i] (and its value) when it is one of the options above. */
bool stage_option(const char *cmd, int argc, char **argv, int *i, stage_args *s);
/* Every input: `args` (npos of them) then the list files'.  [*lo, *hi) is this task's block.
 * Dies (exit 1) on an unreadable list, exits 2 on a bad task. */
void stage_inputs(const char *cmd, stage_args *s, const char *const *args, size_t nargs,
                  mm_inputs *all, size_t *lo, size_t *hi);

/* For a command that reads every input at once (s->whole): the arguments then the list files'
 * lines, as one array (the strings live until exit); *n is updated.  Dies on a bad list. */
char **stage_all_inputs(const char *cmd, stage_args *s, char **args, int *n);

/* --tokenizer DIR (classify score, iterate): the BPE (rl/tokenizer.h) whose counts go into the
 * score files' tokens column, as a counter for mm_clf_scorer_opts.tokens.  Returns the loaded
 * tokenizer (free it with mm_tok_free after scoring); dies with the reason when it cannot be
 * loaded. */
struct mm_tok;
struct mm_clf_token_counter;
struct mm_tok *token_counter_load(const char *cmd, const char *dir,
                                  struct mm_clf_token_counter *counter);

#endif
