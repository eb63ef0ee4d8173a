// hiredis (Debian: libhiredis-dev, 0.14). Linked from this module map rather than through pkg-config,
// whose -D_FILE_OFFSET_BITS=64 SwiftPM would reject with a warning on every build.
#include <hiredis/hiredis.h>

// REDIS_OK and REDIS_ERR are macros Swift imports; the reply types too. Nothing else is needed here.
