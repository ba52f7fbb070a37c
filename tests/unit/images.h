/*
 * images.h — real image files for tests, written with libvips.
 */
#ifndef TAGCON_TEST_IMAGES_H
#define TAGCON_TEST_IMAGES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* A w×h image with some structure (so encoders have work), saved to path;
 * the format follows the name (".png", ".jpg[Q=90]" ...). */
static inline int
image_write(const char *path, int w, int h, int bands, int seed)
{
	VipsImage *base, *im;
	if (vips_xyz(&base, w, h, NULL) != 0) {
		return -1;
	}
	double a[4] = {1 + seed % 7, 2, 3, 255}, b[4] = {(double)seed, 50, 100, 0};
	VipsImage *mixed, *cast;
	VipsImage *sum;
	if (vips_extract_band(base, &im, 0, "n", 1, NULL) != 0) {
		return -1;
	}
	VipsImage *bands_arr[4] = {im, im, im, im};
	if (vips_bandjoin(bands_arr, &mixed, bands, NULL) != 0 ||
	    vips_linear(mixed, &sum, a, b, bands, NULL) != 0 ||
	    vips_cast_uchar(sum, &cast, NULL) != 0) {
		return -1;
	}
	int rc = vips_image_write_to_file(cast, path, NULL);
	g_object_unref(base);
	g_object_unref(im);
	g_object_unref(mixed);
	g_object_unref(sum);
	g_object_unref(cast);
	return rc;
}

static inline void
file_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, n, f) != n) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

/* Keep the first `keep` bytes of src in dst (a file cut short). */
static inline void
file_truncated_copy(const char *src, const char *dst, double keep)
{
	gchar *data;
	gsize n;
	if (!g_file_get_contents(src, &data, &n, NULL)) {
		exit(2);
	}
	file_write(dst, data, (size_t)(n * keep));
	g_free(data);
}

static inline uint32_t
png_crc(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++) {
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
		}
	}
	return c ^ 0xffffffffu;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* A PNG whose header claims w×h but holds almost no data: a bomb's shape. */
static inline void
png_header_only(const char *path, uint32_t w, uint32_t h)
{
	uint8_t png[8 + 25 + 12 + 12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t *ihdr = png + 8;
	put32(ihdr, 13);
	memcpy(ihdr + 4, "IHDR", 4);
	put32(ihdr + 8, w);
	put32(ihdr + 12, h);
	ihdr[16] = 8; /* depth */
	ihdr[17] = 0; /* grey */
	put32(ihdr + 21, png_crc(ihdr + 4, 17));
	uint8_t *idat = ihdr + 25;
	put32(idat, 0);
	memcpy(idat + 4, "IDAT", 4);
	put32(idat + 8, png_crc(idat + 4, 4));
	uint8_t *iend = idat + 12;
	put32(iend, 0);
	memcpy(iend + 4, "IEND", 4);
	put32(iend + 8, png_crc(iend + 4, 4));
	file_write(path, png, sizeof png);
}

#endif
