/* corpus/curl_dl.h — libcurl, loaded the first time a URL is read (not an installed header).
 *
 * Linking libcurl brings 21 more shared libraries into every mathmine process (TLS, Kerberos,
 * LDAP, SSH, IDN, ...); mapping and relocating them was a quarter of every command's start-up
 * (~7 ms of page faults on the development VM) while only URL inputs use them.  So the WARC
 * reader reaches libcurl through this table, filled by dlopen on first use. */
#ifndef MM_CURL_DL_H
#define MM_CURL_DL_H

#include <curl/curl.h>

#include "common/error.h"

typedef struct mm_curl_api {
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned, int, int *);
    CURLMcode (*multi_cleanup)(CURLM *);
} mm_curl_api;

/* The table in *api, libcurl loaded and globally initialised once per process; an error naming
 * `input` (the URL being opened) when libcurl cannot be loaded. */
mm_err mm_curl_load(const char *input, const mm_curl_api **api);

#endif
