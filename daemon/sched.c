/* sched.c: being written. */
