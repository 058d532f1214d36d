// Picks the record decoder for the agent's output format. The wire decoder
// (src/core/wire/decoder.ts) is the default once it exists; JSON lines otherwise.
import { JsonLinesDecoder, RecordDecoder } from './json-lines';
import type { StreamFormat } from './trace-session';

export const DEFAULT_FORMAT: StreamFormat = 'json';

export function decoderFor(format: StreamFormat): RecordDecoder {
  if (format === 'wire') throw new Error('the wire decoder is not available in this build; use --format json');
  return new JsonLinesDecoder();
}
