/*
 * spaceerr.c — failure classes, HTTP status mapping, safe messages.
 */
#include "core/space/spaceerr.h"

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/tag/answer.h"
#include "core/sanitize.h"
#include "common/xalloc.h"

/* How much server text a message quotes. */
#define QUOTE_MAX 200
/* What a quote's cut leaves at its end. */
#define ELLIPSIS "…"
/* A Hugging Face token: "hf_" and at least this many letters and digits
 * (user tokens have 34; shorter runs are names such as hf_transfer). */
#define HF_TOKEN_MIN 20
/* The shortest head of a cut secret that redaction still removes: a
 * shorter one says nothing, and a message may well end that way. */
#define SECRET_HEAD_MIN 4

static const char *const class_names[] = {
	[SPACEERR_NONE] = "ok",
	[SPACEERR_WAKING] = "waking",
	[SPACEERR_QUEUE_FULL] = "queue-full",
	[SPACEERR_RATE_LIMITED] = "rate-limited",
	[SPACEERR_SERVER_ERROR] = "server-error",
	[SPACEERR_TIMEOUT] = "timeout",
	[SPACEERR_MALFORMED] = "malformed",
	[SPACEERR_DROPPED] = "dropped",
	[SPACEERR_AUTH] = "auth",
	[SPACEERR_NOT_TAGGER] = "not-tagger",
	[SPACEERR_UNSUPPORTED] = "unsupported",
	[SPACEERR_UNREACHABLE] = "unreachable",
	[SPACEERR_BAD_INPUT] = "bad-input",
	[SPACEERR_CANCELLED] = "cancelled",
};

const char *
spaceerr_class_name(enum spaceerr_class cls)
{
	if ((size_t)cls >= sizeof class_names / sizeof class_names[0]) {
		return "unknown";
	}
	return class_names[cls];
}

bool
spaceerr_space_fatal(enum spaceerr_class cls)
{
	return cls == SPACEERR_AUTH || cls == SPACEERR_NOT_TAGGER || cls == SPACEERR_UNSUPPORTED;
}

bool
spaceerr_image_fault(enum spaceerr_class cls)
{
	return cls == SPACEERR_BAD_INPUT;
}

void
spaceerr_set(struct spaceerr *err, enum spaceerr_class cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(err->message);
	err->message = msg;
	err->cls = cls;
}

void
spaceerr_fini(struct spaceerr *err)
{
	if (err == NULL) {
		return;
	}
	free(err->message);
	*err = (struct spaceerr)SPACEERR_INIT;
}

void
spaceerr_copy(struct spaceerr *dst, const struct spaceerr *src)
{
	free(dst->message);
	*dst = *src;
	dst->message = src->message != NULL ? xstrdup(src->message) : NULL;
}

void
spaceerr_prefix(struct spaceerr *err, const char *what)
{
	char *msg = xasprintf("%s: %s", what, err->message ? err->message : "failed");
	free(err->message);
	err->message = msg;
}

/* Whether c may be part of a credential: RFC 7235's token68, which
 * Bearer and Basic values and Hugging Face tokens are made of. */
static bool
cred_char(char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("-._~+/=", c) != NULL);
}

static size_t
run_of(const char *s, size_t n, size_t i, bool (*in)(char))
{
	size_t k = i;
	while (k < n && in(s[k])) {
		k++;
	}
	return k - i;
}

/* What a quote turns into one space: a credential across a line break is
 * one on the line out. */
static bool
blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Between a header name and its value: quotes, backslashes (escaped
 * quotes of a JSON dump), blanks. */
static bool
gap_char(char c)
{
	return blank_char(c) || c == '"' || c == '\'' || c == '\\';
}

/* Whether s[i..i+len) can be an authentication scheme ("Bearer", "Basic"):
 * a short word.  Anything else is the credential itself. */
static bool
scheme_at(const char *s, size_t i, size_t len)
{
	if (len == 0 || len > 16) {
		return false;
	}
	for (size_t k = i; k < i + len; k++) {
		if (!g_ascii_isalpha(s[k])) {
			return false;
		}
	}
	return true;
}

/* Whether the case-insensitive word w starts a word at s[i]. */
static bool
word_at(const char *s, size_t n, size_t i, const char *w)
{
	size_t k = strlen(w);
	return n - i >= k && g_ascii_strncasecmp(s + i, w, k) == 0 &&
	    (i == 0 || !g_ascii_isalnum(s[i - 1]));
}

/*
 * Whether a credential starts at s[i]: *keep bytes of it stay (a header
 * name, a scheme), the *drop bytes after them are the secret.  Three
 * forms: an Authorization header's value (a scheme's credential, or the
 * whole value), "Bearer X", and a Hugging Face token "hf_…".
 */
static bool
credential_at(const char *s, size_t n, size_t i, size_t *keep, size_t *drop)
{
	size_t j = i;
	if (word_at(s, n, i, "authorization")) {
		j += 13;
		j += run_of(s, n, j, gap_char);
		if (j < n && (s[j] == ':' || s[j] == '=')) {
			j++;
			j += run_of(s, n, j, gap_char);
			size_t first = run_of(s, n, j, cred_char);
			size_t gap = run_of(s, n, j + first, blank_char);
			size_t second = gap > 0 && scheme_at(s, j, first) ?
			    run_of(s, n, j + first + gap, cred_char) : 0;
			*keep = j - i + (second > 0 ? first + gap : 0);
			*drop = second > 0 ? second : first;
			return *drop > 0;
		}
		return false;
	}
	if (word_at(s, n, i, "bearer")) {
		j += 6;
		size_t gap = run_of(s, n, j, blank_char);
		*keep = 6 + gap;
		*drop = gap > 0 ? run_of(s, n, j + gap, cred_char) : 0;
		return *drop > 0;
	}
	if (n - i > 3 && memcmp(s + i, "hf_", 3) == 0) {
		size_t k = 3;
		while (i + k < n && g_ascii_isalnum(s[i + k])) {
			k++;
		}
		*keep = 0;
		*drop = k;
		return k - 3 >= HF_TOKEN_MIN;
	}
	return false;
}

/* s/n with every credential replaced by "[token]" (new string). */
static char *
scrub(const char *s, size_t n, size_t *out_len)
{
	GString *out = g_string_sized_new(n + 1);
	size_t i = 0;
	while (i < n) {
		size_t keep, drop;
		if (credential_at(s, n, i, &keep, &drop)) {
			g_string_append_len(out, s + i, (gssize)keep);
			g_string_append(out, "[token]");
			i += keep + drop;
		} else {
			g_string_append_c(out, s[i]);
			i++;
		}
	}
	*out_len = out->len;
	return g_string_free(out, FALSE);
}

char *
spaceerr_quote(const char *raw, size_t raw_len)
{
	if (raw == NULL) {
		return xstrdup("");
	}
	/* Credentials go before the cut: a cut through one would leave a
	 * piece that nothing recognises afterwards. */
	size_t n;
	char *s = scrub(raw, raw_len, &n);
	/* Blanks (including line ends) collapse to one space: one line out. */
	char *flat = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n && k < QUOTE_MAX + 8; i++) {
		bool blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
		if (blank && (k == 0 || flat[k - 1] == ' ')) {
			continue;
		}
		flat[k++] = blank ? ' ' : s[i];
	}
	free(s);
	while (k > 0 && flat[k - 1] == ' ') {
		k--;
	}
	bool cut = k > QUOTE_MAX;
	if (cut) {
		/* Cut at a character boundary. */
		k = QUOTE_MAX;
		while (k > 0 && ((unsigned char)flat[k] & 0xc0) == 0x80) {
			k--;
		}
	}
	char *safe = sanitize_dup(flat, k);
	free(flat);
	if (cut) {
		char *more = xasprintf("%s" ELLIPSIS, safe);
		free(safe);
		safe = more;
	}
	return safe;
}

/* The message with its bytes [at, at + len) replaced by "[token]". */
static void
replace_span(struct spaceerr *err, size_t at, size_t len)
{
	char *msg = xasprintf("%.*s[token]%s", (int)at, err->message, err->message + at + len);
	free(err->message);
	err->message = msg;
}

/* The head of secret that a quote's cut left just before its "…", or 0.
 * The quote removes the credentials it can recognise before cutting; this
 * catches a secret of any other shape. */
static size_t
cut_head(const char *msg, const char *dots, const char *secret, size_t slen)
{
	size_t before = (size_t)(dots - msg);
	for (size_t k = slen - 1 < before ? slen - 1 : before; k >= SECRET_HEAD_MIN; k--) {
		if (memcmp(dots - k, secret, k) == 0) {
			return k;
		}
	}
	return 0;
}

void
spaceerr_redact(struct spaceerr *err, const char *secret)
{
	if (err->message == NULL || secret == NULL || *secret == '\0') {
		return;
	}
	size_t slen = strlen(secret);
	char *p;
	while ((p = strstr(err->message, secret)) != NULL) {
		replace_span(err, (size_t)(p - err->message), slen);
	}
	const char *dots = strstr(err->message, ELLIPSIS);
	while (dots != NULL) {
		size_t head = cut_head(err->message, dots, secret, slen);
		size_t at = (size_t)(dots - err->message);
		if (head > 0) {
			replace_span(err, at - head, head);
			at = at - head + strlen("[token]");
		}
		dots = strstr(err->message + at + strlen(ELLIPSIS), ELLIPSIS);
	}
}

/* A non-empty string member of obj, or NULL. */
static const char *
text_member(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsArray(v)) {
		/* FastAPI validation errors: [{"loc":…,"msg":…,"type":…}] */
		v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(v, 0), "msg");
	}
	return cJSON_IsString(v) && *v->valuestring != '\0' ? v->valuestring : NULL;
}

/* The most telling text of an error body: FastAPI's "detail", Gradio's
 * "error", A1111's "errors", or NULL (*is_json says whether it parsed). */
static char *
body_detail(const char *body, size_t len, bool *is_json)
{
	*is_json = false;
	cJSON *j = body != NULL && !answer_json_too_big(body, len, 4096) ?
	    cJSON_ParseWithLength(body, len) : NULL;
	if (j == NULL) {
		return NULL;
	}
	*is_json = true;
	static const char *const keys[] = {"detail", "error", "errors", "message", NULL};
	const char *text = NULL;
	for (int i = 0; keys[i] != NULL && text == NULL; i++) {
		text = text_member(j, keys[i]);
	}
	/* A1111's API: {"error": "RuntimeError", "errors": "what happened"}. */
	const char *kind = text_member(j, "error"), *what = text_member(j, "errors");
	char *out = kind != NULL && what != NULL && text == kind ?
	    xasprintf("%s: %s", kind, what) : text != NULL ? xstrdup(text) : NULL;
	cJSON_Delete(j);
	return out;
}

static bool
looks_html(const char *content_type, const char *body, size_t len)
{
	if (content_type != NULL && strncasecmp(content_type, "text/html", 9) == 0) {
		return true;
	}
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
		i++;
	}
	return i < len && body[i] == '<';
}

/* " (STATUS: detail)" or " (STATUS)" — the tail of most messages. */
static char *
status_text(int status, const char *detail)
{
	if (detail == NULL || *detail == '\0') {
		return xasprintf("HTTP %d", status);
	}
	char *q = spaceerr_quote(detail, strlen(detail));
	char *s = xasprintf("HTTP %d: %s", status, q);
	free(q);
	return s;
}

static void
auth(struct spaceerr *err, const char *tail, int creds)
{
	if (creds & SPACEERR_BASIC_AUTH) {
		spaceerr_set(err, SPACEERR_AUTH, (creds & SPACEERR_SENT_BASIC) ?
		    "user name or password refused (%s)" : "needs a user name and password (%s); "
		    "write them in the URL: a1111+http://USER:PASS@HOST:PORT", tail);
	} else {
		spaceerr_set(err, SPACEERR_AUTH, (creds & SPACEERR_SENT_TOKEN) ?
		    "token refused (%s)" : (creds & SPACEERR_HELD_TOKEN) ?
		    "needs a token (%s), and tagcon gives the Hugging Face token only to the "
		    "hub and to *.hf.space hosts" : "needs a valid token (%s); set HF_TOKEN", tail);
	}
}

static void
from_4xx(struct spaceerr *err, int status, const char *tail, int creds)
{
	if (status == 401 || status == 403) {
		auth(err, tail, creds);
	} else if (status == 404) {
		spaceerr_set(err, SPACEERR_NOT_TAGGER, "not found (%s)", tail);
	} else if (status == 408) {
		spaceerr_set(err, SPACEERR_TIMEOUT, "server timed out waiting (%s)", tail);
	} else if (status == 413) {
		spaceerr_set(err, SPACEERR_BAD_INPUT, "image too large for the Space (%s)", tail);
	} else if (status == 429) {
		spaceerr_set(err, SPACEERR_RATE_LIMITED, "rate limited (%s)", tail);
	} else {
		spaceerr_set(err, SPACEERR_BAD_INPUT, "request refused (%s)", tail);
	}
}

/* Whether body is the plain "Bad Gateway" of Node's http-proxy. */
static bool
bad_gateway(const char *body, size_t len)
{
	static const char text[] = "Bad Gateway";
	while (len > 0 && g_ascii_isspace(body[len - 1])) {
		len--;
	}
	while (len > 0 && g_ascii_isspace(*body)) {
		body++;
		len--;
	}
	return len == sizeof text - 1 && g_ascii_strncasecmp(body, text, len) == 0;
}

void
spaceerr_from_http(struct spaceerr *err, int status, const char *content_type,
    const char *body, size_t len, long long retry_after_ms, int creds)
{
	bool is_json;
	char *detail = body_detail(body, len, &is_json);
	bool html = !is_json && len > 0 && looks_html(content_type, body, len);
	if (detail == NULL && !is_json && !html && len > 0) {
		detail = xstrndup(body, len);
	}
	char *tail = status_text(status, detail);
	err->http_status = status;
	err->retry_after_ms = retry_after_ms;
	if (status >= 400 && status < 500) {
		from_4xx(err, status, tail, creds);
	} else if (status == 503 && detail != NULL && strstr(detail, "Queue is full") != NULL) {
		spaceerr_set(err, SPACEERR_QUEUE_FULL, "queue full (%s)", tail);
	} else if (status == 503 && !is_json) {
		spaceerr_set(err, SPACEERR_WAKING, "Space not running yet (%s%s)", tail,
		    html ? ", HTML page" : "");
	} else if (status == 502 && !is_json && !html && bad_gateway(body, len)) {
		/* Gradio >= 6.15's Node proxy while the Python server behind it
		 * starts or restarts (proto §2.10): asleep, not broken. */
		spaceerr_set(err, SPACEERR_WAKING, "Space starting (%s)", tail);
	} else if (status >= 500) {
		spaceerr_set(err, SPACEERR_SERVER_ERROR, "server error (%s)", tail);
	} else {
		spaceerr_set(err, SPACEERR_MALFORMED, "unexpected answer (%s)", tail);
	}
	if (retry_after_ms >= 0) {
		char *msg = xasprintf("%s; retry in %lld s", err->message,
		    (retry_after_ms + 999) / 1000);
		free(err->message);
		err->message = msg;
	}
	free(tail);
	free(detail);
}

/* The wait a ZeroGPU quota message names, in milliseconds, -1 if none:
 * "Try again in 0:12:34." or, from older releases of the `spaces` package,
 * "retry in 0:12:34" (a Python timedelta, which may say "1 day, 2:03:04"). */
static long long
zerogpu_wait(const char *msg)
{
	static const char *const leads[] = {"Try again in ", "retry in ", NULL};
	for (int i = 0; leads[i] != NULL; i++) {
		const char *p = strcasestr(msg, leads[i]);
		int d = 0, h, m, s;
		if (p == NULL) {
			continue;
		}
		p += strlen(leads[i]);
		/* At most 9 digits a field: nothing a peer writes overflows. */
		if (sscanf(p, "%9d day%*[s], %9d:%9d:%9d", &d, &h, &m, &s) != 4 &&
		    sscanf(p, "%9d day, %9d:%9d:%9d", &d, &h, &m, &s) != 4) {
			d = 0;
			if (sscanf(p, "%9d:%9d:%9d", &h, &m, &s) != 3) {
				continue;
			}
		}
		if (d >= 0 && h >= 0 && m >= 0 && s >= 0) {
			return (((long long)d * 24 + h) * 3600 + (long long)m * 60 + s) * 1000;
		}
	}
	return -1;
}

/* Whether a run's error says its event is gone: Gradio answers a stream
 * whose event it no longer has (it expired, or the app restarted between
 * the call and the stream) with a 404 inside the stream — "404: Not Found"
 * from 5.x, "404: Session not found." in 4.x — then drops the connection. */
static bool
event_gone(const char *msg)
{
	return strstr(msg, "Session not found") != NULL ||
	    (strncmp(msg, "404:", 4) == 0 && strcasestr(msg, "not found") != NULL);
}

/* ZeroGPU had no GPU to give now (the queue behind it is full). */
static bool
no_gpu(const char *msg)
{
	return strstr(msg, "No GPU was available") != NULL ||
	    strstr(msg, "No GPU is currently available") != NULL;
}

void
spaceerr_from_run(struct spaceerr *err, const char *msg)
{
	char *q = spaceerr_quote(msg, strlen(msg));
	err->retry_after_ms = -1;
	if (event_gone(msg)) {
		/* Nobody's fault: send it again, at no cost to the Space or the
		 * image (spaceerr.h). */
		spaceerr_set(err, SPACEERR_CANCELLED, "the Space no longer has this request, "
		    "expired or lost in a restart (%s)", q);
	} else if (no_gpu(msg)) {
		/* Before the quota test: a queue timeout may come under a
		 * "ZeroGPU quota exceeded" title. */
		spaceerr_set(err, SPACEERR_QUEUE_FULL, "no GPU available (%s)", q);
	} else if (strstr(msg, "GPU quota") != NULL) {
		err->retry_after_ms = zerogpu_wait(msg);
		spaceerr_set(err, SPACEERR_RATE_LIMITED, "GPU quota exhausted (%s)", q);
	} else if (strstr(msg, "not in the list of choices") != NULL) {
		spaceerr_set(err, SPACEERR_BAD_INPUT, "input refused (%s)", q);
	} else {
		spaceerr_set(err, SPACEERR_SERVER_ERROR, "the Space failed (%s)", q);
	}
	free(q);
}
