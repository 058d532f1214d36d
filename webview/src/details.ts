// The details pane: every field of the selected event, built with createElement/textContent.
// Paths are links (exact bytes), ancestors, pods, namespaces and containers filter on click,
// the probe opens the symbol view. The call's stacks (`--stacks`) one frame a line: a kernel
// function opens the symbol view, a source position opens the file from the workspace.
import type { KernelFrame, KwEvent, PodRef, StackFields, UserFrame } from '../../src/core/events';
import type { PathField } from '../../src/contract/messages';
import { validateCallArgs, validateStacks } from '../../src/contract/validate';
import { argText, formatDuration, retInfo } from '../../src/core/calls';
import { isKernelSymbol } from '../../src/core/kernel-symbol';
import { kernelFrameText, userFrameText } from '../../src/core/stacks';
import { exactB64, visible, visibleField, bytesToB64, b64ToBytes, errnoName } from './text';
import { userLabel } from './format';
import { el } from './dom';
import { podFilterValue, podRef } from './pods';

export interface DetailActions {
  open(field: PathField, b64: string): void;
  filterAncestor(pid: number): void;
  /** Set one of the Kubernetes filters (PanelFilters pod, namespace, container) to this value. */
  filterBy(key: 'pod' | 'namespace' | 'container', value: string): void;
  symbol(probe: string): void;
  /** A kernel stack frame's function: the Kernel Symbol view. */
  kernelSymbol(symbol: string): void;
  /** A user stack frame's source position: that file of the workspace, at that line. */
  openSource(src: string, line: number): void;
  /** Show the events in view grouped by the code path they came by. */
  groupByStack(): void;
}

/** The event fields of its stacks (rendered in their own sections, never as rows). */
const STACK_KEYS = ['kstack', 'ustack', 'kstack_error', 'ustack_error'];
/** A call's fields shown with others (each argument's type beside it, the return type beside ret). */
const CALL_SHOWN_WITH = ['arg_types', 'ret_type', 'func_b64'];

const ATTACH_TEXT: Record<string, string> = {
  fentry: 'fentry + fexit (BPF trampolines)',
  kprobe: 'kprobe + kretprobe',
};

const PATH_KEYS: Record<string, PathField> = {
  path: 'path', old_path: 'old_path', exe: 'exe', cwd: 'cwd', filename: 'filename', interpreter: 'interpreter', target: 'target',
};
const ORDER = ['type', 'op', 'time', 'ktime_ns', 'func', 'args', 'ret', 'duration_ns', 'attach', 'args_truncated', 'path', 'named', 'proc_path', 'path_on_host', 'real_path', 'layer', 'path_source', 'old_path', 'filename', 'target', 'argv', 'interpreter', 'exe', 'cmdline', 'cwd', 'pid', 'tid', 'ppid', 'uid', 'gid', 'comm', 'pod', 'container_name', 'container', 'runtime', 'path_pod', 'cgroup', 'probe', 'dev', 'ino'];

/** What the agent's path_source means for how far the path can be trusted (events.ts). */
const PATH_SOURCE_TEXT: Record<string, string> = {
  kernel: 'the kernel: the file it acted on (symlinks and .. resolved as the kernel did)',
  name: "the kernel's copy of the caller's name, joined to its directory (.. resolved as text)",
  user: "the caller's memory, read after the call (a thread sharing it could have changed it; .. resolved as text)",
};

function link(text: string, title: string, onClick: () => void): HTMLElement {
  const a = el('a', 'link', text);
  a.href = '#';
  a.title = title;
  a.addEventListener('click', (e) => { e.preventDefault(); onClick(); });
  return a;
}

/**
 * `sameStack`: how many events the panel holds that came by the same code path (this one
 * included); only read when the event has stacks.
 */
export function renderDetails(root: HTMLElement, ev: KwEvent, users: Record<string, string>, act: DetailActions, sameStack = 0): void {
  const o = ev as unknown as Record<string, unknown>;
  const b64 = (k: string) => (typeof o[`${k}_b64`] === 'string' ? (o[`${k}_b64`] as string) : undefined);
  const dl = el('dl', 'fields');
  const row = (k: string, v: Node | string) => {
    dl.append(el('dt', undefined, k));
    const dd = el('dd');
    dd.append(v);
    dl.append(dd);
  };
  const isCall = o.type === 'call';
  const keys = [...ORDER.filter((k) => k in o), ...Object.keys(o).filter((k) => !ORDER.includes(k) && k !== 'ancestors' && k !== 'cmdline_truncated' && !k.endsWith('_b64') && !STACK_KEYS.includes(k) && !(isCall && CALL_SHOWN_WITH.includes(k))).sort()];
  for (const k of keys) {
    const v = o[k];
    if (k.endsWith('_b64')) continue;
    if (isCall && k === 'func' && typeof v === 'string') {
      // the function's page: address, prototype, source, and its own live probe
      const text = visibleField(v, b64('func'));
      row('function', b64('func') === undefined && isKernelSymbol(v) ? link(text, `Show ${v} in the Kernel Symbol view`, () => act.kernelSymbol(v)) : el('span', undefined, text));
    } else if (isCall && k === 'args') {
      row('arguments', callArgs(o, act));
    } else if (isCall && k === 'ret') {
      const r = retInfo(v, visibleField);
      const type = typeof o.ret_type === 'string' ? ` (${visible(o.ret_type)})` : '';
      row('returned', el('span', r.failed ? 'fail' : undefined, `${r.text}${type}`));
    } else if (isCall && k === 'attach' && typeof v === 'string') {
      row('probed by', ATTACH_TEXT[v] ?? visible(v));
    } else if (isCall && k === 'args_truncated') {
      row('cut', el('span', 'muted', 'a string or path of an argument was longer than the agent keeps, and was cut'));
    } else if (k === 'duration_ns' && typeof v === 'number') {
      row(isCall ? 'took' : 'duration', `${formatDuration(v)} (${v.toLocaleString('en-US')} ns)`);
    } else if (k === 'path' && o.path_on_host === false && typeof v === 'string') {
      // the process's view on a file system the host does not mount: opening it would open another file
      row(k, el('span', undefined, visibleField(v, b64(k))));
    } else if (k === 'path_on_host') {
      row('on the host', el('span', 'muted', "no: the file lives on a file system only the process's mount namespace mounts (a container's own tmpfs); the path is the process's view"));
    } else if (k in PATH_KEYS && typeof v === 'string' && v !== '') {
      const field = PATH_KEYS[k];
      let bytes = exactB64(v, b64(k));
      // Relative names resolve like the kernel does: execve against the caller's cwd, a symlink's
      // target against the directory holding the link.
      let base: Uint8Array | null = null;
      if (k === 'filename' && typeof o.cwd === 'string') base = b64ToBytes(exactB64(o.cwd, b64('cwd')));
      if (k === 'target' && typeof o.path === 'string') {
        const p = b64ToBytes(exactB64(o.path, b64('path')));
        base = p.slice(0, Math.max(1, p.lastIndexOf(0x2f)));
      }
      if (base && !v.startsWith('/')) {
        const rel = b64ToBytes(bytes);
        const sep = base[base.length - 1] === 0x2f ? 0 : 1;
        const all = new Uint8Array(base.length + sep + rel.length);
        all.set(base);
        if (sep) all[base.length] = 0x2f;
        all.set(rel, base.length + sep);
        bytes = bytesToB64(all);
      }
      row(k, link(visibleField(v, b64(k)), 'Open on the traced host', () => act.open(field, bytes)));
    } else if (k === 'argv' && Array.isArray(v)) {
      const ol = el('ol', 'argv');
      ol.start = 0;
      const raw = Array.isArray(o.argv_b64) ? (o.argv_b64 as Array<string | null>) : [];
      v.forEach((a, i) => ol.append(el('li', undefined, visibleField(String(a), raw[i] ?? undefined))));
      if (o.argv_truncated === true) ol.append(el('li', 'muted', '… (truncated by the agent)'));
      row('argv', ol);
    } else if (k === 'real_path' && typeof v === 'string') {
      // the overlay layer's own file: text (a removed file's upper path no longer exists)
      row(o.layer === 'lower' ? 'lived in (image layer)' : o.type === 'unlink' ? 'lived in (container layer)' : 'lives in (container layer)', el('span', undefined, visibleField(v, b64(k))));
    } else if (k === 'layer') {
      continue;
    } else if (k === 'proc_path' && typeof v === 'string') {
      // inside the process's mount namespace or root: the host names it `path`
      row('in the process', el('span', undefined, visibleField(v, b64(k))));
    } else if (k === 'named' && typeof v === 'string') {
      // the caller's spelling: text, not a link (it may lead elsewhere now: a symlink, '..')
      row('named as', el('span', undefined, visibleField(v, b64(k))));
    } else if (k === 'path_source' && typeof v === 'string') {
      row('path from', el('span', v === 'kernel' ? undefined : 'muted', PATH_SOURCE_TEXT[v] ?? v));
    } else if (k === 'cmdline') {
      // the acting process's command line: what answers "which script, with which options"
      row(k, v === null ? el('span', 'muted', 'unknown (the process ended before the agent could read it)') : cmdlineText(o));
    } else if ((k === 'pod' || k === 'path_pod') && podRef(v)) {
      row(k === 'pod' ? 'pod' : 'path of pod', podLinks(podRef(v)!, k === 'path_pod', act));
    } else if ((k === 'container_name' || k === 'container') && typeof v === 'string' && v !== '') {
      row(k, link(visible(v), `Show only events of container ${visible(v)}`, () => act.filterBy('container', v)));
    } else if (k === 'probe' && typeof v === 'string') {
      row(k, link(visible(v), 'Show the kernel symbol behind this probe', () => act.symbol(v)));
    } else if (k === 'ret' && typeof v === 'number') {
      row(k, v < 0 ? `${v} (${errnoName(v)})` : String(v));
    } else if ((k === 'ino' || k === 'dev') && (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)))) {
      // an inode number above 2^53-1 comes as its decimal digits (events.ts InodeNumber): shown the same way
      row(k, String(v));
    } else if ((k === 'uid' || k === 'gid') && typeof v === 'number') {
      row(k, k === 'uid' ? userLabel(v, users) : String(v));
    } else if (k === 'container') {
      row(k, v === null ? '— (not in a container)' : visible(String(v)));
    } else if (typeof v === 'string') {
      row(k, visibleField(v, b64(k)));
    } else {
      row(k, visible(JSON.stringify(v)));
    }
  }
  const anc = Array.isArray(o.ancestors) ? (o.ancestors as Array<Record<string, unknown>>) : [];
  const chain = el('ol', 'ancestry');
  const self = el('li');
  self.append(el('span', 'muted', 'this process: '), el('span', undefined, `${visibleField(String(o.comm ?? ''), b64('comm'))} (${String(o.pid)})`));
  chain.append(self);
  for (const a of anc) {
    const li = el('li');
    const pid = Number(a.pid);
    const comm = visibleField(String(a.comm ?? ''), typeof a.comm_b64 === 'string' ? a.comm_b64 : undefined);
    li.append(link(`${comm} (${pid})`, `Show only events of pid ${pid} and its descendants`, () => act.filterAncestor(pid)));
    if (typeof a.exe === 'string' && a.exe !== '') {
      const exeB64 = exactB64(a.exe, typeof a.exe_b64 === 'string' ? a.exe_b64 : undefined);
      li.append(' ', link(visibleField(a.exe, typeof a.exe_b64 === 'string' ? a.exe_b64 : undefined), 'Open on the traced host', () => act.open('ancestor_exe', exeB64)));
    }
    if (Array.isArray(a.cmdline)) li.append(el('div', 'cmdline', cmdlineText(a)));
    chain.append(li);
  }
  const h1 = el('h3', undefined, isCall ? 'Call' : 'Event');
  const h2 = el('h3', undefined, `Ancestry: this process and ${anc.length} ${anc.length === 1 ? 'ancestor' : 'ancestors'}`);
  root.replaceChildren(h1, dl, ...stackSections(o, act, sameStack), h2, chain);
}

/**
 * A call's arguments, one a line: name, C type, value; an object's fields under it, a path among
 * them a link that opens the file on the traced host. Checked first (validateCallArgs): a shape
 * the panel does not know is said, not rendered.
 */
function callArgs(o: Record<string, unknown>, act: DetailActions): Node {
  const types = typeof o.arg_types === 'object' && o.arg_types !== null && !Array.isArray(o.arg_types) ? (o.arg_types as Record<string, string>) : null;
  const v = types ? validateCallArgs(o.args, types) : { ok: false as const, error: 'no parameter types' };
  if (!v.ok || !types) return el('span', 'muted', `not shown: ${visible(v.ok ? '' : v.error)}`);
  const names = Object.keys(v.value);
  if (names.length === 0) return el('span', 'muted', 'none');
  const list = el('ol', 'call-args');
  list.id = 'call-args';
  for (const n of names) {
    const li = el('li', 'call-arg');
    li.dataset.param = n;
    const val = v.value[n];
    li.append(el('span', 'arg-name', visible(n)), el('span', 'muted arg-type', ` ${visible(types[n] ?? '')} `));
    if (typeof val === 'object' && val !== null) {
      li.append(el('span', 'arg-value', argText(val, types[n] ?? '', visibleField)));
      const fields = el('dl', 'arg-fields');
      const obj = val as Record<string, unknown>;
      for (const [f, fv] of Object.entries(obj)) {
        if (f.endsWith('_b64')) continue; // a name's exact bytes: shown through the name itself
        fields.append(el('dt', undefined, visible(f)));
        const dd = el('dd');
        const exact = typeof obj[`${f}_b64`] === 'string' ? (obj[`${f}_b64`] as string) : undefined;
        if (f === 'path' && typeof fv === 'string' && fv.startsWith('/')) {
          const bytes = exactB64(fv, exact);
          dd.append(link(visibleField(fv, exact), 'Open on the traced host', () => act.open('arg_path', bytes)));
        } else dd.append(typeof fv === 'string' ? visibleField(fv, exact) : String(fv));
        fields.append(dd);
      }
      li.append(fields);
    } else li.append(el('span', 'arg-value', argText(val, types[n] ?? '', visibleField)));
    list.append(li);
  }
  return list;
}

/** The Kernel stack and User stack sections of an event with stacks, and how many share them; none without. */
function stackSections(o: Record<string, unknown>, act: DetailActions, sameStack: number): Node[] {
  if (!STACK_KEYS.some((k) => o[k] !== undefined)) return [];
  const v = validateStacks(o);
  if (!v.ok) return [el('h3', undefined, 'Stacks'), el('div', 'muted', `not shown: ${visible(v.error)}`)];
  const s: StackFields = v.value;
  const out: Node[] = [];
  const section = (id: string, title: string, frames: ReadonlyArray<KernelFrame | UserFrame> | undefined, err: number | undefined, line: (f: KernelFrame & UserFrame) => Node) => {
    if (frames === undefined) return;
    const h = el('h3', undefined, `${title} (${frames.length} ${frames.length === 1 ? 'frame' : 'frames'})`);
    const list = el('ol', 'stack');
    list.id = id;
    for (const f of frames) {
      const li = el('li', 'frame');
      li.append(line(f as KernelFrame & UserFrame));
      list.append(li);
    }
    out.push(h, list);
    if (err !== undefined) out.push(el('div', 'muted', `not taken: ${err} (${errnoName(err)})`));
    else if (frames.length === 0) out.push(el('div', 'muted', 'no frames'));
  };
  section('kstack', 'Kernel stack', s.kstack, s.kstack_error, (f) => {
    const text = kernelFrameText(f, visibleField);
    // a function of the kernel: its page (address, prototype, source for the host's release)
    if (f.sym !== undefined && f.sym_b64 === undefined && isKernelSymbol(f.sym)) {
      return link(text, `Show ${f.sym} in the Kernel Symbol view`, () => act.kernelSymbol(f.sym!));
    }
    return el('span', undefined, text);
  });
  section('ustack', 'User stack', s.ustack, s.ustack_error, (f) => {
    const text = userFrameText(f, visibleField);
    const src = f.src;
    const line = f.line;
    const node: HTMLElement = src !== undefined && line !== undefined && line > 0 && f.src_b64 === undefined && src.trim() !== ''
      ? link(text, `Open ${visible(src)}:${line} from the workspace`, () => act.openSource(src, line))
      : el('span', undefined, text);
    // where it came from, in full: the mapped file, the offset in it, its build id
    const where = [
      f.file !== undefined ? `${visibleField(f.file, f.file_b64)}${f.file_off !== undefined ? `+0x${f.file_off.toString(16)}` : ''}` : '',
      f.build_id ? `build id ${f.build_id}` : '',
      src !== undefined ? `${visibleField(src, f.src_b64)}:${line}` : '',
      f.addr,
    ].filter(Boolean);
    node.title = where.join('\n');
    if (!f.inferred) return node;
    const span = el('span');
    span.append(node, el('span', 'muted inferred', ' (from stack pointer)'));
    span.title = `${where.join('\n')}\nThe caller of a function that keeps no frame (a system call wrapper), read at the stack pointer: likely, not certain`;
    return span;
  });
  const share = el('div', 'stack-share');
  share.id = 'stack-share';
  share.append(el('span', undefined, sameStack > 1 ? `${sameStack.toLocaleString('en-US')} events in this panel share this stack ` : 'No other event in this panel has this stack '));
  const group = link('Group by stack', 'Count the events in view by the code path they came by', () => act.groupByStack());
  group.id = 'group-by-stack';
  share.append(group);
  out.push(share);
  return out;
}

/**
 * namespace/name (uid), the namespace and the name each a link that filters on it; a pod the node
 * already forgot shows (and filters by) its uid only.
 */
function podLinks(p: PodRef, ofPath: boolean, act: DetailActions): HTMLElement {
  const span = el('span');
  const byPod = (text: string) => link(text, `Show only events of pod ${visible(podFilterValue(p))}`, () => act.filterBy('pod', podFilterValue(p)));
  if (p.name !== '') {
    span.append(
      link(visible(p.namespace), `Show only events of namespace ${visible(p.namespace)}`, () => act.filterBy('namespace', p.namespace)),
      '/', byPod(visible(p.name)), ` (${visible(p.uid)})`,
    );
  } else span.append(byPod(visible(p.uid)), ' (no longer known on the node)');
  if (ofPath) span.append(" — the file was in this pod's directory");
  return span;
}

/**
 * A command line as one shell-like line: arguments with spaces or quotes single-quoted, invalid
 * UTF-8 shown by visibleField, "…" when the agent cut it. Text only (names are attacker-controlled).
 */
function cmdlineText(o: Record<string, unknown>): string {
  const args = Array.isArray(o.cmdline) ? (o.cmdline as unknown[]) : [];
  const raw = Array.isArray(o.cmdline_b64) ? (o.cmdline_b64 as Array<string | null>) : [];
  const shown = args.map((a, i) => {
    const t = visibleField(String(a), raw[i] ?? undefined);
    return t === '' || /[\s'"\\$`]/.test(t) ? `'${t.replace(/'/g, `'\\''`)}'` : t;
  });
  return shown.join(' ') + (o.cmdline_truncated === true ? ' …' : '');
}
