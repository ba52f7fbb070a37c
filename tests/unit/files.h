/*
 * files.h — files that are not what their names say, for the tests of what
 * the scanner, the upload preparation and the preview accept.
 */
#ifndef TAGCON_TEST_FILES_H
#define TAGCON_TEST_FILES_H

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

/* An SVG drawing (libvips renders it with librsvg). */
static inline void
files_svg(const char *path)
{
	const char *svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"48\">"
	    "<rect width=\"64\" height=\"48\" fill=\"red\"/></svg>\n";
	if (!g_file_set_contents(path, svg, -1, NULL)) {
		exit(2);
	}
}

/* A one-page PDF (libvips renders it with poppler). */
static inline void
files_pdf(const char *path)
{
	const char *pdf = "%PDF-1.4\n"
	    "1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
	    "2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
	    "3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 64 48]>> endobj\n"
	    "trailer <</Root 1 0 R>>\n%%EOF\n";
	if (!g_file_set_contents(path, pdf, -1, NULL)) {
		exit(2);
	}
}

#endif
