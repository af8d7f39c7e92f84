#!/usr/bin/env bash
# openWakeWord: TensorFlow Lite's C library and the wake-word models ("hey jarvis", "alexa",
# "hey mycroft", … and the two feature models they share), from PyPI's `pyopen-wakeword`
# wheel (sha256-checked), unpacked once per version outside the work tree.
# `scripts/setup-wakeword.sh --prefix` prints the prefix (lib/, models/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=1.1.0
wheel=pyopen_wakeword-$version-py3-none-manylinux_2_35_x86_64.whl
sha256=754347a59de2b3d378a0cbc404a8b41164036e74fa1c185f88056974e4bfb6b4
cache=${HEARTH_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-setup}
prefix=$cache/openwakeword-$version

if [ "${1:-}" = "--prefix" ]; then echo "$prefix"; exit 0; fi
[ -f "$prefix/.done" ] && exit 0

python3 "$here/pypi-fetch.py" pyopen-wakeword "$wheel" "$sha256" "$cache/downloads"
rm -rf "$prefix.tmp" && mkdir -p "$prefix.tmp"
python3 "$here/pypi-unpack.py" "$cache/downloads/$wheel" "$prefix.tmp" pyopen_wakeword lib models
rm -rf "$prefix" && mv "$prefix.tmp" "$prefix" && touch "$prefix/.done"
