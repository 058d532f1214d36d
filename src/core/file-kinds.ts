// What kind of thing a path names, said once: from a POSIX mode (fs.Stats, SFTP attributes, the
// shell's `stat -c %f`), from the one-letter marks `ls -l` uses (the shell listing and the listing
// documents both speak them), and in words for messages. No vscode or node import (the panel
// host and the CLI share it).

export type FileKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device' | 'other';

const S_IFMT = 0o170000;
const BY_FORMAT: ReadonlyMap<number, FileKind> = new Map<number, FileKind>([
  [0o100000, 'file'],
  [0o040000, 'dir'],
  [0o120000, 'symlink'],
  [0o010000, 'fifo'],
  [0o140000, 'socket'],
  [0o020000, 'char-device'],
  [0o060000, 'block-device'],
]);

/** The kind encoded in the S_IFMT bits of a POSIX st_mode. */
export function kindOfMode(mode: number): FileKind {
  return BY_FORMAT.get(mode & S_IFMT) ?? 'other';
}

/** `ls -l`'s first letter for each kind. */
export const KIND_LETTER: Readonly<Record<FileKind, string>> = {
  file: '-', dir: 'd', symlink: 'l', fifo: 'p', socket: 's', 'char-device': 'c', 'block-device': 'b', other: '?',
};

const BY_LETTER = new Map<string, FileKind>(Object.entries(KIND_LETTER).map(([k, l]) => [l, k as FileKind]));

export function kindOfLetter(letter: string): FileKind {
  return BY_LETTER.get(letter) ?? 'other';
}

/** "a character device", "a FIFO (named pipe)" ... for one-line error messages. */
export function describeKind(kind: FileKind): string {
  switch (kind) {
    case 'file': return 'a regular file';
    case 'dir': return 'a directory';
    case 'symlink': return 'a symbolic link';
    case 'fifo': return 'a FIFO (named pipe)';
    case 'socket': return 'a socket';
    case 'char-device': return 'a character device';
    case 'block-device': return 'a block device';
    case 'other': return 'of an unknown file type';
  }
}

/** What fs.Dirent offers instead of a mode. */
export interface KindTests {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

/** The kind of a directory entry that carries no mode (node's fs.Dirent). */
export function kindOfEntry(d: KindTests): FileKind {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'dir';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'char-device';
  if (d.isBlockDevice()) return 'block-device';
  return 'other';
}
