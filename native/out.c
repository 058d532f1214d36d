// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* out.c: byte buffers, JSON string encoding (printable + base64), wire strings, stdout. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"

struct buf out;
int out_fd = 1;
void (*out_tap)(const char *p, size_t n);

static void buf_grow(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		fprintf(stderr, "kwitness-agent: out of memory\n");
		exit(1);
	}
	b->p = p;
	b->cap = cap;
}

void buf_put(struct buf *b, const void *d, size_t n)
{
	buf_grow(b, n + 1);
	if (n) /* an empty string may come as NULL (an unset struct sv): memcpy(x, NULL, 0) is UB */
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
}

void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(b, n + 1);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

void buf_u32(struct buf *b, uint32_t v)
{
	unsigned char le[4] = { v, v >> 8, v >> 16, v >> 24 };

	buf_put(b, le, 4);
}

void buf_str(struct buf *b, const void *d, size_t n)
{
	buf_u32(b, n);
	buf_put(b, d, n);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(s + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* Quoted JSON string; invalid UTF-8 bytes become U+FFFD. */
void json_escape(struct buf *b, const void *d, size_t n)
{
	const unsigned char *s = d;
	static const char hex[] = "0123456789abcdef";

	buf_grow(b, n * 6 + 3);
	char *o = b->p + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);
			if (!k) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			} else {
				memcpy(o, s + i, k);
				o += k;
				i += k;
			}
			continue;
		}
		i++;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = c;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (c == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			o += 6;
		} else {
			*o++ = c;
		}
	}
	*o++ = '"';
	b->len = o - b->p;
	b->p[b->len] = 0;
}

void base64(struct buf *b, const unsigned char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	buf_grow(b, (n + 2) / 3 * 4 + 1);
	char *o = b->p + b->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		*o++ = t[v >> 18];
		*o++ = t[(v >> 12) & 63];
		*o++ = t[(v >> 6) & 63];
		*o++ = t[v & 63];
	}
	if (i < n) {
		uint32_t v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0);
		*o++ = t[v >> 18];
		*o++ = t[(v >> 12) & 63];
		*o++ = i + 1 < n ? t[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	b->len = o - b->p;
	b->p[b->len] = 0;
}

void json_bytes(struct buf *b, const char *key, const void *d, size_t n)
{
	buf_printf(b, "\"%s\":", key);
	json_escape(b, d, n);
	if (!utf8_valid(d, n)) {
		buf_printf(b, ",\"%s_b64\":\"", key);
		base64(b, d, n);
		buf_put(b, "\"", 1);
	}
}

void iso_time(struct buf *b, uint64_t wall_ns)
{
	static time_t last = -1;
	static char s[40];
	time_t sec = wall_ns / 1000000000ull;
	uint32_t ns = wall_ns % 1000000000ull;
	char frac[13];

	if (sec != last) { /* formatting the date is the slow part: once per second */
		struct tm tm;
		gmtime_r(&sec, &tm);
		strftime(s, sizeof(s), "\"%Y-%m-%dT%H:%M:%S.", &tm);
		last = sec;
	}
	buf_puts(b, s);
	for (int i = 8; i >= 0; i--, ns /= 10)
		frac[i] = '0' + ns % 10;
	frac[9] = 'Z';
	frac[10] = '"';
	buf_put(b, frac, 11);
}

int out_write_all(const char *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = out_fd < 0 ? -1 : write(out_fd, p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN && client_wait_writable() == 0)
			continue;
		if (w <= 0)
			return -1;
		off += w;
	}
	return 0;
}

int out_flush(void)
{
	if (!out.len)
		return 0;
	if (out_tap)
		out_tap(out.p, out.len);
	/* nobody attached (a lingering trace): kept by the tap only */
	int rc = out_fd < 0 ? (out_tap ? 0 : -1) : out_write_all(out.p, out.len);
	out.len = 0;
	return rc;
}

void path_from_walk(struct buf *b, const char *walk, size_t n)
{
	size_t end = n;

	/* walk is "leaf/parent/.../": emit components from the last one back to the first */
	if (n == 0) {
		buf_put(b, "/", 1);
		return;
	}
	while (end > 0) {
		size_t e = end;
		if (walk[e - 1] == '/')
			e--;
		size_t s = e;
		while (s > 0 && walk[s - 1] != '/')
			s--;
		buf_put(b, "/", 1);
		buf_put(b, walk + s, e - s);
		end = s;
	}
}

const char *path_source_json(uint32_t flags)
{
	switch (flags & KW_F_PATH_SRC_MASK) {
	case KW_F_PATH_SRC_KERNEL:
		return ",\"path_source\":\"kernel\"";
	case KW_F_PATH_SRC_NAME:
		return ",\"path_source\":\"name\"";
	case KW_F_PATH_SRC_USER:
		return ",\"path_source\":\"user\"";
	}
	return ""; /* an older agent's record */
}

void path_normalize(struct buf *b)
{
	char *p = b->p;
	size_t n = b->len, o = 0, i = 0;

	/* in place: components are copied left, '..' pops back to the previous '/' */
	while (i < n) {
		while (i < n && p[i] == '/')
			i++;
		size_t s = i;
		while (i < n && p[i] != '/')
			i++;
		size_t len = i - s;
		if (len == 0 || (len == 1 && p[s] == '.'))
			continue;
		if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
			while (o > 0 && p[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		p[o++] = '/';
		memmove(p + o, p + s, len);
		o += len;
	}
	if (o == 0)
		p[o++] = '/';
	b->len = o;
	p[o] = 0;
}
