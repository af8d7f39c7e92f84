#!/usr/bin/env bash
# sherpa-onnx (text to speech with Piper voices) from PyPI's `sherpa-onnx-core` wheel
# (sha256-checked): its C API header and its two libraries (libsherpa-onnx-c-api.so, which
# finds libonnxruntime.so beside it), unpacked once per version outside the work tree.
# Phonemes come from Debian's espeak-ng (the wheel has no espeak since 2.0).
# `scripts/setup-sherpa.sh --prefix` prints the prefix.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=2.0.1
wheel=sherpa_onnx_core-$version-py3-none-manylinux2014_x86_64.whl
sha256=f4ee0ab91c4ae596e0e49d7de32522a946295e038a652f1c1884d89014ee4ec2
cache=${HEARTH_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-setup}
prefix=$cache/sherpa-onnx-$version

if [ "${1:-}" = "--prefix" ]; then echo "$prefix"; exit 0; fi
[ -f "$prefix/.done" ] && exit 0

python3 "$here/pypi-fetch.py" sherpa-onnx-core "$wheel" "$sha256" "$cache/downloads"
rm -rf "$prefix.tmp" && mkdir -p "$prefix.tmp"
python3 "$here/pypi-unpack.py" "$cache/downloads/$wheel" "$prefix.tmp" sherpa_onnx lib include
rm -rf "$prefix" && mv "$prefix.tmp" "$prefix" && touch "$prefix/.done"
