#!/usr/bin/env bash
# Starts the compiled binary alone (copied away from the source tree and node_modules) on a free port with a
# temp data dir, registers and logs in over HTTP, then stops it with SIGTERM and expects exit code 0.
set -euo pipefail
binary=$(realpath "${1:-dist/parley}")
work=$(mktemp -d)
trap '[ -n "${pid:-}" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cp "$binary" "$work/parley"
cd "$work"

./parley version
./parley --port 0 --host 127.0.0.1 --data-dir "$work/data" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  url=$(grep -o '"url":"[^"]*"' "$work/log" | head -1 | cut -d'"' -f4 || true)
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "$url" ] || { echo "binary did not start:"; cat "$work/log"; exit 1; }
echo "listening at $url"

curl -fsS "$url/healthz" | grep -q '"ok"'
curl -fsS -X POST "$url/api/register/" -H 'content-type: application/json' \
  -d '{"username":"smoke","email":"smoke@example.com","password":"smoke-password","first_name":"Smoke","last_name":"Test"}' | grep -q '"User Created Successfully"'
access=$(curl -fsS -X POST "$url/api/login/" -H 'content-type: application/json' \
  -d '{"email":"smoke@example.com","password":"smoke-password"}' | sed -E 's/.*"access":"([^"]+)".*/\1/')
curl -fsS "$url/api/users/protected/" -H "authorization: Bearer $access" | grep -q '"Access granted!"'
curl -fsS "$url/swagger/json" | grep -q '"openapi"'
# The web client is embedded: the page and every asset it names are served with no source tree beside the binary.
page=$(curl -fsS -D "$work/page-headers" "$url/")
grep -qi '^content-security-policy: .*script-src .self.' "$work/page-headers" || { echo "GET / has no CSP"; exit 1; }
assets=$(printf '%s' "$page" | grep -oE '(src|href)="[^"]+\.(js|css)"' | cut -d'"' -f2)
[ "$(printf '%s\n' "$assets" | grep -c .)" -ge 2 ] || { echo "GET / names no script and stylesheet: $page"; exit 1; }
for asset in $assets; do curl -fsS -o /dev/null "$url/${asset#/}" || { echo "asset $asset not served"; exit 1; }; done
[ "$(stat -c %a "$work/data/jwt-secret")" = "600" ] || { echo "jwt-secret is not mode 0600"; exit 1; }

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || { echo "binary exited with $status after SIGTERM"; cat "$work/log"; exit 1; }
echo "smoke test passed"
