/* match.c: being written. */
