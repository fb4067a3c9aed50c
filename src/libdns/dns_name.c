/* dns_name.c - DNS names in wire form: conversion from and to dotted text, comparison and
 * zone membership. Names handled here are at most DNS_MAXNAME bytes; nothing allocates. */
#include <stdio.h>
#include <string.h>

#include "repute/error.h"
#include "repute/dns.h"

/* lower - ASCII lower case of one byte. */
static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* dns_name_from_text - dotted text to a lower-cased wire name; returns its length. */
int dns_name_from_text(const char *text, uint8_t *out)
{
	size_t n = 0, tl = strlen(text);

	if (tl > 0 && text[tl - 1] == '.')
		tl--;
	if (tl == 0) {
		out[0] = 0;
		return 1;
	}
	size_t i = 0;
	while (i <= tl) {
		size_t j = i;
		while (j < tl && text[j] != '.')
			j++;
		size_t l = j - i;
		if (l == 0 || l > DNS_MAXLABEL || n + 1 + l + 1 > DNS_MAXNAME)
			return RP_EINVAL;
		out[n++] = (uint8_t)l;
		for (size_t k = i; k < j; k++)
			out[n++] = lower((uint8_t)text[k]);
		i = j + 1;
	}
	out[n++] = 0;
	return (int)n;
}

/* dns_name_to_text - wire name to dotted text, escaping dots and unprintable bytes. */
int dns_name_to_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t n = 0, i = 0;

	if (cap < 2)
		return RP_ETOOBIG;
	if (len == 0 || name[0] == 0) {
		out[0] = '.';
		out[1] = 0;
		return 1;
	}
	while (i < len && name[i] != 0) {
		size_t l = name[i++];
		if (n > 0) {
			if (n + 1 >= cap)
				return RP_ETOOBIG;
			out[n++] = '.';
		}
		for (size_t k = 0; k < l && i < len; k++, i++) {
			uint8_t c = name[i];
			if (n + 5 >= cap)
				return RP_ETOOBIG;
			if (c == '.' || c == '\\')
				n += (size_t)snprintf(out + n, cap - n, "\\%c", c);
			else if (c <= ' ' || c >= 0x7f)
				n += (size_t)snprintf(out + n, cap - n, "\\%03u", c);
			else
				out[n++] = (char)c;
		}
	}
	out[n] = 0;
	return (int)n;
}

/* dns_name_is_subdomain - whether a lower-cased name ends with the lower-cased zone. */
bool dns_name_is_subdomain(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen,
			   size_t *prefix_len)
{
	size_t i = 0;

	if (zlen > len)
		return false;
	while (len - i > zlen) {
		i += 1 + (size_t)name[i];
		if (i >= len)
			return false;
	}
	if (len - i != zlen || memcmp(name + i, zone, zlen) != 0)
		return false;
	if (prefix_len)
		*prefix_len = i;
	return true;
}

/* dns_name_equal - case-insensitive equality of two wire names. */
bool dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}
