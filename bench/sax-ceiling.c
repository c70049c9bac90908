/*
 * sax-ceiling: the fastest any libxml2-based feed parser can be. Each FILE
 * is read whole and pushed through libxml2's SAX2 push parser with empty
 * callbacks; nothing is built or kept. The parse benchmark measures
 * `feedmux parse FILE...` against this program on the same files.
 *
 * usage: sax-ceiling [-m] FILE...
 * Prints one line: files, bytes, seconds (CPU of the parsing alone, the
 * reading of the files left out), MB/s. Exit status 1 if a file could not
 * be read.
 *
 * -m parses each file from memory in one call (xmlCreateMemoryParserCtxt
 * and xmlParseDocument, the same handlers and options) instead of pushing
 * it in chunks; a comparison, not the ceiling (the push parser is).
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
	double start, seconds = 0;
	unsigned long long total = 0;
	size_t len, off, n;
	char *data;
	int i = 1, files = 0, rc = 0, memory = 0;

	if (argc > 1 && strcmp(argv[1], "-m") == 0) {
		memory = 1;
		i++;
	}
	if (argc <= i) {
		fprintf(stderr, "usage: sax-ceiling [-m] FILE...\n");
		return 2;
	}
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
		seconds += cpu_seconds() - start;
		free(data);
		total += len;
		files++;
	}
	printf("files %d bytes %llu seconds %.3f MB/s %.1f\n", files, total,
	    seconds, seconds > 0 ? (double)total / 1e6 / seconds : 0.0);
	return rc;
}
