/*
 * status: `feedmux status`, the feeds' health as a table for a shell
 * without a browser. It reads what the daemon recorded in the database and
 * changes nothing there.
 */
#ifndef FEEDMUX_STATUS_H
#define FEEDMUX_STATUS_H

#include <stdint.h>
#include <stdio.h>

struct config;

/*
 * Prints a line per feed of the config: its state (ok, failing, new), last
 * and next poll relative to now, items stored, and the last error or HTTP
 * status; then a summary line. Returns the number of failing feeds, or -1
 * with *cause (no database yet, or it cannot be read).
 */
int status_print(FILE *, const struct config *, int64_t now, char **cause);

#endif
