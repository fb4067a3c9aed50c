# ports.sh - free_ports N: print N distinct ports that are free for TCP and UDP on 127.0.0.1
# and ::1 right now (sourced by integration tests). Ports come from 10000-31999, below the
# kernel's ephemeral range, so outgoing connections of tests running in parallel (dig, curl,
# swaks) cannot take them between the check and the daemon's bind; a fixed formula such as
# 20000 + $$ % 20000 collided with exactly those.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
n, out, rng = int(sys.argv[1]), [], random.SystemRandom()
while len(out) < n:
    p = rng.randrange(10000, 32000)
    if p in out:
        continue
    ok = True
    for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(fam, kind)
            try:
                s.bind((addr, p))
            except OSError:
                ok = False
            finally:
                s.close()
    if ok:
        out.append(p)
print(" ".join(map(str, out)))
PY
}
