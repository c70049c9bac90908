/*
 * daemon: the running feedmux. It owns the event loop and wires the modules
 * together along the one way data flows: sched says a feed is due, fetch
 * brings its bytes, parse reads them, ingest stores and filters the items,
 * publish renders the outputs, http serves them.
 */
#ifndef FEEDMUX_DAEMON_H
#define FEEDMUX_DAEMON_H

/* `feedmux serve`: runs until SIGTERM or SIGINT; returns the exit status. */
int daemon_serve(const char *config_path);
/* `feedmux poll`: one fetch of every feed, a line per feed on stdout. */
int daemon_poll(const char *config_path);

#endif
