/* widget-list.c — cursor, scrolling and drawing of virtual lists. */
#include "tui/widget-list.h"

#include "tui/term.h"

void
list_init(struct list *l)
{
	*l = (struct list){.height = 1};
}

static void
clamp(struct list *l)
{
	if (l->cursor >= l->count) {
		l->cursor = l->count - 1;
	}
	if (l->cursor < 0) {
		l->cursor = 0;
	}
}

void
list_set_count(struct list *l, int64_t count)
{
	l->count = count < 0 ? 0 : count;
	clamp(l);
}

void
list_set_cursor(struct list *l, int64_t cursor)
{
	l->cursor = cursor;
	clamp(l);
}

bool
list_key(struct list *l, int key, bool vi)
{
	int64_t page = l->height > 1 ? l->height - 1 : 1;
	switch (key) {
	case KEYC(KEY_UP):
		l->cursor--;
		break;
	case KEYC(KEY_DOWN):
		l->cursor++;
		break;
	case KEYC(KEY_PPAGE):
		l->cursor -= page;
		break;
	case KEYC(KEY_NPAGE):
		l->cursor += page;
		break;
	case KEYC(KEY_HOME):
		l->cursor = 0;
		break;
	case KEYC(KEY_END):
		l->cursor = l->count - 1;
		break;
	default:
		if (!vi || (key != 'k' && key != 'j' && key != 'g' && key != 'G')) {
			return false;
		}
		l->cursor = key == 'k' ? l->cursor - 1 : key == 'j' ? l->cursor + 1
		    : key == 'g' ? 0 : l->count - 1;
		break;
	}
	clamp(l);
	return true;
}

/* Keep the cursor in view, scrolling as little as possible. */
static void
scroll_to_cursor(struct list *l, int height)
{
	l->height = height;
	if (l->cursor < l->top) {
		l->top = l->cursor;
	} else if (l->cursor >= l->top + height) {
		l->top = l->cursor - height + 1;
	}
	if (l->top > l->count - height) {
		l->top = l->count - height;
	}
	if (l->top < 0) {
		l->top = 0;
	}
}

void
list_draw(struct list *l, WINDOW *w, int y, int x, int height, int width, list_row_fn row,
    void *ud, attr_t bar)
{
	if (height <= 0 || width <= 0) {
		return;
	}
	scroll_to_cursor(l, height);
	bool barred = l->count > height && width > 2;
	int rw = barred ? width - 1 : width;
	for (int i = 0; i < height && l->top + i < l->count; i++) {
		row(ud, w, y + i, x, rw, l->top + i, l->top + i == l->cursor);
	}
	if (!barred) {
		return;
	}
	int thumb = (int)((double)height * height / (double)l->count);
	thumb = thumb < 1 ? 1 : thumb;
	int pos = (int)((double)(height - thumb) * (double)l->top / (double)(l->count - height));
	for (int i = 0; i < height; i++) {
		bool on = i >= pos && i < pos + thumb;
		term_put(w, y + i, x + width - 1, 1, on ? (term_utf8() ? "▐" : "#") : " ", bar,
		    false);
	}
}

bool
list_window_covers(const struct list *l, int64_t base, int64_t n)
{
	int64_t h = l->height;
	int64_t lo = l->cursor - h < 0 ? 0 : l->cursor - h;
	int64_t hi = l->cursor + h + 1 > l->count ? l->count : l->cursor + h + 1;
	return n > 0 && lo >= base && hi <= base + n;
}
