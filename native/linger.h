/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* linger.h: a trace that outlives its client (linger.c) and the relay that reattaches (attach.c). */
#ifndef KW_LINGER_H
#define KW_LINGER_H

#include <stdbool.h>
#include <stdint.h>

/* One socket per lingering trace, root only: KW_LINGER_DIR/SESSION.sock */
#define KW_LINGER_DIR_PARENT "/run/kwitness"
#define KW_LINGER_DIR "/run/kwitness/traces"
/* `attach` exits with this when no trace of that session waits on the host (it ended) */
#define KW_ATTACH_NO_TRACE 3

/* epoll data.u32 of the trace's main loop (1: ring buffer, 2: the client's input) */
#define LINGER_EV_CLIENT 2
#define LINGER_EV_LISTEN 3

/* Before READY: listen at the session's socket and start keeping the output. 0 or -1 (said why). */
int linger_start(unsigned linger_s, unsigned backlog_mb, const char *session);
void linger_set_ready(const char *p, size_t n); /* the READY record, for every attaching client */
void linger_watch(int ep);                      /* adds the listening socket to the main loop */
void linger_accept(void);                       /* a relay knocked: take it over as the client */
void linger_client_gone(const char *why);       /* the current client is gone: trace on alone */
void linger_stdio_gone(const char *why);        /* the same, if stdin/stdout are still the client */
bool linger_expired(void);                      /* alone for longer than --linger */
int linger_write_resumed(uint64_t next_event, uint64_t not_kept, uint64_t away_ns);
void linger_end(void);                          /* removes the socket, frees the backlog */

int cmd_attach(int argc, char **argv);

#endif
