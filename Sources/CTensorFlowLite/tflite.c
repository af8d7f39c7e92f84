// The declarations of include/hearth_tflite.h are implemented by libtensorflowlite_c.so.
#include "hearth_tflite.h"
