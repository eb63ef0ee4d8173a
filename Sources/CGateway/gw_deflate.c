/* Raw DEFLATE (RFC 1951) of a state frame's shared bytes, compressed once for every client that asked
 * for compressed frames. See gw_deflate_blocks in gw_transport.h. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gw_transport.h"

uint8_t *gw_deflate_blocks(const uint8_t *data, size_t length, size_t block_bytes, int level, size_t *offsets,
                           size_t *out_length) {
    if (block_bytes == 0 || block_bytes > UINT32_MAX) {
        return NULL;
    }
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* Negative window bits: raw DEFLATE, no zlib header or checksum, because a block is spliced into
     * many clients' streams at different positions. */
    if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return NULL;
    }
    size_t blocks = (length + block_bytes - 1) / block_bytes;
    /* deflateBound covers one stream; each full flush adds at most a few bytes more. */
    size_t capacity = deflateBound(&z, (uLong)length) + 16 * (blocks + 1);
    uint8_t *out = malloc(capacity ? capacity : 1);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_out = out;
    z.avail_out = (uInt)capacity;
    offsets[0] = 0;
    for (size_t b = 0; b < blocks; b++) {
        size_t start = b * block_bytes;
        size_t size = length - start < block_bytes ? length - start : block_bytes;
        z.next_in = (Bytef *)(data + start);
        z.avail_in = (uInt)size;
        /* A full flush ends the block on a byte boundary and clears the history, so no later block
         * refers back into it: each block inflates after any byte-aligned prefix. */
        if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in != 0 || z.avail_out == 0) {
            free(out);
            deflateEnd(&z);
            return NULL;
        }
        offsets[b + 1] = capacity - z.avail_out;
    }
    deflateEnd(&z);
    *out_length = capacity - z.avail_out;
    return out;
}
