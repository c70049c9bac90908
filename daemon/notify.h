/*
 * notify: what systemd hears from the daemon, and the sockets it hands over.
 * The sd_notify(3) datagram protocol on $NOTIFY_SOCKET and the
 * sd_listen_fds(3) convention are spoken here directly (both are short,
 * documented and stable), so feedmux needs no libsystemd. Outside systemd,
 * with no NOTIFY_SOCKET, every notify_send does nothing.
 */
#ifndef FEEDMUX_NOTIFY_H
#define FEEDMUX_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads $NOTIFY_SOCKET ("/path" or "@abstract") and opens a datagram socket
 * for it. Returns 1 if there is one to talk to, 0 if not (not started by
 * systemd, or Type= is not notify), -1 with *cause on a bad address.
 */
int notify_open(char **cause);
void notify_close(void);
/* 1 if notify_open found a socket. */
int notify_enabled(void);

/*
 * Sends one message of "KEY=VALUE" lines (joined with '\n'), such as
 * "READY=1". Never blocks; 0, or -1 if it could not be sent (or nothing is
 * listening). Newlines in a STATUS= value must not be passed: see
 * notify_status.
 */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* STATUS= with its text on one line (newlines and controls become spaces). */
int notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* RELOADING=1 with MONOTONIC_USEC=, as systemd 253 and later want it. */
int notify_reloading(void);

/*
 * The watchdog interval systemd asked for ($WATCHDOG_USEC, for this process
 * if $WATCHDOG_PID says so), in microseconds; 0 if none.
 */
uint64_t notify_watchdog_usec(void);

/*
 * Sockets passed by systemd socket activation: if $LISTEN_PID is this
 * process, sets *fds (caller frees) to the $LISTEN_FDS descriptors from 3 on,
 * marks them close-on-exec and unsets the LISTEN_* variables. Returns how
 * many (0 if none were passed), or -1 with *cause if one is not a listening
 * stream socket or the variables are malformed.
 */
int notify_listen_fds(int **fds, char **cause);

#endif
