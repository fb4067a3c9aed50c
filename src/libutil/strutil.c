/* strutil.c - string, file and hashing helpers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "repute/alloc.h"
#include "repute/error.h"
#include "repute/strutil.h"

char *str_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

char *str_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

bool str_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_istartswith(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

const char *mem_icasemem(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);

	if (m == 0)
		return hay;
	for (size_t i = 0; i + m <= n; i++)
		if (strncasecmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

int file_read_all(const char *path, size_t max, char **out, size_t *out_len)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = max < 65536 ? max : 65536;
	char *data;

	if (fd < 0)
		return RP_EIO;
	data = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap >= max)
				break;
			cap = cap * 2 > max ? max : cap * 2;
			data = xrealloc(data, cap + 1);
		}
		ssize_t n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			if (fd)
				close(fd);
			xfree(data);
			errno = err;
			return RP_EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == cap && cap >= max) {
		char extra;
		ssize_t n = read(fd, &extra, 1);
		if (n > 0) {
			if (fd)
				close(fd);
			xfree(data);
			return RP_ETOOBIG;
		}
	}
	if (fd)
		close(fd);
	data[len] = '\0';
	*out = data;
	*out_len = len;
	return RP_OK;
}

int file_write_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *p = data;
	int rc = RP_OK;

	if (fd < 0) {
		xfree(tmp);
		return RP_EIO;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = RP_EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (rc == RP_OK && fsync(fd) != 0)
		rc = RP_EIO;
	if (close(fd) != 0)
		rc = RP_EIO;
	if (rc == RP_OK && rename(tmp, path) != 0)
		rc = RP_EIO;
	if (rc != RP_OK) {
		int err = errno;
		unlink(tmp);
		errno = err;
	}
	xfree(tmp);
	return rc;
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, data, len);
	sodium_bin2hex(out, 65, digest, sizeof(digest));
}
