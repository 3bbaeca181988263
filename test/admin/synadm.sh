#!/usr/bin/env bash
# Uses Hearth's admin API the way a new admin would: generate a config, start the
# server, create an admin with `hearth register-user`, log in, then configure synadm
# (the Synapse admin CLI, Debian package `synadm`) against it and run
# `user list`, `user details`, `room list` and `room details`.
# Skips (exit 0) when synadm is not installed. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUN="$ROOT/node_modules/.bin/bun"

if ! command -v synadm >/dev/null; then
  echo "synadm is not installed: skipped"
  echo "0 passed, 0 failed"
  exit 0
fi

WORK=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
BASE="http://127.0.0.1:$PORT"
SERVER=synadm.test
PASSED=0
FAILED=0
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && echo "$2" | head -20 | sed 's/^/    /'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$BUN" src/main.ts generate-config --server-name "$SERVER" --config "$WORK/hs.yaml" --data-dir "$WORK/data" >/dev/null || { echo "generate-config failed"; echo "0 passed, 1 failed"; exit 1; }
sed -i "s/port: 8008/port: $PORT/; s#localhost:8008#127.0.0.1:$PORT#" "$WORK/hs.yaml"
"$BUN" src/main.ts --config "$WORK/hs.yaml" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE/_matrix/client/versions" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! curl -fsS "$BASE/_matrix/client/versions" >/dev/null 2>&1; then
  echo "Hearth did not start"; cat "$WORK/server.log"; echo "0 passed, 1 failed"; exit 1
fi

"$BUN" src/main.ts register-user -c "$WORK/hs.yaml" -a -u admin -p "admin-password-1" "$BASE" >/dev/null \
  && "$BUN" src/main.ts register-user -c "$WORK/hs.yaml" --no-admin -u alice -p "alice-password-1" "$BASE" >/dev/null \
  && ok "register-user created an admin and a user" || not_ok "register-user"

TOKEN=$(curl -fsS -X POST "$BASE/_matrix/client/v3/login" -H 'content-type: application/json' \
  -d '{"type":"m.login.password","identifier":{"type":"m.id.user","user":"admin"},"password":"admin-password-1"}' | json 'd["access_token"]')
[ -n "$TOKEN" ] && ok "admin logged in" || not_ok "admin login"
ROOM=$(curl -fsS -X POST "$BASE/_matrix/client/v3/createRoom" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"Synadm Test Room","preset":"public_chat"}' | json 'd["room_id"]')
[ -n "$ROOM" ] && ok "created a room" || not_ok "createRoom"

CFG="$WORK/synadm.yaml"
SYNADM=(synadm --batch -c "$CFG")
if out=$("${SYNADM[@]}" config -u admin -t "$TOKEN" -b "$BASE" -p /_synapse/admin -m /_matrix -o json -w 10 -d well-known -n "$SERVER" 2>&1); then
  ok "synadm config"
else
  not_ok "synadm config" "$out"
fi

check() {
  local name=$1 expect=$2; shift 2
  local out
  if out=$("${SYNADM[@]}" -o json "$@" 2>&1) && grep -qF -- "$expect" <<<"$out" && ! grep -q "returned status code" <<<"$out"; then
    ok "$name"
  else
    not_ok "$name (expected to see $expect)" "$out"
  fi
}
check "synadm user list" "\"@admin:$SERVER\"" user list
check "synadm user list shows alice" "\"@alice:$SERVER\"" user list
check "synadm user details" "\"name\": \"@alice:$SERVER\"" user details "@alice:$SERVER"
check "synadm room list" "$ROOM" room list
check "synadm room details" "Synadm Test Room" room details "$ROOM"
check "synadm version" "Hearth" version

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
