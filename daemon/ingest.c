/* ingest.c: being written. */
