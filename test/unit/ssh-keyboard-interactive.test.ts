import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KeyboardInteractiveAnswerer, KeyboardInteractiveQuestion, isPasswordPrompt, printable } from '../../src/core/ssh/keyboard-interactive';

test('keyboard-interactive: only the account password prompt counts as a password prompt', () => {
  for (const p of ['Password: ', 'password:', "alice@host's password: ", 'Password for alice: ']) assert.ok(isPasswordPrompt({ prompt: p, echo: false }), p);
  for (const p of ['Verification code: ', 'One-time password (OATH) for `alice\': ', 'New password: ', 'Retype new password: ', 'OTP: ', 'Password and OTP: '])
    assert.ok(!isPasswordPrompt({ prompt: p, echo: false }), p);
  assert.ok(!isPasswordPrompt({ prompt: 'Password: ', echo: true }), 'an echoed prompt is not a password prompt');
});

test('keyboard-interactive: the password answers the first password prompt only; every other prompt is shown as sent', async () => {
  const shown: KeyboardInteractiveQuestion[] = [];
  let passwordAsked = 0;
  const a = new KeyboardInteractiveAnswerer(
    'alice',
    'h',
    async () => {
      passwordAsked++;
      return 'pw';
    },
    async (q) => {
      shown.push(q);
      return q.prompts.map((_p, i) => `answer${i}`);
    },
  );
  // PAM: password, then the code, in separate rounds
  assert.deepEqual(await a.answer('', '', [{ prompt: 'Password: ', echo: false }]), ['pw']);
  assert.deepEqual(await a.answer('', '', [{ prompt: 'Verification code: ', echo: false }]), ['answer0']);
  assert.deepEqual(shown, [{ user: 'alice', host: 'h', name: '', instructions: '', prompts: [{ prompt: 'Verification code: ', echo: false }] }]);
  // a second password prompt (the first was wrong) goes to the user, not the same password again
  assert.deepEqual(await a.answer('Login', 'Try again', [{ prompt: 'Password: ', echo: false }, { prompt: 'Token\x1b[2J: ', echo: true }]), ['answer0', 'answer1']);
  assert.deepEqual(shown[1].prompts, [{ prompt: 'Password: ', echo: false }, { prompt: 'Token?[2J: ', echo: true }]);
  assert.equal(shown[1].name, 'Login');
  assert.equal(passwordAsked, 1);
});

test('keyboard-interactive: declining the password or a prompt answers nothing', async () => {
  const noPw = new KeyboardInteractiveAnswerer('u', 'h', async () => undefined, async () => ['x']);
  assert.equal(await noPw.answer('', '', [{ prompt: 'Password:', echo: false }]), undefined);
  const declined = new KeyboardInteractiveAnswerer('u', 'h', async () => 'pw', async () => undefined);
  assert.equal(await declined.answer('', '', [{ prompt: 'Code:', echo: false }]), undefined);
  assert.equal(printable('a\tb\nc\x07d\x9be'), 'a\tb\nc?d?e');
});
