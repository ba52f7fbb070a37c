/*
 * spaceurl.c — Space URL forms, parsed with libcurl's URL API.
 */
#include "core/space/spaceurl.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

#define FORMS "use https://huggingface.co/spaces/OWNER/NAME, https://OWNER-NAME.hf.space, " \
	"http(s)://HOST[:PORT][/PATH] (a Gradio app) or a1111+http(s)://HOST:PORT"
#define HUB_DEFAULT "https://huggingface.co"

struct spaceurl {
	enum spaceurl_kind kind;
	char *text;
	char *base;
	char *repo;
	char *userpwd; /* A1111 Basic auth "user:password" */
};

/* The parts of a URL tagcon keeps, host and scheme lower-case, path
 * without trailing slashes ("" for the root). */
struct parts {
	char *scheme;
	char *user;       /* decoded: what goes to the Space */
	char *user_shown; /* as written (escapes kept): what a person is shown */
	char *password;
	char *host;
	char *port; /* NULL when absent or the scheme's default */
	char *path;
};

static void
parts_fini(struct parts *p)
{
	curl_free(p->scheme);
	curl_free(p->user);
	curl_free(p->user_shown);
	curl_free(p->password);
	curl_free(p->host);
	curl_free(p->port);
	curl_free(p->path);
	memset(p, 0, sizeof *p);
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z') {
			*s += 'a' - 'A';
		}
	}
}

/* Whether host holds no blank or control character: libcurl decodes the
 * percent-escapes of a host name, and lets "%7f" through as DEL. */
static bool
plain_host(const char *host)
{
	for (const unsigned char *c = (const unsigned char *)host; *c != '\0'; c++) {
		if (*c <= 0x20 || *c == 0x7f) {
			return false;
		}
	}
	return true;
}

/* Whether s holds a C0 control character or DEL (a decoded escape). */
static bool
has_control(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			return true;
		}
	}
	return false;
}

/* Whether the host as written in url holds a '%': libcurl decodes it once
 * per parse, so "hugg%2564.co" would become another host each time the
 * text is read again.  No real host needs one. */
static bool
escaped_host(const char *url)
{
	/* After the scheme and however many slashes libcurl takes ("https:/h"). */
	const char *a = strchr(url, ':');
	if (a == NULL) {
		return false;
	}
	a += 1 + strspn(a + 1, "/\\");
	size_t n = strcspn(a, "/?#");
	const char *at = memrchr(a, '@', n);
	const char *host = at != NULL ? at + 1 : a;
	return memchr(host, '%', n - (size_t)(host - a)) != NULL;
}

/* Split url into parts; false with *cause (without quoting url, which may
 * be long or hold a password).  User and password only when allowed. */
static bool
split(const char *url, struct parts *p, bool userinfo, char **cause)
{
	memset(p, 0, sizeof *p);
	if (escaped_host(url)) {
		*cause = xstrdup("a percent-escape in the host name");
		return false;
	}
	CURLU *h = curl_url();
	CURLUcode rc = curl_url_set(h, CURLUPART_URL, url, 0);
	bool ok = false;
	/* libcurl will not decode an escape to a control character: the part
	 * is there as written but not decoded, and is refused rather than
	 * dropped. */
	char *password_raw = NULL;
	if (rc == CURLUE_OK) {
		curl_url_get(h, CURLUPART_USER, &p->user, CURLU_URLDECODE);
		curl_url_get(h, CURLUPART_USER, &p->user_shown, 0);
		curl_url_get(h, CURLUPART_PASSWORD, &p->password, CURLU_URLDECODE);
		curl_url_get(h, CURLUPART_PASSWORD, &password_raw, 0);
	}
	if (rc != CURLUE_OK) {
		*cause = xasprintf("not a URL (%s)", curl_url_strerror(rc));
	} else if (!userinfo && (p->user_shown != NULL || password_raw != NULL)) {
		*cause = xstrdup("user names and passwords in URLs are only for a1111+ URLs");
	} else if ((p->user_shown != NULL && p->user == NULL) ||
	    (password_raw != NULL && p->password == NULL) ||
	    (p->user != NULL && (strchr(p->user, ':') != NULL || has_control(p->user)))) {
		/* Basic auth cannot carry a ':' in the user name (RFC 7617), and a
		 * control character would reach the terminal when it is shown. */
		*cause = xstrdup("a ':' or a control character in the user name or password");
	} else if (curl_url_get(h, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &p->host, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PATH, &p->path, 0) != CURLUE_OK) {
		*cause = xstrdup("not a URL with a host");
	} else {
		curl_url_get(h, CURLUPART_PORT, &p->port, CURLU_NO_DEFAULT_PORT);
		lower(p->scheme);
		lower(p->host);
		size_t n = strlen(p->path);
		while (n > 0 && p->path[n - 1] == '/') {
			p->path[--n] = '\0';
		}
		ok = strcmp(p->scheme, "http") == 0 || strcmp(p->scheme, "https") == 0;
		if (!ok) {
			*cause = xstrdup("not an http or https URL");
		} else if (!plain_host(p->host)) {
			*cause = xstrdup("a control character in the host name");
			ok = false;
		}
	}
	curl_url_cleanup(h);
	curl_free(password_raw);
	if (!ok) {
		parts_fini(p);
	}
	return ok;
}

static char *
join(const char *scheme, const struct parts *p, const char *path)
{
	return xasprintf("%s://%s%s%s%s", scheme, p->host, p->port ? ":" : "",
	    p->port ? p->port : "", path);
}

char *
spaceurl_hub_endpoint(char **cause)
{
	const char *env = getenv("HF_ENDPOINT");
	if (env == NULL || *env == '\0') {
		return xstrdup(HUB_DEFAULT);
	}
	struct parts p;
	char *why = NULL;
	if (!split(env, &p, false, &why)) {
		if (cause != NULL) {
			*cause = xasprintf("HF_ENDPOINT: %s", why);
		}
		free(why);
		return NULL;
	}
	char *out = join(p.scheme, &p, p.path);
	parts_fini(&p);
	return out;
}

bool
spaceurl_valid_repo(const char *repo)
{
	const char *slash = strchr(repo, '/');
	if (slash == NULL || strchr(slash + 1, '/') != NULL) {
		return false;
	}
	size_t owner = (size_t)(slash - repo), name = strlen(slash + 1);
	if (owner == 0 || name == 0 || owner > 96 || name > 96) {
		return false;
	}
	for (const char *c = repo; *c != '\0'; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.' || c == slash;
		if (!ok) {
			return false;
		}
	}
	/* "." and ".." would walk the hub's paths. */
	return strcmp(slash + 1, ".") != 0 && strcmp(slash + 1, "..") != 0 &&
	    strncmp(repo, "./", 2) != 0 && strncmp(repo, "../", 3) != 0;
}

/*
 * Whether p is a hub page: anything on huggingface.co (other paths are
 * refused there), or a /spaces/ path on $HF_ENDPOINT's host (a test hub or
 * a mirror may serve other things too).
 */
static bool
on_hub(const struct parts *p, bool spaces_path)
{
	if (strcmp(p->host, "huggingface.co") == 0 || strcmp(p->host, "www.huggingface.co") == 0) {
		return true;
	}
	if (!spaces_path) {
		return false;
	}
	char *hub = spaceurl_hub_endpoint(NULL);
	struct parts h;
	char *why = NULL;
	bool same = false;
	if (hub != NULL && split(hub, &h, false, &why)) {
		same = strcmp(h.host, p->host) == 0 &&
		    strcmp(h.port ? h.port : "", p->port ? p->port : "") == 0;
		parts_fini(&h);
	}
	free(why);
	free(hub);
	return same;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

static bool
classify_page(struct spaceurl *u, const struct parts *p, char **cause)
{
	if (strncmp(p->path, "/spaces/", 8) != 0 || !spaceurl_valid_repo(p->path + 8)) {
		*cause = xstrdup("a huggingface.co URL must be a Space page "
		    "(https://huggingface.co/spaces/OWNER/NAME)");
		return false;
	}
	u->kind = SPACEURL_HUB_PAGE;
	u->repo = xstrdup(p->path + 8);
	/* huggingface.co itself only speaks https; a test hub may not. */
	if (strcmp(p->host, "huggingface.co") == 0 || strcmp(p->host, "www.huggingface.co") == 0) {
		u->text = xasprintf("%s/spaces/%s", HUB_DEFAULT, u->repo);
	} else {
		u->text = join(p->scheme, p, p->path);
	}
	return true;
}

static void
classify(struct spaceurl *u, const struct parts *p, bool a1111)
{
	if (a1111) {
		u->kind = SPACEURL_A1111;
		u->base = join(p->scheme, p, p->path);
		if (p->user != NULL) {
			/* Shown with the password masked, sent apart from the URL. */
			u->userpwd = xasprintf("%s:%s", p->user, p->password ? p->password : "");
			u->text = xasprintf("a1111+%s://%s:****@%s", p->scheme, p->user_shown,
			    u->base + strlen(p->scheme) + 3);
		} else {
			u->text = xasprintf("a1111+%s", u->base);
		}
	} else if (ends_with(p->host, ".hf.space")) {
		/* Always https; an http URL's explicit 443 is then the default
		 * and goes, as a parse of the https text drops it. */
		struct parts q = *p;
		if (q.port != NULL && strcmp(q.port, "443") == 0) {
			q.port = NULL;
		}
		u->kind = SPACEURL_HF_SPACE;
		u->base = join("https", &q, p->path);
		u->text = xstrdup(u->base);
	} else {
		u->kind = SPACEURL_GRADIO;
		u->base = join(p->scheme, p, p->path);
		u->text = xstrdup(u->base);
	}
}

struct spaceurl *
spaceurl_create(const char *text, char **cause)
{
	while (*text == ' ' || *text == '\t') {
		text++;
	}
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n')) {
		n--;
	}
	char *trimmed = xstrndup(text, n);
	bool a1111 = strncasecmp(trimmed, "a1111+", 6) == 0;
	struct spaceurl *u = xcalloc(1, sizeof *u);
	struct parts p;
	char *why = NULL;
	bool ok = false;
	if (n == 0) {
		why = xstrdup("empty URL");
	} else if (split(trimmed + (a1111 ? 6 : 0), &p, a1111, &why)) {
		ok = true;
		if (!a1111 && on_hub(&p, strncmp(p.path, "/spaces/", 8) == 0)) {
			ok = classify_page(u, &p, &why);
		} else {
			classify(u, &p, a1111);
		}
		parts_fini(&p);
	}
	if (!ok) {
		/* Shown up to the scheme only when it may hold a password. */
		size_t show = strchr(trimmed, '@') != NULL ? strcspn(trimmed, ":") : n;
		char *shown = sanitize_dup(trimmed, show < 120 ? show : 120);
		*cause = xasprintf("%s: %s; %s", shown, why, FORMS);
		free(shown);
		spaceurl_destroy(u);
		u = NULL;
	}
	free(why);
	free(trimmed);
	return u;
}

void
spaceurl_destroy(struct spaceurl *u)
{
	if (u == NULL) {
		return;
	}
	free(u->text);
	free(u->base);
	free(u->repo);
	if (u->userpwd != NULL) {
		explicit_bzero(u->userpwd, strlen(u->userpwd));
		free(u->userpwd);
	}
	free(u);
}

enum spaceurl_kind
spaceurl_kind(const struct spaceurl *u)
{
	return u->kind;
}

const char *
spaceurl_text(const struct spaceurl *u)
{
	return u->text;
}

const char *
spaceurl_base(const struct spaceurl *u)
{
	return u->base;
}

const char *
spaceurl_repo(const struct spaceurl *u)
{
	return u->repo;
}

const char *
spaceurl_userpwd(const struct spaceurl *u)
{
	return u->userpwd;
}

bool
spaceurl_set_base(struct spaceurl *u, const char *base, char **cause)
{
	struct parts p;
	char *why = NULL;
	if (!split(base, &p, false, &why)) {
		*cause = xasprintf("the hub named an unusable host (%s)", why);
		free(why);
		return false;
	}
	free(u->base);
	u->base = join(p.scheme, &p, p.path);
	parts_fini(&p);
	return true;
}

bool
spaceurl_set_repo(struct spaceurl *u, const char *repo)
{
	if (!spaceurl_valid_repo(repo)) {
		return false;
	}
	free(u->repo);
	u->repo = xstrdup(repo);
	return true;
}

/* 127.0.0.0/8, ::1, localhost. */
static bool
loopback(const char *host)
{
	struct in_addr v4;
	return strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    (inet_pton(AF_INET, host, &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127);
}

bool
spaceurl_is_secure(const char *url)
{
	struct parts p;
	char *why = NULL;
	if (!split(url, &p, false, &why)) {
		free(why);
		return false;
	}
	bool ok = strcmp(p.scheme, "https") == 0 || loopback(p.host);
	parts_fini(&p);
	return ok;
}

/* Whether host is NAME.hf.space (any case), NAME not empty. */
static bool
hf_space_host(const char *host)
{
	static const char suffix[] = ".hf.space";
	size_t n = strlen(host), k = sizeof suffix - 1;
	return n > k && strcasecmp(host + n - k, suffix) == 0;
}

bool
spaceurl_token_host(const char *url)
{
	struct parts p, hub;
	char *why = NULL, *endpoint = spaceurl_hub_endpoint(NULL);
	bool ok = false;
	if (endpoint == NULL || !split(endpoint, &hub, false, &why)) {
		free(why);
		free(endpoint);
		return false;
	}
	if (split(url, &p, false, &why)) {
		if (loopback(p.host)) {
			/* Only a test's hub lives on loopback: then its Spaces may too. */
			ok = loopback(hub.host);
		} else if (strcmp(p.scheme, "https") == 0) {
			ok = hf_space_host(p.host) || (strcmp(hub.scheme, "https") == 0 &&
			    strcasecmp(p.host, hub.host) == 0 &&
			    (p.port == NULL) == (hub.port == NULL) &&
			    (p.port == NULL || strcmp(p.port, hub.port) == 0));
		}
		parts_fini(&p);
	}
	free(why);
	parts_fini(&hub);
	free(endpoint);
	return ok;
}

bool
spaceurl_token_ok(const struct spaceurl *u)
{
	if (u->base == NULL) {
		return false;
	}
	switch (u->kind) {
	case SPACEURL_HF_SPACE:
	case SPACEURL_HUB_PAGE:
		return spaceurl_token_host(u->base);
	default:
		return false;
	}
}
