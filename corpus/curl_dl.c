/* corpus/curl_dl.c — see curl_dl.h. */
#include "corpus/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static mm_curl_api api;
static const mm_curl_api *loaded;
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, sizeof why, "%s", dlerror());
        return;
    }
    CURLcode (*global_init)(long) = NULL;
    struct {
        void *slot;
        const char *name;
    } syms[] = {{&global_init, "curl_global_init"},
                {&api.easy_init, "curl_easy_init"},
                {&api.easy_setopt, "curl_easy_setopt"},
                {&api.easy_cleanup, "curl_easy_cleanup"},
                {&api.easy_strerror, "curl_easy_strerror"},
                {&api.multi_init, "curl_multi_init"},
                {&api.multi_add_handle, "curl_multi_add_handle"},
                {&api.multi_remove_handle, "curl_multi_remove_handle"},
                {&api.multi_perform, "curl_multi_perform"},
                {&api.multi_info_read, "curl_multi_info_read"},
                {&api.multi_poll, "curl_multi_poll"},
                {&api.multi_cleanup, "curl_multi_cleanup"}};
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
        void *f = dlsym(h, syms[i].name);
        if (!f) {
            snprintf(why, sizeof why, "libcurl.so.4 has no %s (libcurl 7.66 or newer is needed)",
                     syms[i].name);
            return;
        }
        *(void **)syms[i].slot = f;
    }
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(why, sizeof why, "curl_global_init failed");
        return;
    }
    loaded = &api;
}

mm_err mm_curl_load(const char *input, const mm_curl_api **out) {
    pthread_once(&once, load);
    *out = loaded;
    if (!loaded)
        return mm_fail(MM_ERR_IO,
                       "%s: URL inputs need libcurl: %s (Debian: apt-get install libcurl4)", input,
                       why);
    return MM_OK;
}
