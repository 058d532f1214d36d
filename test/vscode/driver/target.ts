// The test targets as the journeys see them from outside VS Code: run commands on the loopback
// ssh host through OpenSSH (so the acting process is a real remote process, child of sshd), and
// find the agent processes that a trace started on that host.
import * as cp from 'child_process';
import * as fs from 'fs';

export interface SshTarget {
  alias: string;
  config: string;
  /** pid of the sshd listener the suite started: agents of this target descend from it. */
  sshdPid: number;
}

export function sshTargetFromEnv(): SshTarget {
  const alias = process.env.KW_TEST_SSH_ALIAS;
  const config = process.env.KWITNESS_SSH_CONFIG;
  const sshdPid = Number(process.env.KW_TEST_SSHD_PID);
  if (!alias || !config || !sshdPid) throw new Error('KW_TEST_SSH_ALIAS, KWITNESS_SSH_CONFIG and KW_TEST_SSHD_PID must be set');
  return { alias, config, sshdPid };
}

export function onTarget(t: SshTarget, cmd: string): string {
  return cp.execFileSync('ssh', ['-F', t.config, t.alias, cmd], { encoding: 'utf8', timeout: 30_000 });
}

interface Proc { pid: number; ppid: number; exe: string; comm: string }

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (fields[0] === 'Z') continue;
      let exe = '';
      try { exe = fs.readlinkSync(`/proc/${d}/exe`); } catch { /* kernel thread or gone */ }
      out.push({ pid: Number(d), ppid: Number(fields[1]), exe, comm });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** Live descendants of `root`. */
export function descendants(root: number): Proc[] {
  const all = processes();
  const kids = new Map<number, Proc[]>();
  for (const p of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p]);
  const res: Proc[] = [];
  const queue = [...(kids.get(root) ?? [])];
  while (queue.length) {
    const p = queue.shift()!;
    res.push(p);
    queue.push(...(kids.get(p.pid) ?? []));
  }
  return res;
}

const isAgent = (p: Proc) => /kwitness-agent/.test(p.exe) || /^kwitness-agent/.test(p.comm);

/** Agent processes running under the given sshd (i.e. started on that target over SSH). */
export function agentsUnder(sshdPid: number): Proc[] {
  return descendants(sshdPid).filter(isAgent);
}

/** Agent processes started by this code-server (This Machine traces run as its descendants). */
export function agentsUnderPid(pid: number): Proc[] {
  return descendants(pid).filter(isAgent);
}

/**
 * Traces that run on without a window (`trace --linger`): after a reload their parent (an sshd
 * session, the old extension host) is gone, so they descend from nothing the suite started.
 */
export function lingeringAgents(): Proc[] {
  return processes().filter((p) => {
    if (!isAgent(p)) return false;
    try {
      return fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').includes('--linger');
    } catch {
      return false;
    }
  });
}

/** ids of BPF programs that `bpftool prog show` attributes to one of `pids`. */
export function bpfProgsOf(pids: number[]): number[] {
  let json: Array<{ id: number; pids?: Array<{ pid: number }> }>;
  try {
    json = JSON.parse(cp.execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8', timeout: 20_000 }));
  } catch (e) {
    throw new Error(`bpftool -j prog show failed: ${(e as Error).message}`);
  }
  const want = new Set(pids);
  return json.filter((p) => (p.pids ?? []).some((x) => want.has(x.pid))).map((p) => p.id);
}
