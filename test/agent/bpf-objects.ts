// Which BPF programs and links an agent process holds (from /proc/PID/fdinfo), and the proof
// that they are gone from the kernel after it ended: shared by the agent suite's lifecycle tests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { sleep } from './suite';

export function bpfIdsOf(pid: number): { progs: Set<number>; links: Set<number> } {
  const progs = new Set<number>();
  const links = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    let info = '';
    try {
      info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const link = /^link_id:\s*(\d+)/m.exec(info);
    const prog = /^prog_id:\s*(\d+)/m.exec(info);
    if (link) links.add(Number(link[1]));
    if (prog) progs.add(Number(prog[1]));
  }
  return { progs, links };
}

export function liveBpfIds(): { progs: Set<number>; links: Set<number> } {
  const ids = (kind: string) => new Set((JSON.parse(execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8' }) || '[]') as Array<{ id: number }>).map((x) => x.id));
  return { progs: ids('prog'), links: ids('link') };
}

export async function assertReleased(held: { progs: Set<number>; links: Set<number> }): Promise<void> {
  let left: number[] = [];
  // 60 s is a safety net for a loaded machine, not a speed claim (detaching is timed in bench/)
  for (let i = 0; i < 600; i++) {
    const live = liveBpfIds();
    left = [...[...held.progs].filter((id) => live.progs.has(id)).map((id) => `prog ${id}`), ...[...held.links].filter((id) => live.links.has(id)).map((id) => `link ${id}`)] as unknown as number[];
    if (left.length === 0) return;
    await sleep(100);
  }
  assert.fail(`BPF objects still loaded after the agent ended: ${left.join(', ')}`);
}

