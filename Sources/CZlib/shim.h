/* zlib for Swift. Its init calls are macros, which Swift cannot import, hence the inline wrappers. */
#include <zlib.h>

/* Starts inflating raw DEFLATE (no zlib header or checksum). */
static inline int czlib_inflate_init_raw(z_stream *stream) { return inflateInit2(stream, -15); }
