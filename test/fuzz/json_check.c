// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * json_check.c: a strict JSON reader for the fuzz harness (grammar of RFC 8259, UTF-8 checked)
 * plus the few value rules the TypeScript side relies on (events.ts): known "type" and "op"
 * names, and integers JSON.parse keeps exact where events.ts promises exactness ("ino").
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

struct jp {
	const unsigned char *s;
	size_t n, i;
	const char *err;
};

#define MAX_DEPTH 32
#define MAX_SAFE 9007199254740991ull /* 2^53 - 1 */

static bool fail(struct jp *p, const char *why)
{
	if (!p->err)
		p->err = why;
	return false;
}

static void ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\r'))
		p->i++;
}

static bool lit(struct jp *p, const char *w)
{
	size_t k = strlen(w);

	if (p->n - p->i < k || memcmp(p->s + p->i, w, k))
		return fail(p, "json: bad literal");
	p->i += k;
	return true;
}

/* One UTF-8 sequence at p->i (the strict definition: no overlongs, surrogates or > U+10FFFF). */
static bool utf8(struct jp *p)
{
	const unsigned char *s = p->s + p->i;
	size_t left = p->n - p->i, k;
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return fail(p, "json: invalid UTF-8 lead byte in a string");
	if (left < k)
		return fail(p, "json: cut UTF-8 sequence");
	for (size_t j = 1; j < k; j++)
		if ((s[j] & 0xc0) != 0x80)
			return fail(p, "json: invalid UTF-8 continuation byte");
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) || (c == 0xf0 && s[1] < 0x90) ||
	    (c == 0xf4 && s[1] >= 0x90))
		return fail(p, "json: overlong, surrogate or out-of-range UTF-8");
	p->i += k;
	return true;
}

/* A string; its bytes between the quotes (escapes not decoded) go to *v, *vn. */
static bool string(struct jp *p, const unsigned char **v, size_t *vn)
{
	if (p->i >= p->n || p->s[p->i] != '"')
		return fail(p, "json: expected a string");
	size_t start = ++p->i;
	while (p->i < p->n) {
		unsigned char c = p->s[p->i];
		if (c == '"') {
			*v = p->s + start;
			*vn = p->i - start;
			p->i++;
			return true;
		}
		if (c < 0x20)
			return fail(p, "json: raw control character in a string");
		if (c == '\\') {
			if (++p->i >= p->n)
				break;
			c = p->s[p->i];
			if (c == 'u') {
				if (p->n - p->i < 5)
					return fail(p, "json: cut \\u escape");
				for (int j = 1; j <= 4; j++)
					if (!strchr("0123456789abcdefABCDEF", p->s[p->i + j]) || !p->s[p->i + j])
						return fail(p, "json: bad \\u escape");
				p->i += 5;
			} else if (strchr("\"\\/bfnrt", c) && c) {
				p->i++;
			} else {
				return fail(p, "json: bad escape");
			}
			continue;
		}
		if (c >= 0x80) {
			if (!utf8(p))
				return false;
			continue;
		}
		p->i++;
	}
	return fail(p, "json: unterminated string");
}

/* A number; when it is a plain non-negative integer, its value (saturated) goes to *u. */
static bool number(struct jp *p, bool *is_uint, uint64_t *u)
{
	size_t st = p->i;
	bool neg = false, frac = false;

	if (p->i < p->n && p->s[p->i] == '-')
		p->i++, neg = true;
	if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
		return fail(p, "json: bad number");
	if (p->s[p->i] == '0' && p->i + 1 < p->n && p->s[p->i + 1] >= '0' && p->s[p->i + 1] <= '9')
		return fail(p, "json: number with a leading zero");
	*u = 0;
	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
		unsigned d = p->s[p->i++] - '0';
		*u = *u > (UINT64_MAX - d) / 10 ? UINT64_MAX : *u * 10 + d;
	}
	if (p->i < p->n && p->s[p->i] == '.') {
		frac = true;
		p->i++;
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
			return fail(p, "json: bad fraction");
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		frac = true;
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
			return fail(p, "json: bad exponent");
		while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
			p->i++;
	}
	*is_uint = !neg && !frac && p->i > st;
	return true;
}

static bool value(struct jp *p, int depth, const unsigned char *key, size_t kn);

static bool eq(const unsigned char *a, size_t an, const char *b)
{
	return an == strlen(b) && !memcmp(a, b, an);
}

static bool one_of(const unsigned char *v, size_t vn, const char *const *names)
{
	for (; *names; names++)
		if (eq(v, vn, *names))
			return true;
	return false;
}

static const char *const TYPES[] = { "unlink", "create", "write", "denied", "would-deny", "exec", "exit", "ready", "lost", "error", NULL };
static const char *const OPS[] = { "unlink", "rmdir", "rename", "exchange", "open", "mkdir", "mknod", "link", "symlink", "open_write", "truncate", "write", NULL };

/* Rules on the values of the top-level object's keys. */
static bool top_rule(struct jp *p, const unsigned char *key, size_t kn, char kind, const unsigned char *v,
		     size_t vn, bool is_uint, uint64_t u)
{
	if (eq(key, kn, "type") && (kind != 's' || !one_of(v, vn, TYPES)))
		return fail(p, "json: \"type\" is not a known record type");
	if (eq(key, kn, "op") && (kind != 's' || !one_of(v, vn, OPS)))
		return fail(p, "json: \"op\" is not a known file operation");
	if (eq(key, kn, "ino")) {
		/* events.ts: a number up to 2^53-1, above that its exact decimal digits as a string */
		if (kind == 'n' && (!is_uint || u > MAX_SAFE))
			return fail(p, "json: \"ino\" is a number JSON.parse cannot keep exact");
		if (kind == 's') {
			/* 16..20 digits, no leading zero, above 2^53-1 (20 digits: %llu never exceeds 2^64-1) */
			bool digits = vn >= 16 && vn <= 20 && v[0] != '0';
			uint64_t x = 0;
			for (size_t j = 0; j < vn && digits; j++) {
				digits = v[j] >= '0' && v[j] <= '9';
				if (vn < 20)
					x = x * 10 + (v[j] - '0');
			}
			if (!digits || (vn < 20 && x <= MAX_SAFE))
				return fail(p, "json: \"ino\" string is not the decimal form of a number above 2^53-1");
		}
		if (kind != 'n' && kind != 's')
			return fail(p, "json: \"ino\" is neither a number nor a string");
	}
	return true;
}

static bool object(struct jp *p, int depth)
{
	p->i++; /* { */
	ws(p);
	if (p->i < p->n && p->s[p->i] == '}') {
		p->i++;
		return true;
	}
	for (;;) {
		const unsigned char *k;
		size_t kn;
		ws(p);
		if (!string(p, &k, &kn))
			return false;
		ws(p);
		if (p->i >= p->n || p->s[p->i] != ':')
			return fail(p, "json: expected ':'");
		p->i++;
		ws(p);
		if (!value(p, depth + 1, depth == 1 ? k : NULL, kn))
			return false;
		ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == '}') {
			p->i++;
			return true;
		}
		return fail(p, "json: expected ',' or '}'");
	}
}

static bool array(struct jp *p, int depth)
{
	p->i++; /* [ */
	ws(p);
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
		return true;
	}
	for (;;) {
		ws(p);
		if (!value(p, depth + 1, NULL, 0))
			return false;
		ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == ']') {
			p->i++;
			return true;
		}
		return fail(p, "json: expected ',' or ']'");
	}
}

static bool value(struct jp *p, int depth, const unsigned char *key, size_t kn)
{
	const unsigned char *v = NULL;
	size_t vn = 0;
	bool is_uint = false;
	uint64_t u = 0;
	char kind;

	if (depth > MAX_DEPTH)
		return fail(p, "json: nested too deep");
	if (p->i >= p->n)
		return fail(p, "json: expected a value");
	switch (p->s[p->i]) {
	case '{':
		kind = 'o';
		if (!object(p, depth))
			return false;
		break;
	case '[':
		kind = 'a';
		if (!array(p, depth))
			return false;
		break;
	case '"':
		kind = 's';
		if (!string(p, &v, &vn))
			return false;
		break;
	case 't':
		kind = 'b';
		if (!lit(p, "true"))
			return false;
		break;
	case 'f':
		kind = 'b';
		if (!lit(p, "false"))
			return false;
		break;
	case 'n':
		kind = 'z';
		if (!lit(p, "null"))
			return false;
		break;
	default:
		kind = 'n';
		if (!number(p, &is_uint, &u))
			return false;
	}
	return !key || top_rule(p, key, kn, kind, v, vn, is_uint, u);
}

const char *json_lines_check(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		if (!nl)
			return "json: output does not end with a newline";
		struct jp p = { (const unsigned char *)s + i, (size_t)(nl - s) - i, 0, NULL };
		if (p.n == 0 || p.s[0] != '{')
			return "json: a line is not an object";
		if (!value(&p, 1, NULL, 0)) /* the object's own keys get top_rule() */
			return p.err;
		ws(&p);
		if (p.i != p.n)
			return "json: bytes after the object";
		i = nl - s + 1;
	}
	return NULL;
}
