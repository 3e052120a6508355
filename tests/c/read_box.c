/* Reads rows [r0, r1) and columns [c0, c1) of a 2-D int32 Zarr array through the C ABI
 * and prints the values, one row per line. Usage: read_box PATH R0 R1 C0 C1 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "zarrs_cffi.h"

static int fail(const char *what, int32_t status) {
    char message[512];
    zcf_last_error_message(message, sizeof message);
    fprintf(stderr, "%s failed with status %d: %s\n", what, (int)status, message);
    return 1;
}

int main(int argc, char **argv) {
    ZcfArray *array = NULL;
    ZcfArrayInfo info;
    ZcfDimSelection dims[2];
    ZcfSelection selection;
    int64_t bounds[4];
    size_t rows, cols, i, j;
    int32_t *values;
    int32_t status;

    if (argc != 6) {
        fprintf(stderr, "usage: %s PATH R0 R1 C0 C1\n", argv[0]);
        return 2;
    }
    if (zcf_abi_version() != ZCF_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %d\n", zcf_abi_version(), ZCF_ABI_VERSION);
        return 1;
    }
    for (i = 0; i < 4; i++) {
        bounds[i] = strtoll(argv[i + 2], NULL, 10);
    }
    status = zcf_array_open(argv[1], &array);
    if (status != ZCF_STATUS_OK) {
        return fail("zcf_array_open", status);
    }
    status = zcf_array_info(array, &info);
    if (status != ZCF_STATUS_OK || info.ndim != 2 || info.data_type != ZCF_DTYPE_INT32) {
        zcf_array_free(array);
        fprintf(stderr, "expected a 2-D int32 array\n");
        return 1;
    }
    for (i = 0; i < 2; i++) {
        dims[i].kind = ZCF_DIM_SLICE;
        dims[i].start = bounds[2 * i];
        dims[i].stop = bounds[2 * i + 1];
        dims[i].step = 1;
        dims[i].indices = NULL;
        dims[i].num_indices = 0;
    }
    selection.mode = ZCF_MODE_ORTHOGONAL;
    selection.ndim = 2;
    selection.dims = dims;
    rows = (size_t)(bounds[1] - bounds[0]);
    cols = (size_t)(bounds[3] - bounds[2]);
    values = malloc(rows * cols * sizeof *values + 1);
    status = zcf_array_read(array, &selection, values, rows * cols * sizeof *values);
    zcf_array_free(array);
    if (status != ZCF_STATUS_OK) {
        free(values);
        return fail("zcf_array_read", status);
    }
    for (i = 0; i < rows; i++) {
        for (j = 0; j < cols; j++) {
            printf(j + 1 < cols ? "%" PRId32 " " : "%" PRId32 "\n", values[i * cols + j]);
        }
    }
    free(values);
    return 0;
}
