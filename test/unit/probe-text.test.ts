// The probe report's io_uring coverage as the CLI and the Hosts tree show it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeIoUring } from '../../src/core/probe-text';

test('probe text: io_uring hooks by this kernel\'s names, and what is not covered', () => {
  assert.equal(describeIoUring({ unlink: 'filename_unlinkat', rmdir: 'filename_rmdir', mkdir: 'filename_mkdirat', rename: 'filename_renameat2', open: 'do_file_open' }),
    'unlink (filename_unlinkat), rmdir (filename_rmdir), mkdir (filename_mkdirat), rename (filename_renameat2), open (do_file_open)');
  assert.equal(describeIoUring({ unlink: 'do_unlinkat', rmdir: null, mkdir: 'do_mkdirat', rename: null, open: 'do_filp_open' }),
    'unlink (do_unlinkat), mkdir (do_mkdirat), open (do_filp_open); not covered on this kernel: rmdir, rename');
  assert.equal(describeIoUring({ unlink: null, rmdir: null, mkdir: null, rename: null, open: null }), 'not covered on this kernel: unlink, rmdir, mkdir, rename, open');
});
