// Picks the record decoder for the agent's output format: the wire decoder
// (src/core/wire/decoder.ts, the default) or JSON lines (debugging, `--format json`).
import { WireDecoder } from '../wire/decoder';
import { JsonLinesDecoder, RecordDecoder } from './json-lines';
import type { StreamFormat } from './trace-session';

export const DEFAULT_FORMAT: StreamFormat = 'wire';

export function decoderFor(format: StreamFormat): RecordDecoder {
  return format === 'wire' ? new WireDecoder() : new JsonLinesDecoder();
}
