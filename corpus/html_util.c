/* corpus/html_util.c — small tree helpers for the HTML passes (see corpus/html.h). */
#include <ctype.h>
#include <strings.h>
#include <string.h>

#include "corpus/html.h"

/* libxml2's HTML parser lowercases attribute names, and every name asked for is lowercase. */
const char *html_attr(const xmlNode *n, const char *name) {
    if (!html_is_elem(n)) return NULL;
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        if (!a->name || a->name[0] != (unsigned char)name[0] ||
            !html_name_eq((const char *)a->name, name))
            continue;
        const xmlNode *t = a->children;
        if (!t || t->type != XML_TEXT_NODE || !t->content || !t->content[0]) return NULL;
        return (const char *)t->content;
    }
    return NULL;
}

bool html_class_has(const xmlNode *n, const char *word) {
    const char *c = html_attr(n, "class");
    size_t k = strlen(word);
    while (c && *c) {
        while (*c && isspace((unsigned char)*c))
            c++;
        size_t len = 0;
        while (c[len] && !isspace((unsigned char)c[len]))
            len++;
        if (len == k && !memcmp(c, word, k)) return true;
        c += len;
    }
    return false;
}

bool html_class_contains(const xmlNode *n, const char *sub) {
    const char *c = html_attr(n, "class");
    return c && strstr(c, sub);
}

xmlNode *html_next(xmlNode *n, const xmlNode *root, bool descend) {
    if (descend && n->children && n->type == XML_ELEMENT_NODE) return n->children;
    while (n && n != root) {
        if (n->next) return n->next;
        n = n->parent;
    }
    return NULL;
}

mm_err html_text_content(const xmlNode *n, mm_buf *b) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
        return n->content ? mm_buf_puts(b, (const char *)n->content) : MM_OK;
    for (xmlNode *c = n->children; c; c = html_next(c, n, true))
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            MM_TRY(mm_buf_puts(b, (const char *)c->content));
    return MM_OK;
}

void html_class_id(const xmlNode *n, char *out, size_t cap) {
    const char *c = html_attr(n, "class"), *id = html_attr(n, "id");
    size_t k = 0;
    for (const char *s = c; s && *s && k + 2 < cap; s++)
        out[k++] = (char)tolower((unsigned char)*s);
    if (id && k + 2 < cap) out[k++] = ' ';
    for (const char *s = id; s && *s && k + 1 < cap; s++)
        out[k++] = (char)tolower((unsigned char)*s);
    out[k] = 0;
}
