#!/usr/bin/env bash
# Builds whisper.cpp (speech to text) from the source inside the pinned PyPI package
# pywhispercpp into a cache outside the work tree, with the CPU options llama.cpp gets, as
# one shared library, libhearth-whisper.so, that exports whisper_* and nothing else:
# whisper.cpp carries its own copy of ggml (another version), which must not meet llama.cpp's
# in the hearth process. (A static archive with the other symbols made local does not link:
# C++ inline functions live in COMDAT groups that the linker merges with llama.cpp's.)
# With --cli it also builds whisper-cli from the same build (the benchmark's peer).
# `scripts/setup-whisper.sh --prefix` prints the prefix it fills; `--source` the source tree.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
package=pywhispercpp-1.5.1
sha=5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5
cache=${HEARTH_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-setup}
cpu_options=$("$here/ggml-cpu-options.sh")
# whisper.cpp as it ships (OpenMP on), as whisper-cli is; Hearth runs one transcription per
# model at a time, so OpenMP's teams do not multiply.
options="$cpu_options -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF -DWHISPER_BUILD_EXAMPLES=ON -DWHISPER_CURL=OFF -DWHISPER_SDL2=OFF"
build_key=$(echo "$options" | sha256sum | cut -c1-12)
key=$(echo "$options shared-library" | sha256sum | cut -c1-12)
prefix=$cache/whisper.cpp-1.8.5-$key
src=$cache/src/$package/whisper.cpp
jobs=$(nproc)

case "${1:-}" in
  --prefix) echo "$prefix"; exit 0 ;;
  --source) echo "$src"; exit 0 ;;
esac
want_cli=no; [ "${1:-}" = "--cli" ] && want_cli=yes

if [ -f "$prefix/.done" ] && { [ $want_cli = no ] || [ -x "$prefix/bin/whisper-cli" ]; }; then
  exit 0
fi

python3 "$here/pypi-fetch.py" pywhispercpp "$package.tar.gz" "$sha" "$cache/downloads"
if [ ! -d "$src" ]; then
  mkdir -p "$cache/src"
  tar xzf "$cache/downloads/$package.tar.gz" -C "$cache/src"
fi

build=$cache/build/whisper.cpp-$build_key
log=$build.log
mkdir -p "$build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON $options >"$log" 2>&1 || { tail -30 "$log"; exit 1; }
fi

if [ ! -f "$prefix/.done" ]; then
  echo "==> building whisper.cpp 1.8.5 (speech to text, about 3 minutes on 2 cores)"
  cmake --build "$build" --target whisper -j "$jobs" >>"$log" 2>&1 || { tail -30 "$log"; exit 1; }
  rm -rf "$prefix.tmp" && mkdir -p "$prefix.tmp/lib" "$prefix.tmp/include"
  archives=$(find "$build" -name 'libwhisper.a' -o -name 'libggml*.a' | sort)
  printf '{ global: whisper_*; local: *; };\n' >"$build/exports.map"
  c++ -shared -o "$prefix.tmp/lib/libhearth-whisper.so" -Wl,--whole-archive $archives -Wl,--no-whole-archive \
    -Wl,--version-script="$build/exports.map" -Wl,-soname,libhearth-whisper.so -fopenmp -lpthread -lm -ldl >>"$log" 2>&1 \
    || { tail -30 "$log"; exit 1; }
  cp "$src"/include/whisper.h "$src"/ggml/include/*.h "$prefix.tmp/include/"
  cp "$src/samples/jfk.wav" "$prefix.tmp/"
  rm -rf "$prefix" && mv "$prefix.tmp" "$prefix" && touch "$prefix/.done"
fi

if [ $want_cli = yes ] && [ ! -x "$prefix/bin/whisper-cli" ]; then
  echo "==> building whisper-cli from the same build (benchmark peer, about 1 minute)"
  cmake --build "$build" --target whisper-cli -j "$jobs" >>"$log" 2>&1 || { tail -30 "$log"; exit 1; }
  mkdir -p "$prefix/bin" && cp "$build/bin/whisper-cli" "$prefix/bin/"
fi
