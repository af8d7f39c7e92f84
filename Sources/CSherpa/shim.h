// sherpa-onnx's C API (Piper voices on onnxruntime; scripts/setup-sherpa.sh) and espeak-ng
// (Debian's libespeak-ng-dev), which turns text into the phonemes Piper voices read.
#include <sherpa-onnx/c-api/c-api.h>
#include <espeak-ng/speak_lib.h>
