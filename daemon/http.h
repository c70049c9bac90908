/*
 * http: the output server, on libevent's evhttp. It routes requests to what
 * publish has rendered and handles HTTP itself (methods, conditional GET);
 * it renders nothing.
 */
#ifndef FEEDMUX_HTTP_H
#define FEEDMUX_HTTP_H

#include <stdint.h>

struct event_base;
struct publisher;
struct publish_status;
struct httpd;

/* Binds host:port (port 0: any free one); NULL with *cause on failure. */
struct httpd *http_new(struct event_base *, const char *host, uint16_t port,
    struct publisher *, const struct publish_status *, char **cause);
void http_free(struct httpd *);
/* The port actually bound. */
uint16_t http_port(const struct httpd *);

#endif
