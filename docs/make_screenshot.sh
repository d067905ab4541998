#!/bin/sh
# Remake docs/sandbox.png: start the sandbox, photograph it with headless Chromium, stop it.
# Needs the sandbox extra (pip install -e '.[sandbox]') and Chromium from Debian's packages
# (sudo apt-get install -y chromium). Run it from anywhere:
#   sh docs/make_screenshot.sh
#   PYTHON=.venv/bin/python CHROMIUM=chromium OUT=/tmp/shot.png sh docs/make_screenshot.sh
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
CHROMIUM=${CHROMIUM:-chromium}
OUT=${OUT:-docs/sandbox.png}
log=$(mktemp)
profile=$(mktemp -d)

# The sandbox as `python bot.py --sandbox` starts it, plus one real command so the
# picture shows the bot answering: the advocate runs /officehours upcoming in #general.
"$PYTHON" - >"$log" 2>&1 <<'PY' &
import asyncio
import signal

from bot import create_bot
from sandbox.server import open_sandbox


async def main() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with open_sandbox(None, None, create_bot=create_bot) as sandbox:
        world = sandbox.world
        await world.you.slash(world.general, "officehours upcoming")
        await sandbox.preview.refresh()
        print(sandbox.url, flush=True)
        await stop.wait()


asyncio.run(main())
PY
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$log" "$profile"' EXIT INT TERM

url=""
for _ in $(seq 150); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/#[A-Za-z0-9_-]*' "$log" | head -n 1 || true)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$url" ]; then
    echo "The sandbox did not start:" >&2
    cat "$log" >&2
    exit 1
fi

# --virtual-time-budget lets the page fetch its state and render before the shot.
"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --window-size=1280,800 \
    --virtual-time-budget=8000 --screenshot="$OUT" "$url" 2>/dev/null
echo "Wrote $OUT"
