// One event as the one line a notification answers the question with:
// "kubelet (pid 2211, /usr/bin/kubelet) deleted /var/lib/…/disk.img". No vscode import (src/core).
import type { KwEvent } from '../events';
import { argsText, retInfo } from '../calls';

export function oneLine(e: KwEvent): string {
  // the arguments say which script and how ("python3 … /srv/cleaner.py --mode nightly"); exec lines name the program
  const args = e.type !== 'exec' && e.cmdline && e.cmdline.length > 1 ? ` ${clip(e.cmdline.slice(1).join(' '), 80)}` : '';
  const who = `${e.comm} (pid ${e.pid}${e.exe ? `, ${e.exe}${args}` : args})`;
  if (e.type === 'call') {
    const r = e.ret === null ? '' : ` = ${retInfo(e.ret, asIs).text}`;
    return `${who} called ${e.func}(${clip(argsText(e.args, e.arg_types, asIs), 120)})${r}`;
  }
  const failed = e.ret < 0 ? ` — failed (${e.ret})` : '';
  switch (e.type) {
    case 'unlink':
      if (e.name_unreadable) return `${who} ${e.op === 'rmdir' ? 'removed a directory' : 'deleted a file'} whose name could not be read${failed}`;
      return `${who} ${e.op === 'rmdir' ? 'removed the directory' : e.op === 'rename' ? 'replaced' : 'deleted'} ${e.path}${failed}`;
    case 'create':
      // a rename is found by either name: a watched file may be the one that went away
      if (e.op === 'rename' && e.old_path !== undefined) return `${who} renamed ${e.old_path} to ${e.path}${failed}`;
      // an exchange deletes nothing: both names stay, each now holding the other's file
      if (e.op === 'exchange' && e.old_path !== undefined) return `${who} swapped ${e.old_path} and ${e.path}${failed}`;
      return `${who} created ${e.path}${failed}`;
    case 'write':
      return `${who} ${e.op === 'truncate' ? 'truncated' : 'opened'} ${e.path}${e.op === 'truncate' ? '' : ' for writing'}${failed}`;
    case 'denied':
    case 'would-deny':
      return `${who} ${e.type === 'denied' ? 'was denied' : 'would be denied'} ${DENIED_OP[e.op] ?? e.op} ${e.path}${e.ret === -122 ? ' (quota full)' : ''}`;
    case 'exec':
      return `${who} ran ${e.exe || e.filename}${failed}`;
    case 'exit':
      return `${who} exited with ${e.exit_code}`;
  }
}

/** What a guard refused, as a verb phrase ("was denied deleting /x"). */
const DENIED_OP: Partial<Record<string, string>> = {
  unlink: 'deleting', rmdir: 'removing the directory', rename: 'renaming', open: 'creating', mkdir: 'creating the directory',
  mknod: 'creating', link: 'linking', symlink: 'creating the symlink', open_write: 'opening for writing', truncate: 'truncating', write: 'writing',
};

const asIs = (s: string): string => s;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
