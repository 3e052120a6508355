/* Creates a Zarr v3 array of DEPTH x ROWS x COLS uint16 values (zstd-compressed 32^3
 * chunks in 64^3 shards), writes it plane by plane from a buffer the program owns, then
 * changes one box and one element, reads the whole array back and prints a checksum of
 * its bytes. Every element ends as (z * 7 + y * 3 + x) % 65536, except the box
 * [1:3, 2:5, 4:8], which holds 9, and the element [0, 0, 0], which holds 65535.
 *
 * Usage: write_volume PATH DEPTH ROWS COLS
 *
 * Build: cc -std=c99 -I INCLUDE_DIR write_volume.c LIBRARY -Wl,-rpath,LIBRARY_DIR
 * (see README.md, "Use it from C"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "zarrs_cffi.h"

static int report(const char *call, int32_t status) {
    char message[1024];
    zcf_last_error_message(message, sizeof message);
    fprintf(stderr, "%s failed with status %d: %s\n", call, (int)status, message);
    return 1;
}

/* 64-bit FNV-1a, as box_checksum.c prints it. */
static uint64_t fnv1a64(const unsigned char *bytes, size_t len) {
    uint64_t hash = UINT64_C(0xcbf29ce484222325);
    size_t i;
    for (i = 0; i < len; i++) {
        hash ^= bytes[i];
        hash *= UINT64_C(0x100000001b3);
    }
    return hash;
}

int main(int argc, char **argv) {
    char metadata[1024];
    ZcfArray *array = NULL;
    uint64_t depth, rows, cols, z, y, x;
    uint16_t *plane = NULL, *volume = NULL, nine = 9, top = 65535;
    size_t plane_len, volume_len;
    int32_t status;
    int exit_code = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: %s PATH DEPTH ROWS COLS\n", argv[0]);
        return 2;
    }
    depth = strtoull(argv[2], NULL, 10);
    rows = strtoull(argv[3], NULL, 10);
    cols = strtoull(argv[4], NULL, 10);
    if (depth < 3 || rows < 5 || cols < 8) {
        fprintf(stderr, "the volume must be at least 3 x 5 x 8\n");
        return 2;
    }
    /* What zarr-python writes for create_array(shape, dtype="uint16", chunks=(32,)*3,
     * shards=(64,)*3). */
    snprintf(metadata, sizeof metadata,
             "{\"zarr_format\":3,\"node_type\":\"array\","
             "\"shape\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "],\"data_type\":\"uint16\","
             "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[64,64,64]}},"
             "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
             "\"fill_value\":0,\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{"
             "\"chunk_shape\":[32,32,32],\"codecs\":[{\"name\":\"bytes\",\"configuration\":"
             "{\"endian\":\"little\"}},{\"name\":\"zstd\",\"configuration\":{\"level\":0,"
             "\"checksum\":false}}],\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":"
             "{\"endian\":\"little\"}},{\"name\":\"crc32c\"}],\"index_location\":\"end\"}}],"
             "\"attributes\":{},\"storage_transformers\":[]}",
             depth, rows, cols);
    status = zcf_array_create(argv[1], metadata, NULL, ZCF_CREATE_OVERWRITE, &array);
    if (status != ZCF_STATUS_OK) {
        return report("zcf_array_create", status);
    }

    plane_len = (size_t)(rows * cols) * sizeof *plane;
    volume_len = (size_t)depth * plane_len;
    plane = malloc(plane_len);
    volume = malloc(volume_len);
    if (plane == NULL || volume == NULL) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    for (z = 0; z < depth; z++) {
        uint64_t start[3] = {z, 0, 0}, extent[3] = {1, rows, cols};
        for (y = 0; y < rows; y++) {
            for (x = 0; x < cols; x++) {
                plane[y * cols + x] = (uint16_t)((z * 7 + y * 3 + x) % 65536);
            }
        }
        status = zcf_array_write_box(array, start, extent, 3, plane, plane_len, 0);
        if (status != ZCF_STATUS_OK) {
            exit_code = report("zcf_array_write_box", status);
            goto done;
        }
    }
    {
        /* One value for a whole box: pass a single element. */
        uint64_t start[3] = {1, 2, 4}, extent[3] = {2, 3, 4};
        status = zcf_array_write_box(array, start, extent, 3, &nine, sizeof nine, 0);
        if (status != ZCF_STATUS_OK) {
            exit_code = report("zcf_array_write_box", status);
            goto done;
        }
    }
    {
        /* One element through a selection plan. */
        int64_t zero = 0;
        ZcfDimSelection dims[3];
        ZcfSelection selection;
        for (x = 0; x < 3; x++) {
            dims[x].kind = ZCF_DIM_INDICES;
            dims[x].start = dims[x].stop = dims[x].step = 0;
            dims[x].indices = &zero;
            dims[x].num_indices = 1;
        }
        selection.mode = ZCF_MODE_POINTWISE;
        selection.ndim = 3;
        selection.dims = dims;
        status = zcf_array_write(array, &selection, &top, sizeof top, 0);
        if (status != ZCF_STATUS_OK) {
            exit_code = report("zcf_array_write", status);
            goto done;
        }
    }
    {
        uint64_t start[3] = {0, 0, 0}, extent[3] = {depth, rows, cols};
        status = zcf_array_read_box(array, start, extent, 3, volume, volume_len);
        if (status != ZCF_STATUS_OK) {
            exit_code = report("zcf_array_read_box", status);
            goto done;
        }
    }
    printf("wrote %" PRIu64 " x %" PRIu64 " x %" PRIu64 " uint16 values\n", depth, rows, cols);
    printf("checksum %016" PRIx64 "\n", fnv1a64((const unsigned char *)volume, volume_len));
    exit_code = 0;

done:
    free(plane);
    free(volume);
    zcf_array_free(array);
    return exit_code;
}
