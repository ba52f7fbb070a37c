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

/* The flat table for both table slots, 4:4:4, Huffman optimisation. */
static void
set_up(struct jpeg_compress_struct *c, int step, bool optimise)
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
	c->optimize_coding = optimise;
}

unsigned char *
jpegflat_encode(const unsigned char *px, int w, int h, int bands, int step, bool optimise,
    size_t *len)
{
	struct jpeg_compress_struct c;
	struct failure f;
	unsigned char *mem = NULL;
	unsigned long size = 0;
	if (bands != 1 && bands != 3) {
		return NULL;
	}
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
	set_up(&c, step, optimise);
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
