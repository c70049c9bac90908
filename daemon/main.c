/* main.c: being written. */
