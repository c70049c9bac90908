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

/*
 * Binds host:port (port 0: any free one); NULL with *cause on failure. With
 * host NULL it binds nothing: the sockets come from http_listen_fd.
 */
struct httpd *http_new(struct event_base *, const char *host, uint16_t port,
    struct publisher *, const struct publish_status *, char **cause);
/* Serves on a socket that already listens (systemd socket activation). */
int http_listen_fd(struct httpd *, int fd, char **cause);
void http_free(struct httpd *);
/* The port actually bound (of the first socket; 0 for a unix socket). */
uint16_t http_port(const struct httpd *);

#endif
