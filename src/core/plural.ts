// "1 event", "2 events", "1,204 events": counts in messages read as English.

/** `n` with its noun, plural unless n is 1 (`plural` for irregular ones). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}
