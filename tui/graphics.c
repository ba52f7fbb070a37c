/* graphics.c — pixel images written beside curses, erased and redrawn by frame. */
#include "tui/graphics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

/* kitty takes at most 4096 bytes of payload per escape sequence. */
#define KITTY_CHUNK 4096
#define MAX_SHOWN 4

struct placed {
	uint32_t id;
	enum termcap_proto proto;
	int y, x, cols, rows;
};

static struct {
	struct termcap tc;
	uint32_t next_id;
	/* What is on the screen, and what this frame wants there. */
	struct placed shown[MAX_SHOWN];
	int n_shown;
	struct placed want[MAX_SHOWN];
	const struct gfx_image *want_img[MAX_SHOWN];
	int n_want;
	bool framed;          /* a frame said what it wants since the last flush */
	uint32_t kitty_upload; /* the image kitty holds for showing (0: none) */
	uint32_t kitty_preload; /* one more, uploaded ahead (0: none) */
	char *out;            /* what the flush writes */
	size_t len, cap;
} g = {.next_id = 1};

void
graphics_init(int in_fd, int out_fd, int timeout_ms)
{
	termcap_detect(&g.tc, in_fd, out_fd, timeout_ms);
}

void
graphics_replay_keys(void)
{
	for (int i = g.tc.n_typed; i-- > 0;) {
		ungetch((unsigned char)g.tc.typed[i]);
	}
	g.tc.n_typed = 0;
}

static void
put(const char *s, size_t n)
{
	if (g.len + n + 1 > g.cap) {
		g.cap = (g.len + n + 1) * 2;
		g.out = xrealloc(g.out, g.cap);
	}
	memcpy(g.out + g.len, s, n);
	g.len += n;
}

/* s as the terminal must get it: inside tmux, one passthrough sequence with
 * every ESC doubled. */
static void
put_seq(const char *s, size_t n)
{
	if (!g.tc.tmux || !g.tc.passthrough) {
		put(s, n);
		return;
	}
	put("\033Ptmux;", 7);
	for (const char *p = s, *end = s + n; p < end;) {
		const char *esc = memchr(p, '\033', (size_t)(end - p));
		size_t run = esc != NULL ? (size_t)(esc - p) + 1 : (size_t)(end - p);
		put(p, run);
		if (esc != NULL) {
			put("\033", 1);
		}
		p += run;
	}
	put("\033\\", 2);
}

static void
put_seqf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
put_seqf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put_seq(buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void
write_out(void)
{
	size_t off = 0;
	while (off < g.len) {
		ssize_t n = write(STDOUT_FILENO, g.out + off, g.len - off);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break; /* the terminal is gone: the loop sees it */
		}
		off += (size_t)n;
	}
	g.len = 0;
}

void
graphics_fini(void)
{
	/* Our images, placements and data, by id: d=A would take other
	 * programs' images too (q=2: no reply). */
	uint32_t *held[] = {&g.kitty_upload, &g.kitty_preload};
	for (size_t i = 0; i < 2; i++) {
		if (*held[i] != 0) {
			put_seqf("\033_Ga=d,d=I,i=%u,q=2\033\\", *held[i]);
		}
	}
	if (g.len > 0) {
		write_out();
	}
	g.kitty_upload = g.kitty_preload = 0;
	g.n_shown = g.n_want = 0;
	free(g.out);
	g.out = NULL;
	g.cap = 0;
}

enum termcap_proto
graphics_protocol(const char *setting, const char **why)
{
	static char buf[160];
	enum termcap_proto p = g.tc.proto;
	bool automatic;
	if (!termcap_proto_parse(setting, &p, &automatic) || automatic) {
		*why = g.tc.how;
		return g.tc.proto;
	}
	if (p != TERMCAP_SYMBOLS && g.tc.tmux && !g.tc.passthrough &&
	    !(p == TERMCAP_SIXEL && g.tc.proto == TERMCAP_SIXEL)) {
		snprintf(buf, sizeof buf, "symbols (preview_protocol %s, but tmux's "
		    "allow-passthrough is off)", termcap_proto_name(p));
		*why = buf;
		return TERMCAP_SYMBOLS;
	}
	snprintf(buf, sizeof buf, "%s (preview_protocol)", termcap_proto_name(p));
	*why = buf;
	return p;
}

void
graphics_cell_size(int *w, int *h)
{
	termcap_cell_size(&g.tc, STDOUT_FILENO, w, h);
}

enum preview_pixels
graphics_pixels(enum termcap_proto proto)
{
	switch (proto) {
	case TERMCAP_SIXEL: return PREVIEW_SIXEL;
	case TERMCAP_KITTY:
	case TERMCAP_ITERM: return PREVIEW_PNG;
	case TERMCAP_SYMBOLS: break;
	}
	return PREVIEW_CELLS;
}

uint32_t
graphics_next_id(void)
{
	/* kitty ids are 1..2^32-1; 0 is "none" here. */
	if (g.next_id == 0) {
		g.next_id = 1;
	}
	return g.next_id++;
}

/* kitty: the PNG sent in chunks as image id, not shown yet (a=t). */
static void
encode_kitty(struct gfx_image *img, const struct preview *p, char **out, size_t *len,
    size_t *cap)
{
	(void)img;
	for (size_t off = 0; off < p->data_len || off == 0; off += KITTY_CHUNK) {
		size_t n = p->data_len - off < KITTY_CHUNK ? p->data_len - off : KITTY_CHUNK;
		bool more = off + n < p->data_len;
		char head[96];
		int h = off == 0 ? snprintf(head, sizeof head, "\033_Ga=t,f=100,t=d,i=%u,q=2,m=%d;",
		    img->id, more) : snprintf(head, sizeof head, "\033_Gm=%d;", more);
		size_t need = *len + (size_t)h + n + 2;
		if (need > *cap) {
			*cap = need * 2;
			*out = xrealloc(*out, *cap);
		}
		memcpy(*out + *len, head, (size_t)h);
		memcpy(*out + *len + h, p->data + off, n);
		memcpy(*out + *len + h + n, "\033\\", 2);
		*len = need;
		if (!more) {
			break;
		}
	}
}

struct gfx_image *
graphics_encode(const struct preview *p, enum termcap_proto proto, uint32_t id)
{
	if (p == NULL || p->data == NULL || proto == TERMCAP_SYMBOLS) {
		return NULL;
	}
	struct gfx_image *img = xcalloc(1, sizeof *img);
	*img = (struct gfx_image){.id = id, .proto = proto, .cols = p->cols, .rows = p->rows};
	char *raw = NULL;
	size_t len = 0, cap = 0;
	if (proto == TERMCAP_KITTY) {
		encode_kitty(img, p, &raw, &len, &cap);
	} else if (proto == TERMCAP_ITERM) {
		/* size is the decoded length: 3 bytes per 4 of base64, less padding. */
		size_t pad = p->data_len >= 2 ? (p->data[p->data_len - 1] == '=') +
		    (p->data[p->data_len - 2] == '=') : 0;
		raw = xasprintf("\033]1337;File=inline=1;size=%zu;width=%dpx;height=%dpx;"
		    "preserveAspectRatio=1;doNotMoveCursor=1:%s\a", p->data_len / 4 * 3 - pad,
		    p->px_width, p->px_height, p->data);
		len = strlen(raw);
	} else {
		raw = xmalloc(p->data_len + 1);
		memcpy(raw, p->data, p->data_len + 1);
		len = p->data_len;
	}
	img->bytes = raw;
	img->len = len;
	return img;
}

void
graphics_image_destroy(struct gfx_image *img)
{
	if (img != NULL) {
		free(img->bytes);
		free(img);
	}
}

void
graphics_frame_begin(void)
{
	g.n_want = 0;
	g.framed = true;
}

void
graphics_want(const struct gfx_image *img, int y, int x)
{
	if (img == NULL || g.n_want >= MAX_SHOWN) {
		return;
	}
	g.want[g.n_want] = (struct placed){img->id, img->proto, y, x, img->cols, img->rows};
	g.want_img[g.n_want++] = img;
}

static bool
same_place(const struct placed *a, const struct placed *b)
{
	return a->id == b->id && a->y == b->y && a->x == b->x && a->cols == b->cols &&
	    a->rows == b->rows;
}

static bool
wanted(const struct placed *s)
{
	for (int i = 0; i < g.n_want; i++) {
		if (same_place(&g.want[i], s)) {
			return true;
		}
	}
	return false;
}

void
graphics_frame_end(WINDOW *body)
{
	int top = getbegy(body), rows = getmaxy(body);
	for (int i = 0; i < g.n_shown; i++) {
		const struct placed *s = &g.shown[i];
		if (s->proto == TERMCAP_KITTY || wanted(s)) {
			continue;
		}
		/* Curses believes those cells blank: make it write them again. */
		int from = s->y - top, n = s->rows;
		from = from < 0 ? 0 : from;
		n = from + n > rows ? rows - from : n;
		if (n > 0) {
			wredrawln(body, from, n);
		}
	}
}

/* Cursor to the image's top left (1-based on the outer terminal), saved first. */
static void
put_place(const struct placed *p)
{
	int y = p->y + 1, x = p->x + 1;
	if (g.tc.tmux && g.tc.passthrough) {
		y += g.tc.pane_top;
		x += g.tc.pane_left;
	}
	put_seqf("\0337\033[%d;%dH", y, x);
}

/* kitty: img's upload, wrapped for tmux when it must be. */
static void
put_upload(const struct gfx_image *img)
{
	if (g.tc.tmux && g.tc.passthrough) {
		put_seq(img->bytes, img->len);
	} else {
		put(img->bytes, img->len);
	}
}

void
graphics_preload(const struct gfx_image *img)
{
	if (img == NULL || img->proto != TERMCAP_KITTY || img->id == g.kitty_upload ||
	    img->id == g.kitty_preload) {
		return;
	}
	if (g.kitty_preload != 0) {
		put_seqf("\033_Ga=d,d=I,i=%u,q=2\033\\", g.kitty_preload);
	}
	put_upload(img);
	g.kitty_preload = img->id;
	write_out();
}

static void
show(const struct placed *p, const struct gfx_image *img)
{
	if (p->proto == TERMCAP_KITTY) {
		if (g.kitty_upload != p->id) {
			if (g.kitty_upload != 0) {
				put_seqf("\033_Ga=d,d=I,i=%u,q=2\033\\", g.kitty_upload);
			}
			if (g.kitty_preload == p->id) {
				g.kitty_preload = 0; /* already there */
			} else {
				put_upload(img);
			}
			g.kitty_upload = p->id;
		}
		put_place(p);
		/* One placement per image (p=1), the cursor left where it was (C=1). */
		put_seqf("\033_Ga=p,i=%u,p=1,C=1,q=2\033\\\0338", p->id);
		return;
	}
	put_place(p);
	put_seq(img->bytes, img->len);
	put_seqf("\0338");
}

void
graphics_flush(void)
{
	if (!g.framed) {
		return;
	}
	g.framed = false;
	for (int i = 0; i < g.n_shown; i++) {
		const struct placed *s = &g.shown[i];
		if (s->proto == TERMCAP_KITTY && !wanted(s)) {
			put_seqf("\033_Ga=d,d=i,i=%u,q=2\033\\", s->id);
		}
	}
	for (int i = 0; i < g.n_want; i++) {
		bool there = false;
		for (int j = 0; j < g.n_shown; j++) {
			there |= same_place(&g.shown[j], &g.want[i]);
		}
		if (!there) {
			show(&g.want[i], g.want_img[i]);
		}
	}
	memcpy(g.shown, g.want, sizeof g.want);
	g.n_shown = g.n_want;
	for (int i = 0; i < g.n_want; i++) {
		g.want_img[i] = NULL;
	}
	if (g.len > 0) {
		write_out();
	}
}

void
graphics_invalidate(void)
{
	for (int i = 0; i < g.n_shown; i++) {
		if (g.shown[i].proto == TERMCAP_KITTY) {
			/* kitty's images live above the text: clearing leaves them. */
			put_seqf("\033_Ga=d,d=i,i=%u,q=2\033\\", g.shown[i].id);
		}
	}
	/* kitty frees an image a clear left without placements: upload again. */
	uint32_t *held[] = {&g.kitty_upload, &g.kitty_preload};
	for (size_t i = 0; i < 2; i++) {
		if (*held[i] != 0) {
			put_seqf("\033_Ga=d,d=I,i=%u,q=2\033\\", *held[i]);
			*held[i] = 0;
		}
	}
	if (g.len > 0) {
		write_out();
	}
	g.n_shown = 0;
}
