/* Opens a Zarr array, prints its shape, chunk shape and data type, reads one box of it
 * into a buffer, and prints a checksum of the box's bytes.
 *
 * Usage: box_checksum PATH [START:STOP ...]
 *   One START:STOP per dimension selects rows START to STOP - 1 on that axis;
 *   without them the whole array is read.
 *
 * Build: cc -std=c99 -I INCLUDE_DIR box_checksum.c LIBRARY -Wl,-rpath,LIBRARY_DIR
 * (see README.md, "Use it from C"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zarrs_cffi.h"

/* Prints which call failed and the library's explanation; returns the exit status. */
static int report(const char *call, int32_t status) {
    char message[1024];
    zcf_last_error_message(message, sizeof message);
    fprintf(stderr, "%s failed with status %d: %s\n", call, (int)status, message);
    return 1;
}

/* 64-bit FNV-1a: a checksum short enough to recompute in any language. */
static uint64_t fnv1a64(const unsigned char *bytes, size_t len) {
    uint64_t hash = UINT64_C(0xcbf29ce484222325);
    size_t i;
    for (i = 0; i < len; i++) {
        hash ^= bytes[i];
        hash *= UINT64_C(0x100000001b3);
    }
    return hash;
}

/* Parses "START:STOP" with START <= STOP into a box start and extent. */
static int parse_range(const char *text, uint64_t *start, uint64_t *extent) {
    char *end;
    unsigned long long first = strtoull(text, &end, 10);
    unsigned long long stop;
    if (end == text || *end != ':') {
        return 0;
    }
    text = end + 1;
    stop = strtoull(text, &end, 10);
    if (end == text || *end != '\0' || stop < first) {
        return 0;
    }
    *start = first;
    *extent = stop - first;
    return 1;
}

static void print_dims(const char *label, const uint64_t *values, size_t ndim) {
    size_t i;
    printf("%s", label);
    for (i = 0; i < ndim; i++) {
        printf(" %" PRIu64, values[i]);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    ZcfArray *array = NULL;
    ZcfArrayInfo info;
    char type_name[64];
    uint64_t *shape = NULL, *chunk_shape = NULL, *box_start = NULL, *box_shape = NULL;
    unsigned char *values = NULL;
    size_t i, num_elements = 1, num_bytes;
    int32_t status;
    int exit_code = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH [START:STOP ...]\n", argv[0]);
        return 2;
    }
    if (zcf_abi_version() != ZCF_ABI_VERSION) {
        fprintf(stderr, "the library has ABI version %" PRIu32 ", this program was built for %d\n",
                zcf_abi_version(), ZCF_ABI_VERSION);
        return 1;
    }

    status = zcf_array_open(argv[1], &array);
    if (status != ZCF_STATUS_OK) {
        return report("zcf_array_open", status);
    }
    status = zcf_array_info(array, &info);
    if (status != ZCF_STATUS_OK) {
        exit_code = report("zcf_array_info", status);
        goto done;
    }
    zcf_array_data_type_name(array, type_name, sizeof type_name);
    if (info.data_type == ZCF_DTYPE_UNSUPPORTED) {
        fprintf(stderr, "data type %s cannot be read into a buffer\n", type_name);
        goto done;
    }

    /* One extra slot each, so that a zero-dimensional array allocates no empty blocks. */
    shape = calloc(info.ndim + 1, sizeof *shape);
    chunk_shape = calloc(info.ndim + 1, sizeof *chunk_shape);
    box_start = calloc(info.ndim + 1, sizeof *box_start);
    box_shape = calloc(info.ndim + 1, sizeof *box_shape);
    if (shape == NULL || chunk_shape == NULL || box_start == NULL || box_shape == NULL) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    status = zcf_array_shape(array, shape, info.ndim);
    if (status != ZCF_STATUS_OK) {
        exit_code = report("zcf_array_shape", status);
        goto done;
    }
    status = zcf_array_chunk_shape(array, chunk_shape, info.ndim);
    if (status != ZCF_STATUS_OK) {
        exit_code = report("zcf_array_chunk_shape", status);
        goto done;
    }
    print_dims("shape", shape, info.ndim);
    print_dims("chunks", chunk_shape, info.ndim);
    printf("data type %s, %zu bytes per element\n", type_name, info.item_size);

    if (argc == 2) {
        memcpy(box_shape, shape, info.ndim * sizeof *shape);
    } else if ((size_t)(argc - 2) != info.ndim) {
        fprintf(stderr, "expected %zu START:STOP ranges, got %d\n", info.ndim, argc - 2);
        goto done;
    } else {
        for (i = 0; i < info.ndim; i++) {
            if (!parse_range(argv[i + 2], &box_start[i], &box_shape[i])) {
                fprintf(stderr, "not a START:STOP range: %s\n", argv[i + 2]);
                goto done;
            }
        }
    }
    for (i = 0; i < info.ndim; i++) {
        if (box_shape[i] != 0 && num_elements > SIZE_MAX / info.item_size / box_shape[i]) {
            fprintf(stderr, "the box is too large for memory\n");
            goto done;
        }
        num_elements *= (size_t)box_shape[i];
    }
    num_bytes = num_elements * info.item_size;

    values = malloc(num_bytes > 0 ? num_bytes : 1); /* malloc(0) may return NULL */
    if (values == NULL) {
        fprintf(stderr, "out of memory\n");
        goto done;
    }
    status = zcf_array_read_box(array, box_start, box_shape, info.ndim, values, num_bytes);
    if (status != ZCF_STATUS_OK) {
        exit_code = report("zcf_array_read_box", status);
        goto done;
    }
    printf("read %zu elements\n", num_elements);
    printf("checksum %016" PRIx64 "\n", fnv1a64(values, num_bytes));
    exit_code = 0;

done:
    free(values);
    free(box_shape);
    free(box_start);
    free(chunk_shape);
    free(shape);
    zcf_array_free(array);
    return exit_code;
}
