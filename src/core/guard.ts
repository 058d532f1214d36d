// Guard rules (`kwitness-agent guard`, bpf/guard.bpf.h): what a guard refuses, as the agent's
// arguments and as the words a person reads before starting one and in titles. A guard runs like a
// trace (TraceOptions.guard; families empty): same session, panel, watch. No vscode import.
import type { GuardMechanism, GuardReady, GuardRuleKind, KwEvent } from './events';
import { KwError } from './errors';

export interface GuardRules {
  /** Deletes (unlink, rmdir, rename away or over) of these files, or anything under these folders, fail with EPERM. */
  denyDelete?: string[];
  /** Writes, truncates, creates and renames into these files or folders fail with EPERM; reads and deletes work. */
  denyWrite?: string[];
  /** Writes that would take a folder's tree past its size fail with EDQUOT (overshoot: one write per file). */
  quotas?: { path: string; bytes: number }[];
  /** Refuse nothing: report would-deny instead. */
  auditOnly?: boolean;
  /** How (default auto: BPF LSM where 'bpf' is an active LSM, else fmod_ret). */
  mechanism?: 'auto' | GuardMechanism;
}

/** The agent's limit on rules (native/agent.h KW_GUARD_MAX_RULES) and quotas (KW_GUARD_MAX_QUOTA). */
export const MAX_GUARD_RULES = 64;
export const MAX_QUOTAS = 8;

/** The rule list in the agent's order: deny-delete, deny-write, quota (denied records carry this index). */
export function guardRuleList(g: GuardRules): { kind: GuardRuleKind; path: string; bytes?: number }[] {
  return [
    ...(g.denyDelete ?? []).map((path) => ({ kind: 'deny-delete' as const, path })),
    ...(g.denyWrite ?? []).map((path) => ({ kind: 'deny-write' as const, path })),
    ...(g.quotas ?? []).map((q) => ({ kind: 'quota' as const, path: q.path, bytes: q.bytes })),
  ];
}

/** `kwitness-agent guard` flags for `g`, checked; throws a bad-input KwError naming the rule. */
export function guardArgs(g: GuardRules): string[] {
  const rules = guardRuleList(g);
  if (!rules.length) throw new KwError('bad-input', 'a guard needs a rule: a path to protect from deletion, a path to keep from writes, or a quota');
  if (rules.length > MAX_GUARD_RULES) throw new KwError('bad-input', `a guard takes at most ${MAX_GUARD_RULES} rules`);
  if ((g.quotas?.length ?? 0) > MAX_QUOTAS) throw new KwError('bad-input', `a guard takes at most ${MAX_QUOTAS} quotas`);
  const args: string[] = [];
  for (const r of rules) {
    if (!r.path.startsWith('/')) throw new KwError('bad-input', `guard path "${r.path}" must be absolute`);
    if (r.kind === 'quota') {
      if (!Number.isSafeInteger(r.bytes) || (r.bytes ?? 0) < 1) throw new KwError('bad-input', `quota of "${r.path}" must be a positive number of bytes, got ${r.bytes}`);
      if (r.path.includes('=')) throw new KwError('bad-input', `quota path "${r.path}" may not contain "="`);
      args.push('--quota', `${r.path}=${r.bytes}`);
    } else {
      args.push(r.kind === 'deny-delete' ? '--deny-delete' : '--deny-write', r.path);
    }
  }
  if (g.auditOnly) args.push('--audit-only');
  if (g.mechanism && g.mechanism !== 'auto') {
    if (g.mechanism !== 'lsm' && g.mechanism !== 'fmod_ret') throw new KwError('bad-input', `guard mechanism must be auto, lsm or fmod_ret, got "${String(g.mechanism)}"`);
    args.push('--attach', g.mechanism);
  }
  return args;
}

/** 1048576 -> "1 MiB"; 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** "1G", "512 MiB", "10m", "1048576" -> bytes (powers of 1024); undefined when it is not a size. */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]) * 1024 ** ' kmgt'.indexOf(m[2].toLowerCase() || ' ');
  return Number.isSafeInteger(Math.round(n)) && n >= 1 ? Math.round(n) : undefined;
}

/** What each rule does, one phrase each, as the confirmation and the tree say it. */
export function describeGuard(g: GuardRules): string[] {
  return guardRuleList(g).map((r) =>
    r.kind === 'deny-delete' ? `deleting, renaming or replacing ${r.path} (and anything under it) fails`
      : r.kind === 'deny-write' ? `writing, truncating, creating or renaming into ${r.path} fails (reading and deleting still work)`
        : `writes that would take ${r.path} past ${formatBytes(r.bytes ?? 0)} fail with "Disk quota exceeded" (reads and deletes still work)`,
  );
}

/** A short title: "guard: disk.img", "guard: 2 rules". */
export function guardTitle(g: GuardRules): string {
  const rules = guardRuleList(g);
  const base = (p: string) => p.split('/').filter(Boolean).pop() ?? '/';
  return `${g.auditOnly ? 'audit' : 'guard'}: ${rules.length === 1 ? base(rules[0].path) : `${rules.length} rules`}`;
}

/** The rules a ready record states (json) as GuardRules (the order kept). */
export function guardFromReady(r: GuardReady): GuardRules {
  const g: GuardRules = { auditOnly: r.audit_only || undefined };
  for (const x of r.rules) {
    if (x.kind === 'deny-delete') (g.denyDelete ??= []).push(x.path);
    else if (x.kind === 'deny-write') (g.denyWrite ??= []).push(x.path);
    else (g.quotas ??= []).push({ path: x.path, bytes: x.quota_bytes ?? 0 });
  }
  return g;
}

/** What a trace is, in a few words: "unlink, create trace", or a guard's title. */
export function traceWhat(o: { families: readonly string[]; funcs?: readonly string[]; guard?: GuardRules }): string {
  if (o.guard) return guardTitle(o.guard);
  const calls = o.funcs?.length ? `calls of ${o.funcs.join(', ')}` : '';
  return o.families.length ? `${o.families.join(', ')} trace${calls ? ` + ${calls}` : ''}` : calls;
}

/**
 * A refusal from the wire stream carries its rule's index only: name the rule from the rules the
 * guard was started with (json records name it themselves). Other events pass unchanged.
 */
export function nameRule(e: KwEvent, g: GuardRules | undefined): void {
  if ((e.type !== 'denied' && e.type !== 'would-deny') || !g || e.rule_kind !== undefined) return;
  const r = guardRuleList(g)[e.rule];
  if (!r) return;
  e.rule_kind = r.kind;
  e.rule_path = r.path;
  if (r.bytes !== undefined) e.quota_bytes = r.bytes;
}

/** The agent's `--quota` value `DIR=BYTES` as a rule (bytes NaN when it is not a number). */
export function quotaArg(v: string): { path: string; bytes: number } {
  const eq = v.lastIndexOf('=');
  return eq > 0 ? { path: v.slice(0, eq), bytes: Number(v.slice(eq + 1)) } : { path: v, bytes: NaN };
}
