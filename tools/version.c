/* tools/version.c — `mathmine --version`: our version and the versions of the libraries this
 * binary runs with, read from the libraries themselves where they can say (so a bug report
 * names what really ran): libxml2, zstd, OpenBLAS, libcurl (loaded only to ask it; URL inputs
 * load it the same way).  fastText has no version call: its Debian package version is recorded
 * at build time (tools/module.mk). */
#include "tools/version.h"

#include <cblas.h>
#include <dlfcn.h>
#include <libxml/parser.h>
#include <libxml/xmlversion.h>
#include <stdio.h>
#include <zstd.h>

#ifndef MM_FASTTEXT_PKG
#define MM_FASTTEXT_PKG ""
#endif

static const char *curl_runtime(void) {
    void *h = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
    if (!h) return NULL;
    char *(*fn)(void) = (char *(*)(void))dlsym(h, "curl_version");
    return fn ? fn() : NULL; /* the handle stays open: the string lives in the library */
}

void cli_print_version(FILE *f, const char *version) {
    xmlCheckVersion(LIBXML_VERSION);
    fprintf(f, "mathmine %s\n", version);
    fprintf(f, "  libxml2   %s (built with %s)\n", xmlParserVersion, LIBXML_DOTTED_VERSION);
    fprintf(f, "  zstd      %s (built with %s)\n", ZSTD_versionString(), ZSTD_VERSION_STRING);
    fprintf(f, "  fastText  %s\n",
            *MM_FASTTEXT_PKG ? MM_FASTTEXT_PKG " (Debian libfasttext0)"
                             : "libfasttext.so.0 (version unknown)");
    fprintf(f, "  OpenBLAS  %s\n", openblas_get_config());
    const char *curl = curl_runtime();
    fprintf(f, "  libcurl   %s\n", curl ? curl : "not found (needed for URL inputs only)");
}
