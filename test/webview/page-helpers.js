// Injected into the test page before the panel bundle (playwright addInitScript): a fake
// `acquireVsCodeApi` host that records what the webview posts and keeps its state in
// sessionStorage (so it survives a reload like VS Code's getState/setState), a CSP violation
// recorder, and page-side generators/benchmarks so 1,000,000 events need not cross the
// DevTools protocol. Plain JS: it runs in the browser, not in Node.
(() => {
  const kw = (window.__kw = { posted: [], cspViolations: [], pwned: 0 });
  document.addEventListener('securitypolicyviolation', (e) => {
    kw.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
  });
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => kw.posted.push(JSON.parse(JSON.stringify(m))),
    getState: () => JSON.parse(sessionStorage.getItem('kwState') || 'null'),
    setState: (s) => sessionStorage.setItem('kwState', JSON.stringify(s)),
  });
  /** Delivers a host->webview message the way VS Code does (a window message event). */
  kw.send = (m) => window.postMessage(m, '*');
  kw.flush = () => new Promise((r) => setTimeout(r, 0));

  const COMMS = ['rm', 'touch', 'bash', 'python3', 'node', 'cc1', 'make', 'git'];
  const BASE_MS = Date.UTC(2026, 10, 21, 23, 0, 0);
  function iso(ns) {
    const sec = Math.floor(ns / 1e9);
    return `${new Date(BASE_MS + sec * 1000).toISOString().slice(0, 19)}.${String(ns % 1e9).padStart(9, '0')}Z`;
  }
  /** A synthetic but well-formed event number i (same shape as src/core/events.ts). */
  kw.makeEvent = (i) => {
    const types = ['unlink', 'create', 'exec'];
    const type = types[i % 3];
    const comm = COMMS[i % COMMS.length];
    const pid = 1000 + (i % 5000);
    const ev = {
      type, time: iso(i * 1000), ktime_ns: 1e12 + i * 1000, pid, tid: pid, ppid: 900 + (i % 50), uid: i % 7 === 0 ? 0 : 1000, gid: 1000,
      comm, exe: `/usr/bin/${comm}`, cwd: `/home/user/src${i % 20}`,
      // command lines as the agent sends them: one per process, repeated by its events
      cmdline: comm === 'python3' ? ['python3', '/srv/cleaner.py', '--mode', 'nightly'] : [comm, `--job=${i % 40}`],
      ancestors: [
        { pid: 900 + (i % 50), comm: 'bash', exe: '/usr/bin/bash', cmdline: ['bash', '-c', 'make all'] },
        { pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd', cmdline: ['/sbin/init'] },
      ],
      cgroup: '/user.slice/user-1000.slice/session-1.scope', container: i % 11 === 0 ? '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c' : null,
      ret: i % 13 === 0 ? -2 : 0, probe: type === 'exec' ? 'tracepoint:sched:sched_process_exec' : type === 'unlink' ? 'tracepoint:syscalls:sys_exit_unlinkat' : 'tracepoint:syscalls:sys_exit_openat',
    };
    // a Kubernetes container's process: runtime, container name and pod travel with it
    if (ev.container) Object.assign(ev, { runtime: 'containerd', container_name: 'api', pod: { namespace: 'shop', name: 'cart-7d9f', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' } });
    if (type === 'exec') Object.assign(ev, { filename: ev.exe, argv: [comm, `--n=${i}`], argv_truncated: false, interpreter: null });
    else Object.assign(ev, { op: type === 'unlink' ? 'unlink' : 'open', path: `/tmp/w${i % 100}/file-${i}.txt`, dev: 2049, ino: 100000 + i }, type === 'unlink' ? { last_link: true } : {});
    return ev;
  };
  /** Feeds events [from, from+n) in host-sized batches (5000 per message, like the host's 50 ms flush). */
  kw.feedGenerated = async (traceId, from, n, batch = 5000) => {
    const t0 = performance.now();
    for (let i = from; i < from + n; i += batch) {
      const events = [];
      for (let k = i; k < Math.min(from + n, i + batch); k++) events.push(kw.makeEvent(k));
      kw.send({ type: 'events', traceId, events, replay: false });
      await kw.flush();
    }
    return performance.now() - t0;
  };
  /** Scrolls the table from top to bottom over `frames` animation frames; returns frame deltas (ms). */
  kw.scrollBench = (frames) => new Promise((resolve) => {
    const vt = document.querySelector('.vt');
    const deltas = [];
    let last = 0, k = 0;
    const max = vt.scrollHeight - vt.clientHeight;
    vt.scrollTop = 0;
    function step(ts) {
      if (last) deltas.push(ts - last);
      last = ts;
      vt.scrollTop = Math.round((max * k) / frames);
      if (++k <= frames) requestAnimationFrame(step);
      else resolve(deltas);
    }
    requestAnimationFrame(step);
  });
  /**
   * A live flood: `perSec` events/s in 50 ms batches (generated beforehand, so only the panel's
   * own work is on this thread) for `seconds`, while the table follows the tail. Returns the
   * animation-frame deltas (ms) seen meanwhile.
   */
  kw.floodBench = async (traceId, seconds, perSec, from) => {
    const per = Math.round(perSec / 20);
    const ticks = Math.round(seconds * 20);
    const batches = [];
    for (let t = 0; t < ticks; t++) {
      const events = [];
      for (let k = 0; k < per; k++) events.push(kw.makeEvent(from + t * per + k));
      batches.push(events);
    }
    const deltas = [];
    let last = 0, done = false;
    const frame = (ts) => { if (last) deltas.push(ts - last); last = ts; if (!done) requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
    const t0 = performance.now();
    for (let t = 0; t < ticks; t++) {
      kw.send({ type: 'events', traceId, events: batches[t], replay: false });
      batches[t] = null;
      const next = t0 + (t + 1) * 50;
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
    done = true;
    return { deltas, wallMs: performance.now() - t0, events: per * ticks };
  };
  /** Every element tag in the document, shadow roots included (to prove event text created none). */
  kw.allTags = () => {
    const tags = new Set();
    const walk = (root) => {
      for (const e of root.querySelectorAll('*')) {
        tags.add(e.tagName.toLowerCase());
        if (e.shadowRoot) walk(e.shadowRoot);
      }
    };
    walk(document);
    return [...tags].sort();
  };
})();
