#include "tools/cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"

int cli_verbosity = 0;
volatile int cli_interrupted = 0;

void cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mathmine %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'mathmine %s --help'.\n", cmd);
    exit(CLI_EXIT_USAGE);
}

void cli_die(const char *cmd, mm_err e) {
    if (cli_interrupted) { /* the failure is the interrupt's doing: say so, exit 130 */
        fprintf(stderr, "mathmine %s: interrupted\n", cmd);
        exit(CLI_EXIT_INTERRUPTED);
    }
    const char *d = mm_error_detail();
    fprintf(stderr, "mathmine %s: error: %s%s%s\n", cmd, mm_strerror(e), *d ? ": " : "", d);
    exit(CLI_EXIT_FAIL);
}

/* "mathmine CMD: KIND: message" on one line of stderr. */
static void vmessage(const char *cmd, const char *kind, const char *fmt, va_list ap) {
    fprintf(stderr, "mathmine %s: %s: ", cmd, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_warn(const char *cmd, const char *fmt, ...) {
    if (cli_verbosity < 0) return;
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, "warning", fmt, ap);
    va_end(ap);
}

void cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, "error", fmt, ap);
    va_end(ap);
}

void cli_info(int level, const char *fmt, ...) {
    if (cli_verbosity < level) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

long long cli_parse_int(const char *cmd, const char *opt, const char *arg, long long min,
                        long long max) {
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    /* accept K/M/G suffixes for sizes */
    long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1000, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1000000, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1000000000, end++;
    if (errno || end == arg || *end)
        cli_usage_error(cmd, "%s expects an integer, got '%s'", opt, arg);
    v *= mul;
    if (v < min || v > max)
        cli_usage_error(cmd, "%s must be between %lld and %lld, got %lld", opt, min, max, v);
    return v;
}

double cli_parse_double(const char *cmd, const char *opt, const char *arg, double min, double max) {
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !isfinite(v))
        cli_usage_error(cmd, "%s expects a number, got '%s'", opt, arg);
    if (v < min || v > max)
        cli_usage_error(cmd, "%s must be between %g and %g, got %g", opt, min, max, v);
    return v;
}

void cli_write_stats(const char *cmd, const char *path, const mm_buf *json) {
    if (!path) return;
    mm_out *o;
    mm_err e = mm_out_open(path, 0, &o);
    if (e == MM_OK) e = mm_out_write(o, json->data, json->len);
    if (e == MM_OK) e = mm_out_write(o, "\n", 1);
    if (e == MM_OK)
        e = mm_out_commit(o);
    else
        mm_out_abort(o);
    if (e != MM_OK) cli_warn(cmd, "cannot write stats to %s: %s", path, mm_error_detail());
}

static void on_signal(int sig) {
    (void)sig;
    if (cli_interrupted) _exit(CLI_EXIT_INTERRUPTED);
    cli_interrupted = 1;
}

static void at_exit(void) {
    mm_out_remove_temps();
}

void cli_install_signal_handlers(void) {
    atexit(at_exit);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
    }
    return false;
}

const char *cli_value(const char *cmd, int argc, char **argv, int *i) {
    if (*i + 1 >= argc) cli_usage_error(cmd, "%s needs a value", argv[*i]);
    return argv[++*i];
}

/* Short options that take a value, in any command (-j threads, -o output, -n sizes, -t). */
#define SHORT_WITH_VALUE "jont"
/* Short options that stand alone (-q quiet, -v verbose, -h help, -H file names in `warc`). */
#define SHORT_FLAGS "qvhH"

static bool short_with_value(const char *a) {
    return a[0] == '-' && a[1] && strchr(SHORT_WITH_VALUE, a[1]) && a[2];
}

/* "-vq", "-qj4", "-vo out": stand-alone flags bundled as getopt allows, optionally ending in
 * one option that takes a value (the rest of the word, if any, is that value). Anything else
 * ("-5", "-x", "-jq") is not a bundle and is left for the command to judge. */
static bool short_bundle(const char *a) {
    if (a[0] != '-' || !a[1] || !a[2] || !strchr(SHORT_FLAGS, a[1])) return false;
    for (const char *c = a + 1; *c; c++) {
        if (strchr(SHORT_WITH_VALUE, *c)) return true;
        if (!strchr(SHORT_FLAGS, *c)) return false;
    }
    return true;
}

/* Appends the words of bundle `a` to out; false when out of memory. */
static bool split_bundle(const char *a, char **out, int *n) {
    for (const char *c = a + 1; *c; c++) {
        char flag[3] = {'-', *c, 0};
        if (!(out[(*n)++] = strdup(flag))) return false;
        if (strchr(SHORT_WITH_VALUE, *c)) {
            if (c[1]) out[(*n)++] = (char *)(c + 1);
            break;
        }
    }
    return true;
}

char **cli_normalize_args(int *argc, char **argv) {
    size_t words = 1;
    for (int i = 0; i < *argc; i++)
        words += strlen(argv[i]) + 1; /* a bundle splits per letter */
    char **out = calloc(words, sizeof *out);
    if (!out) return argv;
    int n = 0;
    bool rest = false;
    for (int i = 0; i < *argc; i++) {
        char *a = argv[i], *eq = strchr(a, '=');
        if (i == 0 || rest) {
            out[n++] = a;
        } else if (!strcmp(a, "--")) {
            out[n++] = a, rest = true;
        } else if (a[0] == '-' && a[1] == '-' && a[2] && eq && eq > a + 2) {
            char *name = strndup(a, (size_t)(eq - a));
            if (!name) return out[n++] = a, argv; /* out of memory: leave argv alone */
            out[n++] = name, out[n++] = eq + 1;
        } else if (short_bundle(a)) {
            if (!split_bundle(a, out, &n)) return argv;
        } else if (short_with_value(a)) {
            char *name = strndup(a, 2);
            if (!name) return argv;
            out[n++] = name, out[n++] = a + 2;
        } else {
            out[n++] = a;
        }
    }
    out[n] = NULL;
    *argc = n;
    return out;
}

bool cli_is_out(const char *a) {
    return !strcmp(a, "-o") || !strcmp(a, "--out") || !strcmp(a, "--out-dir") ||
           !strcmp(a, "--output");
}
