// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * func_event.c: a call record (bpf/func.bpf.h) -> the event's call fields: each argument's value
 * as JSON text, by the descriptor func.c made from BTF at start (numbers, enums by name, bools,
 * pointers in hex, strings, and the kernel's common objects with their names and paths).
 * Kept apart from func.c so the record builder links (and is fuzzed) without libbpf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "func.h"

static const struct func_desc *descs[KW_FUNC_SLOTS];

void func_describe(int slot, const struct func_desc *d)
{
	if (slot >= 0 && slot < KW_FUNC_SLOTS)
		descs[slot] = d;
}

const struct func_desc *func_desc_of(int slot)
{
	return slot >= 0 && slot < KW_FUNC_SLOTS ? descs[slot] : NULL;
}

const char *func_probe_name(int slot)
{
	const struct func_desc *d = func_desc_of(slot);
	return d ? d->probe : "unknown";
}

static void hex(struct buf *b, uint64_t v)
{
	buf_printf(b, "\"0x%llx\"", (unsigned long long)v);
}

/* An integer JSON.parse keeps exact, else a decimal string (as the wire decoder gives it). */
static void json_num(struct buf *b, int64_t v, bool is_signed)
{
	if (is_signed)
		buf_printf(b, (v > (int64_t)KW_JSON_MAX_SAFE || v < -(int64_t)KW_JSON_MAX_SAFE) ? "\"%lld\"" : "%lld",
			   (long long)v);
	else
		buf_printf(b, (uint64_t)v > KW_JSON_MAX_SAFE ? "\"%llu\"" : "%llu", (unsigned long long)v);
}

static int64_t as_int(uint64_t raw, uint8_t size, bool is_signed)
{
	switch (size) {
	case 1: return is_signed ? (int64_t)(int8_t)raw : (int64_t)(uint8_t)raw;
	case 2: return is_signed ? (int64_t)(int16_t)raw : (int64_t)(uint16_t)raw;
	case 4: return is_signed ? (int64_t)(int32_t)raw : (int64_t)(uint32_t)raw;
	default: return (int64_t)raw;
	}
}

/* A value by its type: numbers, enums by name, bools, pointers in hex (null for NULL). */
static void json_plain(struct buf *b, const struct val_fmt *f, uint64_t raw)
{
	switch (f->what) {
	case VF_INT:
		json_num(b, as_int(raw, f->size, f->is_signed), f->is_signed);
		return;
	case VF_BOOL:
		buf_puts(b, as_int(raw, f->size, false) ? "true" : "false");
		return;
	case VF_ENUM: {
		int64_t v = as_int(raw, f->size, f->is_signed);
		for (uint32_t i = 0; i < f->n_enum; i++)
			if (f->enum_val[i] == v || (f->size < 8 && as_int(f->enum_val[i], f->size, f->is_signed) == v)) {
				json_escape(b, f->enum_name[i], strlen(f->enum_name[i]));
				return;
			}
		json_num(b, v, f->is_signed);
		return;
	}
	case VF_PTR:
		if (!raw) {
			buf_puts(b, "null");
			return;
		}
		/* fallthrough */
	default:
		hex(b, raw);
	}
}

static struct sv rec_slot(const struct kw_raw *r, size_t dsz, int s)
{
	size_t off = r->off[s], len = r->len[s];

	if (off + len > dsz)
		return (struct sv){ "", 0 };
	return (struct sv){ r->data + off, len };
}

/* `,"key":"..."`: the printable form, and `key_b64` when the bytes are not UTF-8 */
static void field_str(struct buf *b, const char *key, struct sv s)
{
	buf_put(b, ",", 1);
	json_bytes(b, key, s.p, s.n);
}

/* `,"ino":N`: a decimal string beyond 2^53-1 (overlayfs' xino numbers), as file records send it */
static void json_ino(struct buf *b, uint64_t ino)
{
	buf_printf(b, ino > KW_JSON_MAX_SAFE ? ",\"ino\":\"%llu\"" : ",\"ino\":%llu", (unsigned long long)ino);
}

/* The kernel's dev_t (MAJOR << 20 | MINOR) as user space spells it (new_encode_dev) */
static unsigned long long user_dev(uint64_t k)
{
	uint64_t major = k >> 20, minor = k & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffull) << 12);
}

static void json_object_arg(struct buf *b, const struct kw_raw *r, size_t dsz, const struct kw_call_data *c, int i,
			    uint8_t kind)
{
	static struct buf path, tmp;
	uint64_t v = c->a[i];
	const __u64 *n = c->n[i];
	struct sv s = rec_slot(r, dsz, i);

	if (!v) {
		buf_puts(b, "null");
		return;
	}
	if (kind == KW_FA_STR || kind == KW_FA_USTR) {
		if (!s.n) {
			/* unreadable, or empty: the kernel read nothing either way */
			buf_printf(b, "{\"addr\":\"0x%llx\"}", (unsigned long long)v);
			return;
		}
		if (utf8_valid((const unsigned char *)s.p, s.n)) {
			json_escape(b, s.p, s.n);
		} else {
			/* not text: the printable form, with the bytes beside it */
			tmp.len = 0;
			json_bytes(&tmp, "s", s.p, s.n);
			buf_puts(b, "{\"addr\":");
			hex(b, v);
			buf_put(b, ",", 1);
			buf_put(b, tmp.p, tmp.len);
			buf_put(b, "}", 1);
		}
		return;
	}
	buf_puts(b, "{\"addr\":");
	hex(b, v);
	switch (kind) {
	case KW_FA_DENTRY:
	case KW_FA_FILE:
	case KW_FA_PATH:
		if (s.n) {
			if (kind == KW_FA_DENTRY) {
				size_t k = 0;
				while (k < s.n && s.p[k] != '/')
					k++;
				field_str(b, "name", (struct sv){ s.p, k });
			}
			path.len = 0;
			walk_slot_on_host(&path, r, dsz, i);
			field_str(b, "path", (struct sv){ path.p, path.len });
		}
		json_ino(b, n[0]);
		buf_printf(b, ",\"dev\":%llu", user_dev(n[1]));
		if (kind == KW_FA_FILE)
			buf_printf(b, ",\"flags\":\"0%llo\"", (unsigned long long)n[2]);
		break;
	case KW_FA_INODE:
		json_ino(b, n[0]);
		buf_printf(b, ",\"dev\":%llu,\"mode\":\"0%o\",\"nlink\":%u,\"size\":%lld", user_dev(n[1]),
			   (unsigned)(n[2] & 0xffff), (unsigned)(n[2] >> 32), (long long)n[3]);
		break;
	case KW_FA_FILENAME:
	case KW_FA_QSTR:
		if (s.n)
			field_str(b, "name", s);
		break;
	case KW_FA_TASK:
		buf_printf(b, ",\"pid\":%llu,\"tid\":%llu", (unsigned long long)n[0], (unsigned long long)n[1]);
		if (s.n)
			field_str(b, "comm", s);
		break;
	case KW_FA_SOCK:
		buf_printf(b, ",\"family\":%llu,\"sport\":%llu,\"dport\":%llu", (unsigned long long)n[0],
			   (unsigned long long)n[1], (unsigned long long)n[2]);
		break;
	}
	buf_put(b, "}", 1);
}

bool func_event(const struct kw_raw *r, size_t dsz, struct ev *e)
{
	static struct call_ev ce;
	static struct buf vals;
	static struct kw_call_data cd;
	const struct kw_call_data *c = &cd;

	if (dsz < sizeof(cd))
		return false;
	memcpy(&cd, r->data, sizeof(cd)); /* a sample need not be 8-byte aligned for it */
	const struct func_desc *d = func_desc_of(c->slot);
	if (!d || c->attach < KW_CA_FENTRY || c->attach > KW_CA_KPROBE)
		return false;
	memset(&ce, 0, sizeof(ce));
	ce.func = sv_c(d->name);
	ce.ret_type = sv_c(d->ret_type);
	ce.attach = c->attach;
	ce.ret = (int64_t)c->ret;
	ce.duration_ns = c->duration_ns;
	if (d->ret_void)
		ce.cflags |= KW_CF_VOID;
	else if (d->ret.what == VF_PTR)
		ce.cflags |= KW_CF_RET_PTR;
	else if (!d->ret.is_signed)
		ce.cflags |= KW_CF_RET_UNSIGNED;
	if (c->cut || (r->rflags & KW_R_TRUNC))
		ce.cflags |= KW_CF_ARGS_CUT;
	/* values go into one buffer: offsets first, pointers once it has stopped growing */
	size_t at[KW_FUNC_ARGS + 1];
	uint32_t na = d->nargs < KW_FUNC_ARGS ? d->nargs : KW_FUNC_ARGS;
	vals.len = 0;
	for (uint32_t i = 0; i < na; i++) {
		at[i] = vals.len;
		if (d->kind[i] == KW_FA_SKIP)
			json_plain(&vals, &d->arg[i], c->a[i]);
		else
			json_object_arg(&vals, r, dsz, c, i, d->kind[i]);
	}
	at[na] = vals.len;
	for (uint32_t i = 0; i < na; i++) {
		ce.name[i] = sv_c(d->arg_name[i]);
		ce.type[i] = sv_c(d->arg_type[i]);
		ce.value[i] = (struct sv){ vals.p + at[i], at[i + 1] - at[i] };
	}
	ce.n_args = na;
	e->call = &ce;
	return true;
}

void func_json_ret(struct buf *b, const struct call_ev *c)
{
	buf_puts(b, ",\"ret\":");
	if (c->cflags & KW_CF_VOID)
		buf_puts(b, "null");
	else if ((c->cflags & KW_CF_RET_PTR) && c->ret && !(c->ret < 0 && c->ret >= -4095))
		hex(b, (uint64_t)c->ret); /* an ERR_PTR stays a number: -errno */
	else
		json_num(b, c->ret, !(c->cflags & KW_CF_RET_UNSIGNED));
}
