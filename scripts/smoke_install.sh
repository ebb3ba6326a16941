#!/usr/bin/env bash
# The README's first command as a new user meets it: `pip install .` alone (no extras) in a
# throw-away virtual environment, then what `make run` does (migrate, demo, serve) on a temporary
# SQLite database, and the pages a new user opens first. Fails if any step or page fails.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${PY:-python3}"
WORK="$(mktemp -d -t gongzhi-smoke-XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { printf '\n--- smoke: %s (%ss)\n' "$1" "$SECONDS"; }

step "fresh virtual environment, pip install . (no extras)"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# A copy of the tree, so that nothing the checkout holds (a .venv, var/, build/) takes part.
mkdir "$WORK/src"
(cd "$ROOT" && git ls-files -z 2>/dev/null | tar --null -T - -cf - 2>/dev/null || tar --exclude=.venv --exclude=var -cf - .) \
  | tar -xf - -C "$WORK/src"
"$WORK/venv/bin/pip" install -q "$WORK/src" 2>&1 | grep -v "^WARNING: Location" || true
"$WORK/venv/bin/python" -c "import gongzhi, sys; assert 'site-packages' in gongzhi.__file__, gongzhi.__file__"

# Only what `make run` sets: no GONGZHI_* or DATABASE_URL from the caller's environment.
for v in $(env | grep -oE '^(GONGZHI_[A-Z0-9_]*|DATABASE_URL|DJANGO_SETTINGS_MODULE)' || true); do unset "$v"; done
export GONGZHI_VAR_DIR="$WORK/var"
mkdir -p "$GONGZHI_VAR_DIR"
cd "$WORK"
G="$WORK/venv/bin/gongzhi"

step "gongzhi migrate"
"$G" migrate --noinput -v0
step "gongzhi demo --if-empty"
"$G" demo --if-empty -v0 >"$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }

PORT="$("$WORK/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
step "gongzhi serve --port $PORT"
setsid "$G" serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!

"$WORK/venv/bin/python" - "$PORT" "$WORK/serve.log" <<'PYEOF'
import json, sys, time, urllib.error, urllib.request

port, log = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"


def get(path, timeout=10):
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as r:
            return r.status, r.geturl(), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.geturl(), e.read()


deadline = time.time() + 90
while True:
    try:
        status, _, _ = get("/healthz", timeout=2)
        if status == 200:
            break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("the server did not answer /healthz within 90 s:\n" + open(log).read()[-4000:])
    time.sleep(0.5)

failures = []


def check(path, expect_json=False, contains=None, final=None):
    status, url, body = get(path)
    ok = status == 200
    if ok and expect_json:
        try:
            json.loads(body)
        except ValueError:
            ok = False
    if ok and contains is not None:
        ok = contains.encode() in body
    if ok and final is not None:
        ok = final in url
    print(f"  {'ok  ' if ok else 'FAIL'} GET {path} -> {status} {url.replace(base, '')} ({len(body)} bytes)")
    if not ok:
        failures.append(path)


check("/", contains="/requests/new/")  # logged out, the home page is the public landing: raise a request
check("/login/", contains="csrfmiddlewaretoken")
check("/healthz", expect_json=True)
check("/open311/v2/services.json", expect_json=True)
check("/api/v1/openapi.json", expect_json=True, contains='"openapi"')
check("/static/gongzhi/app.css")
# Ready: the worker started by serve beats within a few seconds.
deadline = time.time() + 30
while True:
    status, _, body = get("/readyz")
    if status == 200 or time.time() > deadline:
        break
    time.sleep(1)
print(f"  {'ok  ' if status == 200 else 'FAIL'} GET /readyz -> {status} {body.decode()[:300]}")
if status != 200:
    failures.append("/readyz")
served = open(log).read()
if "demo logins" not in served:
    failures.append("serve did not print the demo logins for the demo database")
if failures:
    sys.exit("smoke test failed: " + ", ".join(failures) + "\n--- serve log ---\n" + served[-4000:])
PYEOF

step "stop the server"
kill -TERM "$SERVER_PID"
for _ in $(seq 1 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$SERVER_PID" 2>/dev/null; then echo "serve did not stop within 20 s of SIGTERM"; exit 1; fi
SERVER_PID=""
step "passed: a fresh install serves the demo district"
