/* error.c - texts for the RP_E* error codes and the parser diagnostics helper. */
#include <stdarg.h>
#include <stdio.h>

#include "repute/error.h"

/* rp_strerror - text for an RP_E* code. */
const char *rp_strerror(int code)
{
	switch (code) {
	case RP_OK: return "success";
	case RP_EINVAL: return "invalid argument or input";
	case RP_ENOMEM: return "out of resources";
	case RP_EIO: return "input/output error";
	case RP_ENOTFOUND: return "not found";
	case RP_ETOOBIG: return "input exceeds a limit";
	case RP_EPARSE: return "syntax error";
	case RP_ENOTMAIL: return "not a mail message";
	case RP_ESKIP: return "not applicable";
	case RP_EEXIST: return "already exists";
	case RP_EDB: return "database error";
	case RP_EUNSUPP: return "not supported";
	}
	return "unknown error";
}

/* rp_diag_set - record a positioned reason. */
void rp_diag_set(struct rp_diag *diag, unsigned long line, unsigned long offset, const char *fmt, ...)
{
	va_list ap;

	if (diag == NULL)
		return;
	diag->line = line;
	diag->offset = offset;
	va_start(ap, fmt);
	vsnprintf(diag->reason, sizeof(diag->reason), fmt, ap);
	va_end(ap);
}
