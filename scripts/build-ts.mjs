// esbuild bundles: the extension (dist/extension.js, Node, `vscode` external) and the CLI
// (dist/cli.js, Node, executable). Types are checked separately by `tsc` (scripts/build.sh).
import { build } from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // ssh2's optional native crypto addon (cpu-features, sshcrypto.node): loaded in try/catch by
  // ssh2, never bundled; the pure-JS paths are used without it.
  external: ['cpu-features', '*.node'],
  absWorkingDir: root,
};

const t = Date.now();
const jobs = [
  build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
];
if (existsSync(join(root, 'src/extension.ts'))) {
  jobs.push(build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, 'vscode'] }));
}
await Promise.all(jobs);
chmodSync(join(root, 'dist/cli.js'), 0o755);
console.log(`build-ts: dist/cli.js${jobs.length > 1 ? ', dist/extension.js' : ''} in ${Date.now() - t} ms`);
