/* tools/cli.h — what every `mathmine <stage>` command shares: the command table, usage errors
 * (exit 2), fatal errors (exit 1), number parsing with range checks, warnings, and the
 * `--stats FILE` JSON summary.  Only tools/ prints and exits; the library never does.
 *
 * Exit codes: 0 success; 1 failure (an input could not be processed: the batch went on past it
 * and reports it at the end); 2 usage error; 130 interrupted. */
#ifndef MM_CLI_H
#define MM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define MM_VERSION "0.1.0" /* `mathmine --version`, and recorded in run manifests */

typedef int (*cli_cmd_fn)(int argc, char **argv);

typedef struct cli_command {
    const char *name;
    cli_cmd_fn fn;
    const char *help; /* one line for `mathmine --help` */
    int model;        /* runs the model (OpenBLAS, OpenMP); see tools/blas_setup.h */
} cli_command;

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_INTERRUPTED = 130 };

extern int cli_verbosity; /* -q = -1, default 0, -v = 1, -vv = 2 */

/* Print "mathmine CMD: MSG" and "Try 'mathmine CMD --help'." to stderr and exit(2). */
_Noreturn void cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "mathmine CMD: error: <strerror>: <detail>" and exit(1); after SIGINT/SIGTERM print
 * "mathmine CMD: interrupted" and exit(130) instead. */
_Noreturn void cli_die(const char *cmd, mm_err e);
/* An error line on stderr ("mathmine CMD: error: ..."), printed even with -q: an input that
 * failed (the batch goes on, exit 1 at the end). */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning line on stderr ("mathmine CMD: warning: ..."), unless -q. */
void cli_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An informational line on stderr, shown at verbosity >= level. */
void cli_info(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

long long cli_parse_int(const char *cmd, const char *opt, const char *arg, long long min,
                        long long max);
double cli_parse_double(const char *cmd, const char *opt, const char *arg, double min, double max);

/* Write `json` (a complete JSON document) to `path` atomically; a failure is a warning. */
void cli_write_stats(const char *cmd, const char *path, const mm_buf *json);

/* SIGINT/SIGTERM set this; long loops check it and stop cleanly (outputs are temp files).
 * cli_install_signal_handlers also removes, at exit, the temp files of outputs still open (an
 * exit through cli_die or an interrupt leaves nothing half-written). */
extern volatile int cli_interrupted;
void cli_install_signal_handlers(void);

/* The one command-line convention (docs/cli.md), applied to every command before it parses:
 *   --name=value  becomes  --name value
 *   -jN, -oDIR, -nN, -tX (the short options that take a value)  become  -j N, -o DIR, ...
 * up to a "--" argument.  Returns a new argv (argc may grow); the strings are not copied
 * except the split ones; it lives until exit. */
char **cli_normalize_args(int *argc, char **argv);

/* True for the spellings of a command's output: -o, --out, and the older --out-dir and
 * --output, kept as aliases. */
bool cli_is_out(const char *arg);

/* The value of option argv[*i] (argv[*i + 1], and *i moves to it); a usage error when missing. */
const char *cli_value(const char *cmd, int argc, char **argv, int *i);

/* True when argv contains -h/--help (before any "--"). */
bool cli_wants_help(int argc, char **argv);

#endif
