// Decoder for the agent's `--format json` stream (one object per line), with the same shape as
// the wire decoder: stateful across chunks, a bad line becomes an AgentErrorRecord, never a throw.
import type { AgentRecord } from '../events';

export interface RecordDecoder {
  push(chunk: Uint8Array): AgentRecord[];
}

export class JsonLinesDecoder implements RecordDecoder {
  private rest = Buffer.alloc(0);

  push(chunk: Uint8Array): AgentRecord[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, Buffer.from(chunk)]) : Buffer.from(chunk);
    const out: AgentRecord[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0) break;
      const line = buf.subarray(start, nl).toString('utf8').trim();
      start = nl + 1;
      if (!line) continue;
      try {
        const v = JSON.parse(line) as AgentRecord;
        if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') out.push(v);
        else out.push(bad(`not an agent record: ${line.slice(0, 80)}`));
      } catch {
        out.push(bad(`unparsable line from the agent: ${line.slice(0, 80)}`));
      }
    }
    this.rest = Buffer.from(buf.subarray(start));
    return out;
  }
}

function bad(message: string): AgentRecord {
  return { type: 'error', time: new Date().toISOString(), message };
}
