/*
 * export-xmp.c — XMP sidecars: a new packet with dc:subject, or the tags an
 * existing sidecar lacks added to its dc:subject bag, the rest of the file
 * left byte for byte (darktable keeps its history there, digiKam its own).
 */
#include <stdlib.h>
#include <string.h>

#include "core/tag/export-private.h"
#include "core/tag/export.h"
#include "core/sanitize.h"
#include "core/tag/tagname.h"
#include "common/xalloc.h"

#define DC_NS "http://purl.org/dc/elements/1.1/"

struct buf {
	char *s;
	size_t len;
};

static void
add(struct buf *b, const char *text, size_t n)
{
	b->s = xrealloc(b->s, b->len + n + 1);
	memcpy(b->s + b->len, text, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
adds(struct buf *b, const char *text)
{
	add(b, text, strlen(text));
}

/* Text as XML character data: markup characters escaped, characters XML 1.0
 * forbids dropped, invalid UTF-8 made visible. */
static void
add_escaped(struct buf *b, const char *text)
{
	char *u = sanitize_utf8(text);
	for (const unsigned char *p = (const unsigned char *)u; *p != '\0'; p++) {
		switch (*p) {
		case '&': adds(b, "&amp;"); break;
		case '<': adds(b, "&lt;"); break;
		case '>': adds(b, "&gt;"); break;
		case '"': adds(b, "&quot;"); break;
		case '\'': adds(b, "&apos;"); break;
		default:
			if (*p >= 0x20 || *p == '\t') {
				add(b, (const char *)p, 1);
			}
		}
	}
	free(u);
}

static char *
unescape_xml(const char *s, size_t n)
{
	static const struct { const char *ent; char c; } ents[] = {
		{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''},
	};
	char *out = xmalloc(n + 1), *q = out;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < 5 && strncmp(s + i, ents[k].ent, strlen(ents[k].ent)) != 0) {
			k++;
		}
		if (k < 5 && i + strlen(ents[k].ent) <= n) {
			*q++ = ents[k].c;
			i += strlen(ents[k].ent) - 1;
		} else {
			*q++ = s[i];
		}
	}
	*q = '\0';
	return out;
}

/* The names to write, as shown (rating label first). */
static char **
shown_names(const struct export_item *item, const struct export_opts *o, size_t *n)
{
	char **names = xcalloc(item->n_tags + 2, sizeof *names);
	*n = 0;
	const char *label = o->rating_tag ? export_rating_label(item) : NULL;
	if (label != NULL) {
		names[(*n)++] = xstrdup(label);
	}
	for (size_t i = 0; i < item->n_tags; i++) {
		names[(*n)++] = tagname_display(item->tags[i].tag, o->spaces ? TAGNAME_SPACES : 0);
	}
	return names;
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
	}
	free(names);
}

/* <rdf:li> lines for the names whose canonical form is not in have; how
 * many. */
static size_t
add_items(struct buf *b, char **names, size_t n, char **have, size_t n_have)
{
	size_t added = 0;
	for (size_t i = 0; i < n; i++) {
		char *c = export_canonical(names[i]);
		if (c == NULL || !export_has(have, n_have, c)) {
			adds(b, "     <rdf:li>");
			add_escaped(b, names[i]);
			adds(b, "</rdf:li>\n");
			added++;
		}
		free(c);
	}
	return added;
}

static char *
new_packet(char **names, size_t n)
{
	struct buf b = {0};
	adds(&b, "<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
	    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"tagcon " TAGCON_VERSION "\">\n"
	    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
	    "  <rdf:Description rdf:about=\"\"\n    xmlns:dc=\"" DC_NS "\">\n"
	    "   <dc:subject>\n    <rdf:Bag>\n");
	add_items(&b, names, n, NULL, 0);
	adds(&b, "    </rdf:Bag>\n   </dc:subject>\n  </rdf:Description>\n </rdf:RDF>\n"
	    "</x:xmpmeta>\n<?xpacket end=\"w\"?>\n");
	return b.s;
}

/* The first occurrence of needle in [from, to), or NULL. */
static const char *
find_within(const char *from, const char *to, const char *needle)
{
	const char *p = strstr(from, needle);
	return p != NULL && p + strlen(needle) <= to ? p : NULL;
}

/*
 * Canonical names of the <rdf:li> items in text[0..n).  An item's text holds
 * no markup: an item whose next tag is not its own </rdf:li> (an item left
 * open, a nested element) is not a name, and the scan goes on from that next
 * tag, so a broken item never swallows the one after it.
 */
static char **
bag_items(const char *text, size_t n, size_t *count)
{
	static const char li_end[] = "</rdf:li>";
	char **have = NULL;
	*count = 0;
	const char *end = text + n;
	for (const char *p = text; (p = find_within(p, end, "<rdf:li")) != NULL;) {
		const char *open = memchr(p, '>', (size_t)(end - p));
		if (open == NULL) {
			break;
		}
		const char *next = memchr(open, '<', (size_t)(end - open));
		if (open[-1] == '/' || next == NULL ||
		    (size_t)(end - next) < sizeof li_end - 1 ||
		    memcmp(next, li_end, sizeof li_end - 1) != 0) {
			p = next != NULL ? next : end; /* <rdf:li/>, or no name here */
			continue;
		}
		char *raw = unescape_xml(open + 1, (size_t)(next - open - 1));
		have = xreallocarray(have, *count + 1, sizeof *have);
		have[(*count)++] = export_canonical(raw);
		free(raw);
		p = next + sizeof li_end - 1;
	}
	return have;
}

/* existing with items spliced in at byte offset at (replacing cut bytes);
 * existing unchanged when no item is missing. */
static char *
splice(const char *existing, size_t at, size_t cut, const char *prefix, char **names,
    size_t n, char **have, size_t n_have, const char *suffix)
{
	struct buf b = {0};
	add(&b, existing, at);
	adds(&b, prefix);
	if (add_items(&b, names, n, have, n_have) == 0) {
		free(b.s);
		return xstrdup(existing);
	}
	adds(&b, suffix);
	adds(&b, existing + at + cut);
	return b.s;
}

/*
 * The start tag of the first element named name ("<name" followed by a
 * blank, '>' or '/'), and in *end where it ends: its end tag, or the end of
 * the start tag when it closes itself; *end NULL when it does not end (or
 * its start tag does not).  NULL when there is none.  Only
 * within that span may tagcon touch it: a Bag further on belongs to
 * another property (lr:hierarchicalSubject, ...).
 */
static const char *
find_element(const char *text, const char *name, const char **end)
{
	char *open = xasprintf("<%s", name), *close = xasprintf("</%s>", name);
	const char *p = text, *found = NULL;
	while (found == NULL && (p = strstr(p, open)) != NULL) {
		char c = p[strlen(open)];
		if (c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			found = p;
		} else {
			p += strlen(open);
		}
	}
	if (found != NULL) {
		const char *gt = strchr(found, '>');
		const char *lt = strchr(found + 1, '<');
		if (gt == NULL || (lt != NULL && lt < gt)) {
			*end = NULL; /* a start tag that never ends: not XML to edit */
		} else if (gt[-1] == '/') {
			*end = gt + 1;
		} else {
			*end = strstr(gt, close);
		}
	}
	free(open);
	free(close);
	return found;
}

/* Merge into a sidecar that has dc:subject with a Bag, both ending before
 * subject_end. */
static char *
merge_bag(const char *existing, const char *bag, const char *subject_end, char **names,
    size_t n)
{
	const char *gt = strchr(bag, '>');
	if (gt == NULL || gt >= subject_end) {
		return NULL;
	}
	if (gt[-1] == '/') {
		/* <rdf:Bag/>: an empty bag written short. */
		return splice(existing, (size_t)(bag - existing), (size_t)(gt + 1 - bag),
		    "<rdf:Bag>\n", names, n, NULL, 0, "    </rdf:Bag>");
	}
	const char *close = find_within(gt, subject_end, "</rdf:Bag>");
	if (close == NULL) {
		return NULL; /* a Bag not closed inside dc:subject: not ours to mend */
	}
	size_t n_have;
	char **have = bag_items(gt + 1, (size_t)(close - gt - 1), &n_have);
	/* New lines go before the line of </rdf:Bag> when it stands alone. */
	const char *line = close;
	while (line > gt + 1 && (line[-1] == ' ' || line[-1] == '\t')) {
		line--;
	}
	bool alone = line[-1] == '\n';
	char *out = splice(existing, (size_t)((alone ? line : close) - existing), 0,
	    alone ? "" : "\n", names, n, have, n_have, "");
	free_names(have, n_have);
	return out;
}

char *
export_xmp(const struct export_item *item, const struct export_opts *o, const char *existing,
    char **cause)
{
	size_t n;
	char **names = shown_names(item, o, &n);
	char *out = NULL;
	if (existing == NULL) {
		out = new_packet(names, n);
	} else {
		const char *subject_end = NULL;
		const char *subject = find_element(existing, "dc:subject", &subject_end);
		const char *bag = subject != NULL && subject_end != NULL ?
		    find_within(subject, subject_end, "<rdf:Bag") : NULL;
		const char *desc_end = strstr(existing, "</rdf:Description>");
		if (bag != NULL) {
			out = merge_bag(existing, bag, subject_end, names, n);
		} else if (subject == NULL && desc_end != NULL) {
			out = splice(existing, (size_t)(desc_end - existing), 0,
			    "   <dc:subject xmlns:dc=\"" DC_NS "\">\n    <rdf:Bag>\n", names, n, NULL, 0,
			    "    </rdf:Bag>\n   </dc:subject>\n  ");
		}
		if (out == NULL && cause != NULL) {
			*cause = xstrdup("the sidecar has no dc:subject bag or rdf:Description to add "
			    "tags to (--mode replace rewrites it)");
		}
	}
	free_names(names, n);
	return out;
}
