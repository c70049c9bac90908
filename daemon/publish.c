/* publish.c: being written. */
