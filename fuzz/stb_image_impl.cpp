// stb_image compiled into the image fuzzer itself, so that libFuzzer sees
// its branches (coverage) and AddressSanitizer its memory accesses. Its
// definitions take the place of Debian's prebuilt libstb in that program
// only; every other build uses libstb as it is.
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
