// Bundles the webviews (browser platform) into dist/webview/: the event panel (panel.js), the
// Kernel Symbol view's live probe (symbol.js), and their stylesheet (panel.css).
// Type checking is separate: `tsc -p webview/tsconfig.json --noEmit` (scripts/build.sh).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'webview');
mkdirSync(out, { recursive: true });
const t = Date.now();
const bundle = (entry, outfile) => esbuild.build({
  entryPoints: [join(here, 'src', entry)],
  outfile: join(out, outfile),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: process.env.KW_WEBVIEW_MINIFY !== '0',
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
await Promise.all([bundle('main.ts', 'panel.js'), bundle('symbol.ts', 'symbol.js')]);
copyFileSync(join(here, 'src', 'panel.css'), join(out, 'panel.css'));
console.log(`webview: bundled into dist/webview in ${Date.now() - t} ms`);
