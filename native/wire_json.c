// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wire_json.c: one journaled event record (wire form, bpf/kwitness_wire.h) as the JSON object an
 * --on-hit command reads on stdin. The field names are those of `trace --format json`
 * (events.ts); every string is bounds-checked against the record, a record that does not parse
 * is refused rather than half-printed.
 */
#include <string.h>
#include "watch.h"
#include "record.h"
#include "kwitness_wire.h"

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static struct sv_ {
	const char *p;
	uint32_t n;
} rd_str(struct rd *r)
{
	uint32_t n;

	if (r->bad || r->end - r->p < 4) {
		r->bad = true;
		return (struct sv_){ "", 0 };
	}
	memcpy(&n, r->p, 4);
	r->p += 4;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		return (struct sv_){ "", 0 };
	}
	struct sv_ s = { (const char *)r->p, n };
	r->p += n;
	return s;
}

static void put_str(struct buf *b, const char *key, struct sv_ s)
{
	buf_put(b, ",", 1);
	json_bytes(b, key, s.p, s.n);
}

static const char *const op_name[] = {
	[KW_OP_UNLINK] = "unlink", [KW_OP_RMDIR] = "rmdir", [KW_OP_RENAME] = "rename",
	[KW_OP_OPEN] = "open", [KW_OP_MKDIR] = "mkdir", [KW_OP_MKNOD] = "mknod",
	[KW_OP_LINK] = "link", [KW_OP_SYMLINK] = "symlink", [KW_OP_OPEN_WRITE] = "open_write",
	[KW_OP_TRUNCATE] = "truncate", [KW_OP_EXCHANGE] = "exchange", [KW_OP_WRITE] = "write",
};

bool wire_event_json(struct buf *b, const uint8_t *rec, uint32_t len)
{
	struct kw_hdr h;
	struct kw_proc pr;
	size_t fixed;
	size_t start = b->len;

	if (len < sizeof(h) + sizeof(pr))
		return false;
	memcpy(&h, rec, sizeof(h));
	memcpy(&pr, rec + offsetof(struct kw_file_rec, proc), sizeof(pr));
	uint8_t verdict = 0;
	if (h.kind == KW_DENIED && len >= sizeof(struct kw_file_rec))
		memcpy(&verdict, rec + offsetof(struct kw_file_rec, verdict), 1);
	const char *type = kw_event_type(h.kind, verdict);
	fixed = h.kind == KW_EXEC ? sizeof(struct kw_exec_rec) : h.kind == KW_EXIT ? sizeof(struct kw_exit_rec)
									: sizeof(struct kw_file_rec);
	if (!type || len < fixed)
		return false;
	struct rd r = { rec + fixed, rec + len, false };

	buf_printf(b, "{\"type\":\"%s\",\"time\":", type);
	iso_time(b, pr.wall_ns);
	buf_printf(b, ",\"ktime_ns\":%llu,\"pid\":%u,\"tid\":%u,\"ppid\":%u,\"uid\":%u,\"gid\":%u,\"ret\":%d",
		   (unsigned long long)h.ktime_ns, pr.pid, pr.tid, pr.ppid, pr.uid, pr.gid, pr.ret);
	put_str(b, "comm", rd_str(&r));
	put_str(b, "exe", rd_str(&r));
	put_str(b, "cwd", rd_str(&r));
	put_str(b, "cgroup", rd_str(&r));
	struct sv_ container = rd_str(&r);
	buf_puts(b, ",\"container\":");
	if (h.flags & KW_F_CONTAINER)
		json_escape(b, container.p, container.n);
	else
		buf_puts(b, "null");
	put_str(b, "probe", rd_str(&r));
	if (kw_kind_is_file(h.kind)) {
		struct kw_file_rec f;
		memcpy(&f, rec, sizeof(f));
		buf_printf(b, ",\"op\":\"%s\"", f.op < sizeof(op_name) / sizeof(op_name[0]) && op_name[f.op] ? op_name[f.op] : "unknown");
		put_str(b, "path", rd_str(&r));
		struct sv_ old = rd_str(&r), target = rd_str(&r);
		if (h.flags & KW_F_OLD_PATH)
			put_str(b, "old_path", old);
		if (h.flags & KW_F_TARGET)
			put_str(b, "target", target);
		if (h.flags & KW_F_PATH_TRUNC)
			buf_puts(b, ",\"path_truncated\":true");
		if (h.flags & KW_F_NAME_UNREADABLE)
			buf_puts(b, ",\"name_unreadable\":true");
		buf_printf(b, ",\"dev\":%u,\"ino\":%llu", f.dev, (unsigned long long)f.ino);
		if (h.kind == KW_UNLINK)
			buf_printf(b, ",\"last_link\":%s", h.flags & KW_F_LAST_LINK ? "true" : "false");
		if (h.kind == KW_DENIED)
			buf_printf(b, ",\"rule\":%u", f.rule);
		buf_puts(b, path_source_json(h.flags));
		if (h.flags & KW_F_NAMED)
			put_str(b, "named", rd_str(&r));
		if (h.flags & KW_F_PROC_PATH)
			put_str(b, "proc_path", rd_str(&r));
		if (h.flags & KW_F_PATH_NOT_ON_HOST)
			buf_puts(b, ",\"path_on_host\":false");
		if (f.fflags & KW_FF_REAL_PATH) {
			put_str(b, "real_path", rd_str(&r));
			buf_printf(b, ",\"layer\":\"%s\"", f.fflags & KW_FF_LOWER ? "lower" : "upper");
		}
	} else if (h.kind == KW_EXEC) {
		struct kw_exec_rec x;
		memcpy(&x, rec, sizeof(x));
		put_str(b, "filename", rd_str(&r));
		struct sv_ interp = rd_str(&r);
		buf_puts(b, ",\"interpreter\":");
		if (h.flags & KW_F_INTERP)
			json_escape(b, interp.p, interp.n);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"argv\":[");
		for (uint32_t i = 0; i < x.argc && !r.bad; i++) {
			struct sv_ a = rd_str(&r);
			if (i)
				buf_put(b, ",", 1);
			json_escape(b, a.p, a.n);
		}
		buf_printf(b, "],\"argv_truncated\":%s", h.flags & KW_F_ARGV_TRUNC ? "true" : "false");
	} else {
		struct kw_exit_rec x;
		memcpy(&x, rec, sizeof(x));
		buf_printf(b, ",\"exit_code\":%d,\"signal\":%u,\"duration_ns\":%llu", x.exit_code, x.signal,
			   (unsigned long long)x.duration_ns);
	}
	/* KW_F_CMDLINE: the tail carries command lines (empty: unknown) */
	bool cmd = h.flags & KW_F_CMDLINE;
	if (cmd) {
		struct sv_ c = rd_str(&r);
		json_cmdline(b, (struct sv){ c.n ? c.p : NULL, c.n });
	}
	if (h.flags & KW_F_PODINFO) {
		/* runtime, container_name, pod ns/name/uid, path pod ns/name/uid (kwitness_wire.h),
		 * shaped like trace's json: "pod" and "path_pod" objects when their uid is known */
		struct sv_ v[8];
		for (size_t i = 0; i < 8; i++)
			v[i] = rd_str(&r);
		if (v[0].n)
			put_str(b, "runtime", v[0]);
		if (v[1].n)
			put_str(b, "container_name", v[1]);
		for (int k = 0; k < 2; k++) {
			const struct sv_ *p = &v[2 + 3 * k];
			json_pod(b, k ? "path_pod" : "pod", (struct sv){ p[0].p, p[0].n }, (struct sv){ p[1].p, p[1].n },
				 (struct sv){ p[2].p, p[2].n });
		}
	}
	buf_puts(b, ",\"ancestors\":[");
	for (uint32_t i = 0; i < pr.n_anc && i < 64 && !r.bad; i++) {
		uint32_t apid = 0;
		if (r.end - r.p < 4) {
			r.bad = true;
			break;
		}
		memcpy(&apid, r.p, 4);
		r.p += 4;
		buf_printf(b, "%s{\"pid\":%u", i ? "," : "", apid);
		put_str(b, "comm", rd_str(&r));
		put_str(b, "exe", rd_str(&r));
		if (cmd) {
			struct sv_ c = rd_str(&r);
			json_cmdline(b, (struct sv){ c.n ? c.p : NULL, c.n });
		}
		buf_put(b, "}", 1);
	}
	buf_puts(b, "]}");
	if (r.bad) {
		b->len = start;
		if (b->p)
			b->p[start] = 0;
		return false;
	}
	return true;
}
