/* error.h - error codes shared by all repute libraries.
 *
 * Library calls return int: 0 (RP_OK) on success or a negative RP_E* code.
 * rp_strerror() gives a short English text for any code. A failed call has no side effects. */
#ifndef REPUTE_ERROR_H
#define REPUTE_ERROR_H

enum rp_error {
	RP_OK = 0,
	RP_EINVAL = -1,     /* bad argument or malformed input */
	RP_ENOMEM = -2,     /* resource exhausted (only where a limit, not malloc, fails) */
	RP_EIO = -3,        /* read/write failed; errno holds the cause */
	RP_ENOTFOUND = -4,  /* no such entry */
	RP_ETOOBIG = -5,    /* input exceeds a configured limit */
	RP_EPARSE = -6,     /* syntax error; a diagnostics struct says where */
	RP_ENOTMAIL = -7,   /* input is not an Internet mail message */
	RP_ESKIP = -8,      /* parsed, but not applicable (e.g. a Received line that is not a relay hop) */
	RP_EEXIST = -9,     /* already present */
	RP_EDB = -10,       /* database error */
	RP_EUNSUPP = -11,   /* valid but unsupported */
};

/* rp_strerror - text for an RP_E* code; never NULL. */
const char *rp_strerror(int code);

/* rp_diag: where and why a parser stopped or warned. Parsers fill it instead of logging. */
struct rp_diag {
	unsigned long line;   /* 1-based line, 0 if unknown */
	unsigned long offset; /* byte offset, if known */
	char reason[160];
};

/* rp_diag_set - record a reason (printf-style) with a position; diag may be NULL. */
void rp_diag_set(struct rp_diag *diag, unsigned long line, unsigned long offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
