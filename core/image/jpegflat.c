/*
 * jpegflat.c — libjpeg with one quantisation step for every coefficient.
 */
#include "core/image/jpegflat.h"

#include <glib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h>

/* libjpeg reports a fatal error by calling error_exit, which must not
 * return: it jumps back into jpegflat_encode. */
struct failure {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
};

static void
on_error(j_common_ptr c)
{
	longjmp(((struct failure *)(void *)c->err)->jump, 1);
}

static void
on_message(j_common_ptr c, int level)
{
	(void)c;
	(void)level;
}

/* Sequential files from this size on are tried progressive too: the 448
 * squares of dense photos (progressive 1-3 % smaller there, larger on
 * smooth ones and on small pictures). */
#define PROGRESSIVE_FROM 32768

/* How the coefficients are written: the pixels are the same in all. */
enum coding {
	HUFFMAN,         /* baseline, standard Huffman tables: the quickest */
	HUFFMAN_OPT,     /* baseline, Huffman tables made for the image */
	HUFFMAN_PROG,    /* progressive, tables made for the image */
	ARITHMETIC,      /* sequential */
	ARITHMETIC_PROG, /* progressive */
};

/* The flat table for both table slots, 4:4:4, the coding. */
static void
set_up(struct jpeg_compress_struct *c, int step, enum coding coding)
{
	unsigned int flat[DCTSIZE2];
	for (int i = 0; i < DCTSIZE2; i++) {
		flat[i] = (unsigned int)(step < 1 ? 1 : step > 255 ? 255 : step);
	}
	jpeg_set_defaults(c);
	jpeg_add_quant_table(c, 0, flat, 100, TRUE);
	jpeg_add_quant_table(c, 1, flat, 100, TRUE);
	for (int i = 0; i < c->num_components; i++) {
		c->comp_info[i].h_samp_factor = 1;
		c->comp_info[i].v_samp_factor = 1;
	}
	/* Arithmetic coding adapts to the image as it goes: no table to
	 * optimise, and no second pass. */
	c->arith_code = coding == ARITHMETIC || coding == ARITHMETIC_PROG;
	c->optimize_coding = coding == HUFFMAN_OPT || coding == HUFFMAN_PROG;
	if (coding == HUFFMAN_PROG || coding == ARITHMETIC_PROG) {
		jpeg_simple_progression(c);
	}
}

static unsigned char *
encode(const unsigned char *px, int w, int h, int bands, int step, enum coding coding,
    size_t *len)
{
	struct jpeg_compress_struct c;
	struct failure f;
	unsigned char *mem = NULL;
	unsigned long size = 0;
	c.err = jpeg_std_error(&f.mgr);
	f.mgr.error_exit = on_error;
	f.mgr.emit_message = on_message;
	if (setjmp(f.jump) != 0) {
		jpeg_destroy_compress(&c);
		free(mem);
		return NULL;
	}
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &mem, &size);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = bands;
	c.in_color_space = bands == 3 ? JCS_RGB : JCS_GRAYSCALE;
	set_up(&c, step, coding);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = (JSAMPROW)(px + (size_t)c.next_scanline * w * bands);
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	unsigned char *out = g_memdup2(mem, size);
	free(mem);
	*len = size;
	return out;
}

/* The smaller of two codings (each may fail: NULL). */
static unsigned char *
smaller(const unsigned char *px, int w, int h, int bands, int step, enum coding one,
    enum coding other, size_t *len)
{
	size_t olen = 0;
	unsigned char *a = encode(px, w, h, bands, step, one, len);
	unsigned char *b = a != NULL ? encode(px, w, h, bands, step, other, &olen) : NULL;
	if (b != NULL && olen < *len) {
		g_free(a);
		*len = olen;
		return b;
	}
	g_free(b);
	return a;
}

unsigned char *
jpegflat_encode(const unsigned char *px, int w, int h, int bands, int step, bool smallest,
    size_t *len)
{
	if (bands != 1 && bands != 3) {
		return NULL;
	}
	if (!smallest) {
		return encode(px, w, h, bands, step, HUFFMAN, len);
	}
	/* Progressive is smaller on dense pictures only (its bands group like
	 * coefficients), and its ten scans cost as much again as all the rest
	 * of a small image's preparing: tried only when the sequential file
	 * is large enough for it to pay (PROGRESSIVE_FROM). */
	unsigned char *out = encode(px, w, h, bands, step, ARITHMETIC, len);
	if (out != NULL && *len >= PROGRESSIVE_FROM && *len <= JPEGFLAT_ARITH_MAX) {
		size_t plen = 0;
		unsigned char *prog = encode(px, w, h, bands, step, ARITHMETIC_PROG, &plen);
		if (prog != NULL && plen < *len) {
			g_free(out);
			*len = plen;
			return prog;
		}
		g_free(prog);
	}
	if (out != NULL && *len <= JPEGFLAT_ARITH_MAX) {
		return out;
	}
	g_free(out);
	return smaller(px, w, h, bands, step, HUFFMAN_OPT, HUFFMAN_PROG, len);
}

bool
jpegflat_decode(const unsigned char *buf, size_t len, int w, int h, int bands,
    unsigned char *out)
{
	struct jpeg_decompress_struct d;
	struct failure f;
	d.err = jpeg_std_error(&f.mgr);
	f.mgr.error_exit = on_error;
	f.mgr.emit_message = on_message;
	if (setjmp(f.jump) != 0) {
		jpeg_destroy_decompress(&d);
		return false;
	}
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, buf, (unsigned long)len);
	bool ok = jpeg_read_header(&d, TRUE) == JPEG_HEADER_OK;
	if (ok) {
		d.out_color_space = bands == 3 ? JCS_RGB : JCS_GRAYSCALE;
		ok = jpeg_start_decompress(&d) && d.output_width == (JDIMENSION)w &&
		    d.output_height == (JDIMENSION)h && d.output_components == bands;
	}
	while (ok && d.output_scanline < d.output_height) {
		JSAMPROW row = (JSAMPROW)(out + (size_t)d.output_scanline * w * bands);
		ok = jpeg_read_scanlines(&d, &row, 1) == 1;
	}
	if (ok) {
		jpeg_finish_decompress(&d);
	}
	jpeg_destroy_decompress(&d);
	return ok;
}
