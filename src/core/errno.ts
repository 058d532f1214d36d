// Linux errno names (x86_64 and arm64 share these numbers), said once for the CLI and the panel.
// Kernel functions also return the kernel's own codes that never reach user space (-512
// ERESTARTSYS ...), so those are here too. No vscode, node or DOM import: the webview bundles it.

const ERRNO: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF', 10: 'ECHILD',
  11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 15: 'ENOTBLK', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV',
  20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY', 26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC',
  29: 'ESPIPE', 30: 'EROFS', 31: 'EMLINK', 32: 'EPIPE', 33: 'EDOM', 34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG', 37: 'ENOLCK',
  38: 'ENOSYS', 39: 'ENOTEMPTY', 40: 'ELOOP', 42: 'ENOMSG', 43: 'EIDRM', 61: 'ENODATA', 62: 'ETIME', 71: 'EPROTO', 74: 'EBADMSG',
  75: 'EOVERFLOW', 84: 'EILSEQ', 88: 'ENOTSOCK', 90: 'EMSGSIZE', 95: 'EOPNOTSUPP', 97: 'EAFNOSUPPORT', 98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH', 103: 'ECONNABORTED', 104: 'ECONNRESET', 105: 'ENOBUFS',
  106: 'EISCONN', 107: 'ENOTCONN', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH', 114: 'EALREADY',
  115: 'EINPROGRESS', 116: 'ESTALE', 121: 'EREMOTEIO', 122: 'EDQUOT', 125: 'ECANCELED', 130: 'EOWNERDEAD',
  // the kernel's own (include/linux/errno.h): seen as return values of kernel functions
  512: 'ERESTARTSYS', 513: 'ERESTARTNOINTR', 514: 'ERESTARTNOHAND', 515: 'ENOIOCTLCMD', 516: 'ERESTART_RESTARTBLOCK',
  517: 'EPROBE_DEFER', 518: 'EOPENSTALE', 519: 'ENOPARAM', 521: 'EBADHANDLE', 524: 'ENOTSUPP', 526: 'ESERVERFAULT',
  529: 'EIOCBQUEUED', 530: 'ERECALLCONFLICT',
};

/** The largest errno an ERR_PTR or a negative return carries (include/linux/err.h MAX_ERRNO). */
export const MAX_ERRNO = 4095;

/** "ENOENT" for -2 (or 2); "E300" for a number without a name. */
export function errnoName(ret: number): string {
  const n = Math.abs(ret);
  return ERRNO[n] ?? `E${n}`;
}

/** The name of -errno when `ret` is one (-4095..-1) with a known name, else undefined. */
export function knownErrno(ret: number): string | undefined {
  return Number.isInteger(ret) && ret < 0 && ret >= -MAX_ERRNO ? ERRNO[-ret] : undefined;
}
