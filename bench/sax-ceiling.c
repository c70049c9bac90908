/*
 * sax-ceiling: libxml2 reading each document as it is, and nothing else.
 * Each FILE is read whole and pushed through libxml2's SAX2 push parser
 * with empty callbacks; nothing is built or kept. The parse benchmark
 * measures `feedmux parse FILE...` against this program on the same files.
 * It was the ceiling of a parser built on libxml2 while such a parser
 * handed libxml2 the document as it is; feedmux hands it a copy in which
 * each run of non-ASCII element text is one character reference (libxml2
 * 2.9 reads such text a character at a time), and can pass it.
 *
 * usage: sax-ceiling [-m] [-w BYTES] FILE...
 * Prints one line: files, bytes, seconds (CPU of the parsing alone, the
 * reading of the files left out), MB/s. Exit status 1 if a file could not
 * be read.
 *
 * -m parses each file from memory in one call (xmlCreateMemoryParserCtxt
 * and xmlParseDocument, the same handlers and options) instead of pushing
 * it in chunks; a comparison, not the ceiling (the push parser is).
 *
 * -w BYTES makes it the floor instead: after each file it also writes its
 * share of BYTES (in proportion to the file's size) to standard output,
 * from one buffer, and prints its line on standard error. Given the size
 * of `feedmux parse`'s output on the same files, it is the least a parser
 * that hands libxml2 the documents as they are can do to give that
 * output: the parse with nothing built, and the write of the bytes, with
 * no item, text or JSON made.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

/* Bytes handed to the parser at a time, as a network read would. */
#define CHUNK	(64 * 1024)

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattrs,
    int ndefaulted, const xmlChar **attrs)
{
	(void)ctx; (void)localname; (void)prefix; (void)uri; (void)nns;
	(void)ns; (void)nattrs; (void)ndefaulted; (void)attrs;
}

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
    const xmlChar *uri)
{
	(void)ctx; (void)localname; (void)prefix; (void)uri;
}

static void
on_text(void *ctx, const xmlChar *s, int len)
{
	(void)ctx; (void)s; (void)len;
}

static void
on_error(void *ctx, const char *fmt, ...)
{
	(void)ctx; (void)fmt;
}

/* The bytes -w writes: what they are does not change what writing costs. */
static char out_buf[64 * 1024];

static int
write_bytes(unsigned long long n)
{
	ssize_t w;
	size_t k;

	while (n > 0) {
		k = n < sizeof out_buf ? (size_t)n : sizeof out_buf;
		if ((w = write(STDOUT_FILENO, out_buf, k)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n -= (unsigned long long)w;
	}
	return 0;
}

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *data;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &sb) == -1 || (data = malloc((size_t)sb.st_size + 1)) ==
	    NULL) {
		close(fd);
		return NULL;
	}
	while (off < (size_t)sb.st_size) {
		if ((n = read(fd, data + off, (size_t)sb.st_size - off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	*len = off;
	return data;
}

int
main(int argc, char **argv)
{
	xmlSAXHandler sax;
	xmlParserCtxtPtr ctxt;
	struct stat sb;
	double start, seconds = 0;
	unsigned long long total = 0, out_total = 0, in_total = 0, written = 0;
	unsigned long long due;
	size_t len, off, n;
	char *data, *end;
	int i = 1, j, files = 0, rc = 0, memory = 0, writes = 0, bad = 0;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-m") == 0)
			memory = 1;
		else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
			errno = 0;
			out_total = strtoull(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || end == argv[i]) {
				bad = 1;
				break;
			}
			writes = 1;
		} else {
			bad = 1;
			break;
		}
	}
	if (bad || argc <= i) {
		fprintf(stderr, "usage: sax-ceiling [-m] [-w BYTES] FILE...\n");
		return 2;
	}
	/* -w: the input's whole size, so that each file's share is known. */
	for (j = i; writes && j < argc; j++)
		if (stat(argv[j], &sb) == 0)
			in_total += (unsigned long long)sb.st_size;
	LIBXML_TEST_VERSION
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.error = on_error;
	sax.warning = on_error;

	for (; i < argc; i++) {
		if ((data = slurp(argv[i], &len)) == NULL) {
			fprintf(stderr, "sax-ceiling: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
			continue;
		}
		start = cpu_seconds();
		if (memory)
			ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
		else
			ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0,
			    argv[i]);
		if (ctxt == NULL) {
			fprintf(stderr, "sax-ceiling: out of memory\n");
			return 1;
		}
		if (memory) {
			/* Its own handler block, as the push one has. */
			memcpy(ctxt->sax, &sax, sizeof sax);
			ctxt->userData = ctxt;
		}
		xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_RECOVER |
		    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (memory)
			xmlParseDocument(ctxt);
		else {
			for (off = 0; off < len; off += n) {
				n = len - off < CHUNK ? len - off : CHUNK;
				xmlParseChunk(ctxt, data + off, (int)n, 0);
			}
			xmlParseChunk(ctxt, NULL, 0, 1);
		}
		xmlFreeParserCtxt(ctxt);
		total += len;
		if (writes && in_total > 0) {
			/* Its share, rounded so that the shares add up to BYTES. */
			due = (unsigned long long)((long double)out_total *
			    (long double)total / (long double)in_total);
			if (due > out_total)
				due = out_total;
			if (due > written) {
				if (write_bytes(due - written) == -1) {
					fprintf(stderr, "sax-ceiling: write: %s\n",
					    strerror(errno));
					return 1;
				}
				written = due;
			}
		}
		seconds += cpu_seconds() - start;
		free(data);
		files++;
	}
	fprintf(writes ? stderr : stdout,
	    "files %d bytes %llu seconds %.3f MB/s %.1f%s\n", files, total,
	    seconds, seconds > 0 ? (double)total / 1e6 / seconds : 0.0,
	    writes ? " (with the writing)" : "");
	return rc;
}
