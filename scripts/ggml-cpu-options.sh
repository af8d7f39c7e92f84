#!/usr/bin/env bash
# Prints the CMake options that tune ggml for this CPU; llama.cpp and whisper.cpp are built
# with the same ones (scripts/setup-llama.sh, scripts/setup-whisper.sh).
# Tuned from the CPU's flags rather than GGML_NATIVE: -march=native would also enable AMX,
# whose kernels crash llama.cpp on the virtual machines we run on (both our engine and
# llama-server die with SIGSEGV in ggml_backend_amx_mul_mat).
set -euo pipefail
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { case "$flags" in *" $1 "*) echo ON ;; *) echo OFF ;; esac; }
avx512=OFF
[ "$(has avx512f)$(has avx512cd)$(has avx512vl)$(has avx512dq)$(has avx512bw)" = ONONONONON ] && avx512=ON
cpu_options="-DGGML_NATIVE=OFF -DGGML_SSE42=$(has sse4_2) -DGGML_AVX=$(has avx) -DGGML_AVX2=$(has avx2) \
  -DGGML_FMA=$(has fma) -DGGML_F16C=$(has f16c) -DGGML_BMI2=$(has bmi2) -DGGML_AVX_VNNI=$(has avx_vnni) \
  -DGGML_AVX512=$avx512 -DGGML_AVX512_VBMI=$(has avx512vbmi) -DGGML_AVX512_VNNI=$(has avx512_vnni) \
  -DGGML_AVX512_BF16=$(has avx512_bf16) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
echo "$cpu_options"
