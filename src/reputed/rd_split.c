/* rd_split.c - one report per attached original: a message that forwards several spams as
 * message/rfc822 attachments is split into those originals (each stored as its own report
 * with its own raw bytes), for the SMTP intake. ARF reports (multipart/report) carry one
 * original and are never split; a message with one or no attached message stays whole
 * (the evidence engine finds the original inside). GMime is initialised by the message
 * module; g_mime_init() is reference counted, so calling it here too is harmless. */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "repute/alloc.h"

#include "rd.h"

struct split_ctx {
	struct buf *out;
	size_t n, max;
};

static pthread_once_t split_once = PTHREAD_ONCE_INIT;

/* split_init - make sure GMime is initialised before the first parse. */
static void split_init(void)
{
	g_mime_init();
}

/* collect_part - foreach callback: keep the raw bytes of every attached message. */
static void collect_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct split_ctx *ctx = data;

	if (!GMIME_IS_MESSAGE_PART(part) || ctx->n >= ctx->max)
		return;
	GMimeMessage *em = g_mime_message_part_get_message((GMimeMessagePart *)part);
	if (em == NULL)
		return;
	GMimeStream *ms = g_mime_stream_mem_new();
	g_mime_object_write_to_stream((GMimeObject *)em, NULL, ms);
	GByteArray *arr = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)ms);
	if (arr != NULL && arr->len > 0) {
		buf_init(&ctx->out[ctx->n]);
		buf_append(&ctx->out[ctx->n], arr->data, arr->len);
		ctx->n++;
	}
	g_object_unref(ms);
}

/* count_ci - occurrences of the lower-case needle in data, ignoring case, stopping at stop. */
static size_t count_ci(const char *data, size_t len, const char *needle, size_t stop)
{
	size_t n = strlen(needle), found = 0;

	for (size_t i = 0; i + n <= len && found < stop; i++)
		if ((data[i] | 0x20) == needle[0] && strncasecmp(data + i, needle, n) == 0)
			found++;
	return found;
}

/* may_split - false when the text cannot hold two attached messages (fewer than two
 * "message/" types and no multipart/digest, whose parts are messages by default), which
 * spares most reports a full MIME parse. */
static bool may_split(const char *data, size_t len)
{
	return count_ci(data, len, "message/", 2) >= 2 || count_ci(data, len, "digest", 1) >= 1;
}

/* rd_split_originals - the attached originals when there are two or more, else 0. */
size_t rd_split_originals(const char *data, size_t len, struct buf *out, size_t max)
{
	struct split_ctx ctx = { .out = out, .max = max };

	if (!may_split(data, len))
		return 0;
	pthread_once(&split_once, split_init);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_object_unref(stream);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg == NULL)
		return 0;
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	GMimeContentType *ct = top ? g_mime_object_get_content_type(top) : NULL;
	if (ct != NULL && !g_mime_content_type_is_type(ct, "multipart", "report"))
		g_mime_message_foreach(msg, collect_part, &ctx);
	g_object_unref(msg);
	if (ctx.n < 2) {
		for (size_t i = 0; i < ctx.n; i++)
			buf_fini(&out[i]);
		return 0;
	}
	return ctx.n;
}
