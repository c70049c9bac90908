/* http.c: being written. */
