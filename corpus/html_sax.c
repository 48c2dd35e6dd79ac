/* corpus/html_sax.c — libxml2's element building, trimmed to what the HTML passes read.
 *
 * libxml2's own startElement (xmlSAX2StartElement) was 8% of extraction: for every element it
 * copies the name, checks for a namespace prefix and validation, and for every attribute copies
 * the name again, normalises the value against a DTD the page does not have and registers id
 * attributes in a hash table.  This one builds the same tree (same types, links, names, attribute
 * nodes with one text child, the boolean-attribute rule) and nothing else:
 *   - element and attribute names are the parser's dictionary strings (the document keeps the
 *     dictionary), not copies; the few names the parser passes as literals (the implied html,
 *     body, p, ...) are put in the dictionary first, as libxml2 may free a name it does not own;
 *   - no line numbers, no ID table (no pass looks up an element by id).
 * A prefixed name ("m:math") goes to libxml2's handler, which knows what to do with it.  Text,
 * end tags and everything else stay libxml2's. */
#include <libxml/HTMLtree.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <string.h>

#include "corpus/html.h"

static void *zalloc(size_t n) {
    void *p = xmlMalloc(n);
    if (p) memset(p, 0, n);
    return p;
}

static void append_child(xmlNodePtr parent, xmlNodePtr n) {
    n->parent = parent;
    if (!parent->children) {
        parent->children = parent->last = n;
    } else {
        n->prev = parent->last;
        parent->last->next = n;
        parent->last = n;
    }
}

/* An attribute node of element n: its value as one text child (none for a missing value, as
 * libxml2 does, except that a boolean HTML attribute's value is its name). */
static xmlAttrPtr new_attribute(xmlDocPtr doc, xmlNodePtr n, const xmlChar *name,
                                const xmlChar *value) {
    if (!value && htmlIsBooleanAttr(name)) value = name;
    xmlAttrPtr a = zalloc(sizeof *a);
    if (!a) return NULL;
    a->type = XML_ATTRIBUTE_NODE;
    a->name = name;
    a->parent = n;
    a->doc = doc;
    if (value) {
        xmlNodePtr t = zalloc(sizeof *t);
        if (!t || !(t->content = xmlStrdup(value))) return NULL;
        t->type = XML_TEXT_NODE;
        t->name = xmlStringText;
        t->doc = doc;
        t->parent = (xmlNodePtr)a;
        a->children = a->last = t;
    }
    return a;
}

/* name as a string of the parser's dictionary (NULL when out of memory). */
static const xmlChar *interned(xmlParserCtxtPtr ctxt, const xmlChar *name) {
    return xmlDictOwns(ctxt->dict, name) == 1 ? name : xmlDictLookup(ctxt->dict, name, -1);
}

static void start_element(void *ctx, const xmlChar *name, const xmlChar **atts) {
    xmlParserCtxtPtr ctxt = ctx;
    xmlDocPtr doc = ctxt->myDoc;
    if (!name || !doc || !ctxt->dict) return;
    if (strchr((const char *)name, ':')) {
        xmlSAX2StartElement(ctx, name, atts);
        return;
    }
    if (!(name = interned(ctxt, name))) {
        xmlStopParser(ctxt); /* out of memory: the page ends here */
        return;
    }
    xmlNodePtr n = zalloc(sizeof *n), parent = ctxt->node;
    if (!n) {
        xmlStopParser(ctxt);
        return;
    }
    n->type = XML_ELEMENT_NODE;
    n->name = name;
    n->doc = doc;
    if (!doc->children)
        append_child((xmlNodePtr)doc, n);
    else if (!parent)
        parent = doc->children;
    ctxt->nodemem = -1; /* what xmlSAX2Characters expects after a new element */
    if (nodePush(ctxt, n) < 0) {
        xmlUnlinkNode(n);
        return;
    }
    if (parent && parent->type == XML_ELEMENT_NODE)
        append_child(parent, n);
    else if (parent)
        xmlAddSibling(parent, n);
    xmlAttrPtr last = NULL;
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const xmlChar *an = interned(ctxt, atts[i]);
        xmlAttrPtr a = an ? new_attribute(doc, n, an, atts[i + 1]) : NULL;
        if (!a) {
            xmlStopParser(ctxt);
            return;
        }
        if (last) {
            last->next = a;
            a->prev = last;
        } else {
            n->properties = a;
        }
        last = a;
    }
}

void html_sax_install(htmlParserCtxtPtr ctxt) {
    if (ctxt && ctxt->sax) ctxt->sax->startElement = start_element;
}
