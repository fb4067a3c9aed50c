/* strutil.h - small string and file helpers used across repute. */
#ifndef REPUTE_STRUTIL_H
#define REPUTE_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* str_trim - strip ASCII white space at both ends, in place; returns s moved past leading space. */
char *str_trim(char *s);
/* str_lower - ASCII lower-case in place; returns s. */
char *str_lower(char *s);
bool str_startswith(const char *s, const char *prefix);
bool str_istartswith(const char *s, const char *prefix);
/* mem_icasemem - case-insensitive search for needle in the first n bytes of hay. */
const char *mem_icasemem(const char *hay, size_t n, const char *needle);
/* str_json_escape-free helpers live with jansson; this module stays dependency-free. */

/* file_read_all - read a whole file (or stdin when path is "-") into a NUL-terminated
 * heap buffer (caller frees with xfree). Fails with RP_ETOOBIG beyond max bytes, RP_EIO
 * otherwise (errno set). */
int file_read_all(const char *path, size_t max, char **out, size_t *out_len);
/* file_write_atomic - write data to path via a temporary file, fsync and rename. */
int file_write_atomic(const char *path, const void *data, size_t len);

/* sha256_hex - lower-case hex SHA-256 of data into out (65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
