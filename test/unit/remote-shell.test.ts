// Remote commands reach the user's LOGIN shell (sshd runs `$SHELL -c TEXT`), which may be fish or
// tcsh. viaBinSh() must make every one of them run the same POSIX script through /bin/sh. Checked
// with the real shells installed here (scripts/setup.sh installs fish and tcsh for the tests).
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'node:test';

import { shAssignBytes, shq, viaBinSh } from '../../src/core/shell';
import { asRoot } from '../../src/core/host/privilege';

const SHELLS = ['/bin/sh', '/bin/bash', '/usr/bin/fish', '/usr/bin/tcsh', '/bin/csh', '/usr/bin/zsh'].filter((s) => fs.existsSync(s));

const SCRIPTS: Record<string, string> = {
  simple: 'LC_ALL=C; export LC_ALL; exec id -u',
  quotes: `printf '%s|' "it's" 'back\\slash' "a!b" '$HOME' "\\$((1+2))=$((1+2))" '{a,b}' '*' '~'; echo`,
  'multi-line + non-ASCII': 'x=grüße\nif [ -n "$x" ]; then\n  printf "%s\\n" "$x"\nfi\ncat <<EOF\nheredoc $x\nEOF',
  'octal bytes (shAssignBytes)': `${shAssignBytes('f', Buffer.from([0xff, 0x0a, 0x27, 0x5c]))}; printf %s "$f" | od -An -tx1`,
  'sudo wrapper (asRoot)': `LC_ALL=C; export LC_ALL; exec ${asRoot({ kind: 'root' }, `echo ${shq("it's root's")} && printf '%s\\n' "a  b"`).command}`,
};

function run(shell: string, text: string): string {
  return cp.execFileSync(shell, ['-c', text], { encoding: 'utf8', cwd: '/', env: { PATH: '/usr/bin:/bin', HOME: '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

test(`remote shell: every login shell here (${SHELLS.map((s) => s.split('/').pop()).join(', ')}) runs the exact POSIX script`, () => {
  assert.ok(SHELLS.includes('/bin/sh') && SHELLS.includes('/bin/bash'));
  for (const [name, script] of Object.entries(SCRIPTS)) {
    const want = run('/bin/sh', script);
    assert.ok(want.length > 0, name);
    for (const shell of SHELLS) assert.equal(run(shell, viaBinSh(script)), want, `${name} through ${shell}`);
  }
});

test('remote shell: a plain script is sent readable, anything a login shell could change is base64', () => {
  assert.equal(viaBinSh('LC_ALL=C; export LC_ALL; exec id -u'), "exec /bin/sh -c 'LC_ALL=C; export LC_ALL; exec id -u'");
  for (const s of ["echo 'x'", 'echo \\', 'a\nb', 'echo !!', 'echo ü', 'echo \t'])
    assert.match(viaBinSh(s), /^exec \/bin\/sh -c 'eval "\$\(echo [A-Za-z0-9+/=]+ \| base64 -d\)"'$/, JSON.stringify(s));
});

test('remote shell: fish and tcsh really cannot parse the old form (why viaBinSh exists)', { skip: !SHELLS.includes('/usr/bin/fish') && 'fish not installed' }, () => {
  const r = cp.spawnSync('/usr/bin/fish', ['-c', 'LC_ALL=C; export LC_ALL; exec echo ok'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: '/tmp' } });
  assert.match(r.stderr, /Unsupported use of '='|LC_ALL/);
});
