// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emit.c: events (struct ev) and the agent's own records as `--format json` lines or
 * `--format wire` frames (bpf/kwitness_wire.h) appended to the stdout buffer `out`.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "record.h"
#include "func.h"
#include "guard.h"
#include "stacks.h"

static const char *op_names[] = {
	[KW_OP_UNLINK] = "unlink", [KW_OP_RMDIR] = "rmdir", [KW_OP_RENAME] = "rename",
	[KW_OP_OPEN] = "open", [KW_OP_MKDIR] = "mkdir", [KW_OP_MKNOD] = "mknod",
	[KW_OP_LINK] = "link", [KW_OP_SYMLINK] = "symlink", [KW_OP_OPEN_WRITE] = "open_write",
	[KW_OP_TRUNCATE] = "truncate", [KW_OP_EXCHANGE] = "exchange", [KW_OP_WRITE] = "write",
};

static void json_sv(struct buf *b, const char *key, struct sv s)
{
	buf_put(b, ",", 1);
	json_bytes(b, key, s.p, s.n);
}

/* Items of a NUL separated list (a cut last item has no NUL). */
static uint32_t args_count(struct sv a)
{
	uint32_t n = 0;

	for (size_t i = 0; i < a.n; i++)
		n += !a.p[i];
	return n + (a.n && a.p[a.n - 1]);
}

/* `,"KEY":[...]` of a NUL separated list, plus `,"KEY_b64":[...]` (null where valid UTF-8). */
static void json_args(struct buf *b, const char *key, struct sv a, uint32_t count)
{
	bool bad = false;
	const char *p = a.p, *end = a.p + a.n;

	buf_printf(b, ",\"%s\":[", key);
	for (uint32_t i = 0; i < count; i++) {
		size_t n = strnlen(p, end - p);
		buf_puts(b, i ? "," : "");
		json_escape(b, p, n);
		bad |= !utf8_valid((const unsigned char *)p, n);
		p += n + 1;
	}
	buf_put(b, "]", 1);
	if (!bad)
		return;
	buf_printf(b, ",\"%s_b64\":[", key);
	p = a.p;
	for (uint32_t i = 0; i < count; i++) {
		size_t n = strnlen(p, end - p);
		buf_puts(b, i ? "," : "");
		if (utf8_valid((const unsigned char *)p, n)) {
			buf_puts(b, "null");
		} else {
			buf_put(b, "\"", 1);
			base64(b, (const unsigned char *)p, n);
			buf_put(b, "\"", 1);
		}
		p += n + 1;
	}
	buf_put(b, "]", 1);
}

void json_pod(struct buf *b, const char *key, struct sv ns, struct sv name, struct sv uid)
{
	if (!uid.n)
		return;
	buf_printf(b, ",\"%s\":{", key);
	json_bytes(b, "namespace", ns.p, ns.n);
	buf_put(b, ",", 1);
	json_bytes(b, "name", name.p, name.n);
	buf_put(b, ",", 1);
	json_bytes(b, "uid", uid.p, uid.n);
	buf_put(b, "}", 1);
}

void json_cmdline(struct buf *b, struct sv c)
{
	if (!c.p) {
		buf_puts(b, ",\"cmdline\":null");
		return;
	}
	json_args(b, "cmdline", c, args_count(c));
	if (c.n && c.p[c.n - 1])
		buf_puts(b, ",\"cmdline_truncated\":true");
}

/* `,"KEY":[frames]` (kernel frames name their module, user frames their file) */
static void json_frames(struct buf *b, const char *key, const struct frame *f, uint32_t n, bool user)
{
	buf_printf(b, ",\"%s\":[", key);
	for (uint32_t i = 0; i < n; i++, f++) {
		buf_printf(b, "%s{\"addr\":\"0x%llx\"", i ? "," : "", (unsigned long long)f->addr);
		if (f->flags & KW_FR_SYM) {
			json_sv(b, "sym", f->sym);
			buf_printf(b, ",\"off\":%llu", (unsigned long long)f->off);
		}
		if (!user && f->obj.n)
			json_sv(b, "module", f->obj);
		if (user && (f->flags & KW_FR_FILE)) {
			json_sv(b, "file", f->obj);
			buf_printf(b, ",\"file_off\":%llu", (unsigned long long)f->file_off);
			if (f->build_id.n)
				json_sv(b, "build_id", f->build_id);
		}
		if (f->flags & KW_FR_LINE) {
			json_sv(b, "src", f->src);
			buf_printf(b, ",\"line\":%u", f->line);
		}
		if (f->flags & KW_FR_INFERRED)
			buf_puts(b, ",\"inferred\":true");
		buf_put(b, "}", 1);
	}
	buf_put(b, "]", 1);
}

static void json_stacks(struct buf *b, const struct ev_stacks *s)
{
	json_frames(b, "kstack", s->k, s->kn, false);
	if (s->kerr)
		buf_printf(b, ",\"kstack_error\":%d", s->kerr);
	json_frames(b, "ustack", s->u, s->un, true);
	if (s->uerr)
		buf_printf(b, ",\"ustack_error\":%d", s->uerr);
}

/* The STACK TAIL of kwitness_wire.h. */
static void wire_stacks(struct buf *b, const struct ev_stacks *s)
{
	int32_t head[2] = { s->kerr, s->uerr };
	buf_put(b, head, sizeof(head));
	buf_u32(b, s->kn);
	buf_u32(b, s->un);
	for (uint32_t i = 0; i < s->kn + s->un; i++) {
		const struct frame *f = i < s->kn ? &s->k[i] : &s->u[i - s->kn];
		uint64_t nums[3] = { f->addr, f->off, f->file_off };
		buf_put(b, nums, sizeof(nums));
		buf_u32(b, f->line);
		buf_u32(b, f->flags);
		buf_str(b, f->sym.p ? f->sym.p : "", f->sym.n);
		buf_str(b, f->obj.p ? f->obj.p : "", f->obj.n);
		buf_str(b, f->build_id.p ? f->build_id.p : "", f->build_id.n);
		buf_str(b, f->src.p ? f->src.p : "", f->src.n);
	}
}

void emit_json(struct ev *e)
{
	struct buf *b = &out;
	const struct kw_raw *r = e->r;

	buf_printf(b, "{\"type\":\"%s\",\"time\":", kw_event_type(e->kind, e->verdict));
	iso_time(b, e->wall);
	buf_printf(b, ",\"ktime_ns\":%llu,\"pid\":%u,\"tid\":%u,\"ppid\":%u,\"uid\":%u,\"gid\":%u",
		   (unsigned long long)e->ktime, r->pid, r->tid, r->ppid, r->uid, r->gid);
	/* the process part repeats for every event of a busy process: reuse it while the
	 * pid, comm, exe, cwd, cgroup and the pid table are unchanged */
	static struct buf frag, key;
	static uint64_t frag_gen = ~0ull;
	size_t klen = 0;
	key.len = 0;
	buf_put(&key, &r->pid, 4);
	buf_put(&key, &r->cgroup_id, 8);
	buf_put(&key, e->comm.p, e->comm.n);
	buf_put(&key, "", 1);
	buf_put(&key, e->exe.p, e->exe.n);
	buf_put(&key, "", 1);
	buf_put(&key, e->cwd.p, e->cwd.n);
	klen = key.len;
	static struct buf last_key;
	if (frag_gen != proc_generation || last_key.len != klen || memcmp(last_key.p, key.p, klen)) {
		struct buf *f = &frag;
		f->len = 0;
		json_sv(f, "comm", e->comm);
		json_sv(f, "exe", e->exe);
		json_sv(f, "cwd", e->cwd);
		json_cmdline(f, e->cmdline);
		buf_puts(f, ",\"ancestors\":[");
		for (uint32_t i = 0; i < e->n_anc; i++) {
			buf_printf(f, "%s{\"pid\":%u", i ? "," : "", e->anc_pid[i]);
			json_sv(f, "comm", e->anc_comm[i]);
			json_sv(f, "exe", e->anc_exe[i]);
			json_cmdline(f, e->anc_cmdline[i]);
			buf_put(f, "}", 1);
		}
		buf_put(f, "]", 1);
		json_sv(f, "cgroup", e->cgroup);
		buf_puts(f, ",\"container\":");
		if (e->has_container)
			json_escape(f, e->container.p, e->container.n);
		else
			buf_puts(f, "null");
		if (e->flags & KW_F_PODINFO) {
			if (e->runtime.n)
				json_sv(f, "runtime", e->runtime);
			if (e->ctr_name.n)
				json_sv(f, "container_name", e->ctr_name);
			json_pod(f, "pod", e->pod_ns, e->pod_name, e->pod_uid);
		}
		last_key.len = 0;
		buf_put(&last_key, key.p, klen);
		frag_gen = proc_generation;
	}
	buf_put(b, frag.p, frag.len);
	if (e->kind == KW_CALL)
		func_json_ret(b, e->call);
	else
		buf_printf(b, ",\"ret\":%d", r->ret);
	buf_printf(b, ",\"probe\":\"%s\"", e->probe.p);
	if (e->kind == KW_CALL) {
		const struct call_ev *c = e->call;
		json_sv(b, "func", c->func);
		buf_printf(b, ",\"attach\":\"%s\"", c->attach == KW_CA_FENTRY ? "fentry" : "kprobe");
		json_sv(b, "ret_type", c->ret_type);
		buf_puts(b, ",\"args\":{");
		for (uint32_t i = 0; i < c->n_args; i++) {
			if (i)
				buf_put(b, ",", 1);
			json_escape(b, c->name[i].p, c->name[i].n);
			buf_put(b, ":", 1);
			buf_put(b, c->value[i].p, c->value[i].n);
		}
		buf_puts(b, "},\"arg_types\":{");
		for (uint32_t i = 0; i < c->n_args; i++) {
			if (i)
				buf_put(b, ",", 1);
			json_escape(b, c->name[i].p, c->name[i].n);
			buf_put(b, ":", 1);
			json_escape(b, c->type[i].p, c->type[i].n);
		}
		buf_printf(b, "},\"duration_ns\":%llu", (unsigned long long)c->duration_ns);
		if (c->cflags & KW_CF_ARGS_CUT)
			buf_puts(b, ",\"args_truncated\":true");
	} else if (kw_kind_is_file(e->kind)) {
		buf_printf(b, ",\"op\":\"%s\"", op_names[e->op]);
		json_sv(b, "path", e->path);
		if (e->flags & KW_F_PODINFO)
			json_pod(b, "path_pod", e->ppod_ns, e->ppod_name, e->ppod_uid);
		if (e->flags & KW_F_PATH_TRUNC)
			buf_puts(b, ",\"path_truncated\":true");
		if (e->flags & KW_F_NAME_UNREADABLE)
			buf_puts(b, ",\"name_unreadable\":true");
		/* JSON.parse rounds integers above 2^53-1 (overlayfs xino puts a layer number in the
		 * high bits): those go as a decimal string, as the wire decoder gives them (events.ts) */
		buf_printf(b, e->ino > KW_JSON_MAX_SAFE ? ",\"dev\":%u,\"ino\":\"%llu\"" : ",\"dev\":%u,\"ino\":%llu", e->dev,
			   (unsigned long long)e->ino);
		if (e->flags & KW_F_OLD_PATH)
			json_sv(b, "old_path", e->old_path);
		if (e->kind == KW_UNLINK)
			buf_printf(b, ",\"last_link\":%s", e->flags & KW_F_LAST_LINK ? "true" : "false");
		if (e->kind == KW_DENIED)
			guard_rule_json(b, e->rule);
		if (e->flags & KW_F_TARGET)
			json_sv(b, "target", e->target);
		buf_puts(b, path_source_json(e->flags));
		if (e->flags & KW_F_NAMED)
			json_sv(b, "named", e->named);
		if (e->flags & KW_F_PROC_PATH)
			json_sv(b, "proc_path", e->proc_path);
		if (e->flags & KW_F_PATH_NOT_ON_HOST)
			buf_puts(b, ",\"path_on_host\":false");
		if (e->fflags & KW_FF_REAL_PATH) {
			json_sv(b, "real_path", e->real_path);
			buf_printf(b, ",\"layer\":\"%s\"", e->fflags & KW_FF_LOWER ? "lower" : "upper");
		}
	} else if (e->kind == KW_EXEC) {
		json_sv(b, "filename", e->filename);
		json_args(b, "argv", e->argv, e->argc);
		buf_printf(b, ",\"argv_truncated\":%s", e->flags & KW_F_ARGV_TRUNC ? "true" : "false");
		if (e->flags & KW_F_INTERP)
			json_sv(b, "interpreter", e->interp);
		else
			buf_puts(b, ",\"interpreter\":null");
	} else if (e->kind == KW_EXIT) {
		buf_printf(b, ",\"exit_code\":%d,\"signal\":%u,\"duration_ns\":%llu", e->exit_code, e->signal,
			   (unsigned long long)e->duration);
	}
	if (e->stk)
		json_stacks(b, e->stk);
	buf_puts(b, "}\n");
}

static void wire_sv(struct buf *b, struct sv s)
{
	buf_str(b, s.p ? s.p : "", s.n);
}

void emit_wire(struct ev *e)
{
	struct buf *b = &out;
	size_t start = b->len;
	const struct kw_raw *r = e->r;
	struct kw_proc proc = {
		.wall_ns = e->wall, .cgroup_id = r->cgroup_id, .pid = r->pid, .tid = r->tid,
		.ppid = r->ppid, .uid = r->uid, .gid = r->gid, .ret = r->ret, .n_anc = e->n_anc,
		.pflags = e->stk ? KW_PF_STACKS : 0,
	};
	struct kw_hdr hdr = { .kind = e->kind, .flags = e->flags, .ktime_ns = e->ktime };

	buf_u32(b, 0); /* frame length, patched below */
	if (kw_kind_is_file(e->kind)) {
		struct kw_file_rec f = { .hdr = hdr, .proc = proc, .ino = e->ino, .dev = e->dev, .op = e->op, .fflags = e->fflags,
					 .rule = e->rule, .verdict = e->verdict };
		buf_put(b, &f, sizeof(f));
	} else if (e->kind == KW_EXEC) {
		struct kw_exec_rec x = { .hdr = hdr, .proc = proc, .argc = e->argc };
		buf_put(b, &x, sizeof(x));
	} else if (e->kind == KW_CALL) {
		const struct call_ev *c = e->call;
		struct kw_call_rec x = { .hdr = hdr, .proc = proc, .ret = c->ret, .duration_ns = c->duration_ns,
					 .n_args = c->n_args, .attach = c->attach, .cflags = c->cflags };
		x.proc.ret = 0;
		buf_put(b, &x, sizeof(x));
	} else {
		struct kw_exit_rec x = { .hdr = hdr, .proc = proc, .duration_ns = e->duration,
					 .exit_code = e->exit_code, .signal = e->signal };
		buf_put(b, &x, sizeof(x));
	}
	wire_sv(b, e->comm);
	wire_sv(b, e->exe);
	wire_sv(b, e->cwd);
	wire_sv(b, e->cgroup);
	wire_sv(b, e->has_container ? e->container : (struct sv){ "", 0 });
	wire_sv(b, e->probe);
	if (kw_kind_is_file(e->kind)) {
		wire_sv(b, e->path);
		wire_sv(b, e->old_path);
		wire_sv(b, e->target);
		if (e->flags & KW_F_NAMED)
			wire_sv(b, e->named);
		if (e->flags & KW_F_PROC_PATH)
			wire_sv(b, e->proc_path);
		if (e->fflags & KW_FF_REAL_PATH)
			wire_sv(b, e->real_path);
	} else if (e->kind == KW_CALL) {
		const struct call_ev *c = e->call;
		wire_sv(b, c->func);
		wire_sv(b, c->ret_type);
		for (uint32_t i = 0; i < c->n_args; i++) {
			wire_sv(b, c->name[i]);
			wire_sv(b, c->type[i]);
			wire_sv(b, c->value[i]);
		}
	} else if (e->kind == KW_EXEC) {
		wire_sv(b, e->filename);
		wire_sv(b, e->interp);
		const char *p = e->argv.p, *end = p + e->argv.n;
		for (uint32_t i = 0; i < e->argc; i++) {
			size_t n = strnlen(p, end - p);
			buf_str(b, p, n);
			p += n + 1;
		}
	}
	bool cmd = e->flags & KW_F_CMDLINE;
	if (cmd)
		wire_sv(b, e->cmdline);
	if (e->flags & KW_F_PODINFO) {
		const struct sv pi[] = { e->runtime, e->ctr_name, e->pod_ns, e->pod_name, e->pod_uid,
					 e->ppod_ns, e->ppod_name, e->ppod_uid };
		for (size_t i = 0; i < sizeof(pi) / sizeof(pi[0]); i++)
			wire_sv(b, pi[i]);
	}
	for (uint32_t i = 0; i < e->n_anc; i++) {
		buf_u32(b, e->anc_pid[i]);
		wire_sv(b, e->anc_comm[i]);
		wire_sv(b, e->anc_exe[i]);
		if (cmd)
			wire_sv(b, e->anc_cmdline[i]);
	}
	if (e->stk)
		wire_stacks(b, e->stk);
	uint32_t size = b->len - start - 4;
	memcpy(b->p + start, &size, 4);
	memcpy(b->p + start + 4 + offsetof(struct kw_hdr, size), &size, 4);
}

void emit_simple_wire(uint16_t kind, const void *fixed, size_t fixed_sz)
{
	uint32_t size = fixed_sz;

	buf_u32(&out, size);
	size_t at = out.len;
	buf_put(&out, fixed, fixed_sz);
	memcpy(out.p + at + offsetof(struct kw_hdr, size), &size, 4);
}

void emit_error(const char *msg)
{
	uint64_t wall = clock_ns(CLOCK_REALTIME);

	if (opt.wire) {
		struct kw_error_rec e = { .hdr = { .kind = KW_ERROR, .ktime_ns = clock_ns(CLOCK_BOOTTIME) }, .wall_ns = wall };
		size_t start = out.len;
		emit_simple_wire(KW_ERROR, &e, sizeof(e));
		buf_str(&out, msg, strlen(msg));
		uint32_t size = out.len - start - 4;
		memcpy(out.p + start, &size, 4);
		memcpy(out.p + start + 4 + offsetof(struct kw_hdr, size), &size, 4);
		return;
	}
	buf_puts(&out, "{\"type\":\"error\",\"time\":");
	iso_time(&out, wall);
	buf_puts(&out, ",\"message\":");
	json_escape(&out, msg, strlen(msg));
	buf_puts(&out, "}\n");
}