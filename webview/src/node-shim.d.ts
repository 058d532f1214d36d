// src/core/events.ts is shared with Node and mentions Buffer in rawBytes(), which the webview
// never calls (it imports types only from src/core). This declaration satisfies the type check
// without @types/node, so no Node API can slip into the browser bundle by accident.
declare const Buffer: { from(data: string, encoding: 'base64' | 'utf8'): ArrayLike<number> };
