// Audio files (WAV, FLAC, OGG Vorbis/Opus, MP3: libsndfile) and resampling (libsamplerate),
// both from Debian (libsndfile1-dev, libsamplerate0-dev).
#include <sndfile.h>
#include <samplerate.h>
