/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check.h: what the fuzz harnesses demand of the agent's output. Each returns NULL when the
 * bytes are fine, else a static string naming the first problem.
 */
#ifndef KW_FUZZ_CHECK_H
#define KW_FUZZ_CHECK_H

#include <stddef.h>

/* `--format json`: lines, each one JSON object (RFC 8259, strings valid UTF-8 without raw
 * control characters) that JSON.parse keeps exact: an "ino" number is at most 2^53-1. */
const char *json_lines_check(const char *s, size_t n);

/* `--format wire`: frames as bpf/kwitness_wire.h defines them and src/core/wire/decoder.ts
 * reads them: u32 length == kw_hdr.size, fixed part, strings inside the record, known op,
 * every byte used. */
const char *wire_frames_check(const unsigned char *s, size_t n);

#endif
