/* corpus/xml_arena.h — a per-document arena for libxml2's memory (internal, not installed).
 *
 * Parsing a page with libxml2 makes one malloc per node, attribute and text, and freeing the
 * tree one free each: a fifth of the extraction time in the profile.  libxml2 takes its
 * allocator from xmlMemSetup(); ours hands out memory from the calling thread's arena while one
 * is active (between mm_xml_arena_begin and mm_xml_arena_end) and is plain malloc otherwise.
 * free() of arena memory does nothing; mm_xml_arena_end drops the whole document at once.
 *
 * Rule for users: every libxml2 object made inside the window (parser context, document,
 * strings) is dead after mm_xml_arena_end; nothing may be kept across documents.  libxml2's own
 * per-thread last-error record is cleared before the window closes for that reason. */
#ifndef MM_CORPUS_XML_ARENA_H
#define MM_CORPUS_XML_ARENA_H

#include <stddef.h>

typedef struct mm_xml_arena mm_xml_arena;

/* Install the allocator (once per process, before libxml2 is initialised). */
void mm_xml_arena_install(void);
mm_xml_arena *mm_xml_arena_create(void);
void mm_xml_arena_free(mm_xml_arena *a);
/* Route this thread's libxml2 allocations into a (one window at a time per thread). */
void mm_xml_arena_begin(mm_xml_arena *a);
/* Close the window: all of its memory is reused by the next one.  Keeps the largest block
 * (so memory stays flat at the size of the largest document's tree). */
void mm_xml_arena_end(mm_xml_arena *a);
/* Bytes handed out in the current window (tests). */
size_t mm_xml_arena_used(const mm_xml_arena *a);

#endif
