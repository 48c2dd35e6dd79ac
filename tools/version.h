/* tools/version.h — `mathmine --version` (tools/version.c). */
#ifndef MM_VERSION_H
#define MM_VERSION_H

#include <stdio.h>

/* "mathmine VERSION" then one line per linked library with the version it reports. */
void cli_print_version(FILE *f, const char *version);

#endif
