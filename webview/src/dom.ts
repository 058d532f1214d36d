// Building elements: one helper for the whole webview. Text goes in through textContent only
// (event data is attacker-controlled: markup is never built from strings).

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
