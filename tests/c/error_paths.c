/* Calls every function of the C ABI with bad arguments and damaged arrays, and checks
 * each status and message; prints one line per check and exits 1 if any failed.
 *
 * Usage: error_paths DIR, where DIR holds (written by tests/test_c_abi.py):
 *   valid.zarr      20x12 int32, chunks 8x5, zstd + crc32c
 *   damaged.zarr    a copy with a bad checksum in chunk c/1/1 and a directory at c/2/2
 *   strings.zarr    a string array (opens, cannot be read)
 *   bad-meta.zarr   a zarr.json that is not JSON */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zarrs_cffi.h"

#define ROWS 20
#define COLS 12
#define SENTINEL 0x5A

static int num_checks = 0;
static int num_failures = 0;

static void record(int passed, const char *what, const char *detail) {
    num_checks++;
    if (!passed) {
        num_failures++;
    }
    printf("%s %s%s%s\n", passed ? "ok  " : "FAIL", what, detail[0] ? ": " : "", detail);
}

/* Checks that a call returned `expected`; for failures, also that this thread's
 * message contains `fragment`. */
static void expect(const char *what, int32_t status, int32_t expected, const char *fragment) {
    char message[1024], detail[1200];
    zcf_last_error_message(message, sizeof message);
    if (expected == ZCF_STATUS_OK) {
        snprintf(detail, sizeof detail, "status %d", (int)status);
        record(status == ZCF_STATUS_OK, what, detail);
        return;
    }
    snprintf(detail, sizeof detail, "status %d (expected %d), message \"%s\"", (int)status,
             (int)expected, message);
    record(status == expected && strstr(message, fragment) != NULL, what, detail);
}

static int all_bytes_are(const void *buffer, size_t len, unsigned char value) {
    const unsigned char *bytes = buffer;
    size_t i;
    for (i = 0; i < len; i++) {
        if (bytes[i] != value) {
            return 0;
        }
    }
    return 1;
}

static void expect_untouched(const char *what, const void *buffer, size_t len) {
    record(all_bytes_are(buffer, len, SENTINEL), what, "");
}

static void join(char *out, size_t out_len, const char *dir, const char *name) {
    snprintf(out, out_len, "%s/%s", dir, name);
}

static void check_versions_and_messages(void) {
    char message[16];
    size_t len;
    const char *version = zcf_library_version();
    record(zcf_abi_version() == ZCF_ABI_VERSION, "zcf_abi_version matches the header", "");
    record(version != NULL && version[0] != '\0', "zcf_library_version is a string", version);

    memset(message, 'x', sizeof message);
    len = zcf_last_error_message(message, sizeof message);
    record(len == 0 && message[0] == '\0', "no message before the first failure", "");
    record(zcf_last_error_message(NULL, 0) == 0, "message length NULL/0 before a failure", "");

    zcf_set_num_threads(1);
    record(zcf_get_num_threads() == 1, "zcf_set_num_threads(1) takes effect", "");
    expect("zcf_set_num_threads(0)", zcf_set_num_threads(0), ZCF_STATUS_OK, NULL);
    record(zcf_get_num_threads() >= 1, "zcf_set_num_threads(0) restores a default", "");
    expect("zcf_set_num_threads(100000)", zcf_set_num_threads(100000), ZCF_STATUS_INVALID_ARGUMENT, "at most 1024");
    record(zcf_get_num_threads() <= 1024, "a rejected thread count changes nothing", "");
}

static void check_open(const char *dir) {
    char path[4096];
    int marker;
    ZcfArray *const untouched = (ZcfArray *)&marker; /* never dereferenced */
    ZcfArray *array = untouched;

    expect("open NULL path", zcf_array_open(NULL, &array), ZCF_STATUS_NULL_POINTER, "`path`");
    join(path, sizeof path, dir, "valid.zarr");
    expect("open NULL array_out", zcf_array_open(path, NULL), ZCF_STATUS_NULL_POINTER,
           "`array_out`");
    expect("open empty path", zcf_array_open("", &array), ZCF_STATUS_INVALID_ARGUMENT, "empty");
    expect("open non-UTF-8 path", zcf_array_open("\xff\xfe", &array),
           ZCF_STATUS_INVALID_ARGUMENT, "UTF-8");
    join(path, sizeof path, dir, "missing.zarr");
    expect("open missing path", zcf_array_open(path, &array), ZCF_STATUS_NOT_FOUND,
           "no Zarr array at");
    join(path, sizeof path, dir, "bad-meta.zarr");
    expect("open unparsable metadata", zcf_array_open(path, &array),
           ZCF_STATUS_INVALID_METADATA, "bad-meta.zarr");
    record(array == untouched, "failed opens leave array_out unchanged", "");
    zcf_array_free(NULL);
    record(1, "zcf_array_free(NULL) returns", "");
}

static void check_queries(const ZcfArray *array) {
    ZcfArrayInfo info;
    uint64_t dims[3];
    int32_t fill[2];
    char name[3];

    expect("info NULL array", zcf_array_info(NULL, &info), ZCF_STATUS_NULL_POINTER, "`array`");
    expect("info NULL info_out", zcf_array_info(array, NULL), ZCF_STATUS_NULL_POINTER,
           "`info_out`");
    expect("info", zcf_array_info(array, &info), ZCF_STATUS_OK, NULL);
    record(info.ndim == 2 && info.data_type == ZCF_DTYPE_INT32 && info.item_size == 4 &&
               info.zarr_format == 3 && info.regular_chunk_grid && !info.declares_big_endian,
           "info describes a 2-D int32 Zarr 3 array", "");

    memset(dims, SENTINEL, sizeof dims);
    expect("shape NULL array", zcf_array_shape(NULL, dims, 2), ZCF_STATUS_NULL_POINTER,
           "`array`");
    expect("shape NULL shape_out", zcf_array_shape(array, NULL, 2), ZCF_STATUS_NULL_POINTER,
           "`shape_out`");
    expect("shape with room for 3", zcf_array_shape(array, dims, 3), ZCF_STATUS_BUFFER_MISMATCH,
           "2 dimensions, not 3");
    expect("shape with room for 1", zcf_array_shape(array, dims, 1), ZCF_STATUS_BUFFER_MISMATCH,
           "2 dimensions, not 1");
    expect_untouched("rejected shape calls write nothing", dims, sizeof dims);
    expect("shape", zcf_array_shape(array, dims, 2), ZCF_STATUS_OK, NULL);
    record(dims[0] == ROWS && dims[1] == COLS, "shape is 20x12", "");

    expect("chunk shape NULL chunk_shape_out", zcf_array_chunk_shape(array, NULL, 2),
           ZCF_STATUS_NULL_POINTER, "`chunk_shape_out`");
    expect("chunk shape with room for 0", zcf_array_chunk_shape(array, dims, 0),
           ZCF_STATUS_BUFFER_MISMATCH, "not 0");
    expect("chunk shape", zcf_array_chunk_shape(array, dims, 2), ZCF_STATUS_OK, NULL);
    record(dims[0] == 8 && dims[1] == 5, "chunk shape is 8x5", "");

    memset(fill, SENTINEL, sizeof fill);
    expect("fill value into 8 bytes", zcf_array_fill_value(array, fill, sizeof fill),
           ZCF_STATUS_BUFFER_MISMATCH, "4 bytes");
    expect("fill value into NULL", zcf_array_fill_value(array, NULL, 4), ZCF_STATUS_NULL_POINTER,
           "`out`");
    expect_untouched("rejected fill value calls write nothing", fill, sizeof fill);
    expect("fill value", zcf_array_fill_value(array, fill, sizeof fill[0]), ZCF_STATUS_OK, NULL);
    record(fill[0] == 0, "fill value is 0", "");

    record(zcf_array_data_type_name(NULL, name, sizeof name) == 0, "type name of NULL is 0", "");
    record(zcf_array_data_type_name(array, name, sizeof name) == 5 && strcmp(name, "in") == 0,
           "type name is truncated and NUL-terminated", name);
}

static void check_last_error_truncation(const ZcfArray *array) {
    char short_buffer[4];
    size_t full_len;
    int32_t status = zcf_array_info(array, NULL);
    full_len = zcf_last_error_message(NULL, 0);
    record(status == ZCF_STATUS_NULL_POINTER && full_len == strlen("`info_out` is NULL"),
           "message length without a buffer", "");
    record(zcf_last_error_message(short_buffer, sizeof short_buffer) == full_len &&
               strcmp(short_buffer, "`in") == 0,
           "message truncated to the buffer", short_buffer);
    expect("a successful call", zcf_array_info(array, &(ZcfArrayInfo){0}), ZCF_STATUS_OK, NULL);
    record(zcf_last_error_message(NULL, 0) == full_len, "success keeps the last message", "");
}

static void check_read_box(const ZcfArray *array) {
    int32_t out[ROWS * COLS];
    const uint64_t start[2] = {0, 0}, shape[2] = {ROWS, COLS};
    const uint64_t beyond_start[2] = {0, 10}, beyond_shape[2] = {1, 3};
    const uint64_t empty_start[2] = {0, 13}, empty_shape[2] = {0, 0};
    const uint64_t wrapping_start[2] = {UINT64_MAX, 0}, wrapping_shape[2] = {2, 1};
    const uint64_t huge_shape[2] = {UINT64_MAX / 2, UINT64_MAX / 2};

    memset(out, SENTINEL, sizeof out);
    expect("read_box NULL array", zcf_array_read_box(NULL, start, shape, 2, out, sizeof out),
           ZCF_STATUS_NULL_POINTER, "`array`");
    expect("read_box NULL start", zcf_array_read_box(array, NULL, shape, 2, out, sizeof out),
           ZCF_STATUS_NULL_POINTER, "`start`");
    expect("read_box NULL shape", zcf_array_read_box(array, start, NULL, 2, out, sizeof out),
           ZCF_STATUS_NULL_POINTER, "`shape`");
    expect("read_box NULL out", zcf_array_read_box(array, start, shape, 2, NULL, sizeof out),
           ZCF_STATUS_NULL_POINTER, "`out`");
    expect("read_box short buffer",
           zcf_array_read_box(array, start, shape, 2, out, sizeof out - 1),
           ZCF_STATUS_BUFFER_MISMATCH, "needs 960");
    expect("read_box 1-D box on a 2-D array",
           zcf_array_read_box(array, start, shape, 1, out, sizeof out),
           ZCF_STATUS_INVALID_SELECTION, "the array has 2 dimensions");
    expect("read_box past the last column",
           zcf_array_read_box(array, beyond_start, beyond_shape, 2, out, 3 * sizeof out[0]),
           ZCF_STATUS_OUT_OF_BOUNDS, "box of size 3 at 10 lies outside axis 1 with size 12");
    expect("read_box empty box past the end",
           zcf_array_read_box(array, empty_start, empty_shape, 2, out, 0),
           ZCF_STATUS_OUT_OF_BOUNDS, "axis 1");
    expect("read_box start + shape wraps around",
           zcf_array_read_box(array, wrapping_start, wrapping_shape, 2, out, 2 * sizeof out[0]),
           ZCF_STATUS_OUT_OF_BOUNDS, "axis 0");
    expect("read_box larger than the array",
           zcf_array_read_box(array, start, huge_shape, 2, out, sizeof out),
           ZCF_STATUS_OUT_OF_BOUNDS, "axis 0");
    expect_untouched("rejected read_box calls write nothing", out, sizeof out);
}

static void check_read_selection(const ZcfArray *array) {
    int32_t out[ROWS * COLS];
    const int64_t rows[2] = {0, 1}, cols[1] = {0};
    ZcfDimSelection dims[2] = {
        {ZCF_DIM_SLICE, 0, ROWS, 1, NULL, 0},
        {ZCF_DIM_SLICE, 0, COLS, 1, NULL, 0},
    };
    ZcfSelection selection = {ZCF_MODE_ORTHOGONAL, 2, dims};

    memset(out, SENTINEL, sizeof out);
    expect("read NULL selection", zcf_array_read(array, NULL, out, sizeof out),
           ZCF_STATUS_NULL_POINTER, "`selection`");
    selection.dims = NULL;
    expect("read NULL dims", zcf_array_read(array, &selection, out, sizeof out),
           ZCF_STATUS_NULL_POINTER, "`selection.dims`");
    selection.dims = dims;
    selection.mode = 7;
    expect("read unknown mode", zcf_array_read(array, &selection, out, sizeof out),
           ZCF_STATUS_INVALID_SELECTION, "unknown selection mode 7");
    selection.mode = ZCF_MODE_ORTHOGONAL;
    dims[1].kind = 9;
    expect("read unknown kind", zcf_array_read(array, &selection, out, sizeof out),
           ZCF_STATUS_INVALID_SELECTION, "unknown selection kind 9 for axis 1");
    dims[1].kind = ZCF_DIM_SLICE;
    dims[1].step = 0;
    expect("read zero step", zcf_array_read(array, &selection, out, sizeof out),
           ZCF_STATUS_INVALID_SELECTION, "step cannot be zero");
    dims[1].step = 1;
    dims[0].stop = ROWS + 1;
    expect("read slice past the end", zcf_array_read(array, &selection, out, sizeof out),
           ZCF_STATUS_OUT_OF_BOUNDS, "axis 0 with size 20");
    dims[0].stop = ROWS;
    dims[0].kind = ZCF_DIM_INDICES;
    dims[0].num_indices = 2;
    expect("read NULL indices", zcf_array_read(array, &selection, out, sizeof out),
           ZCF_STATUS_NULL_POINTER, "indices");
    dims[0].indices = rows;
    dims[1].kind = ZCF_DIM_INDICES;
    dims[1].indices = cols;
    dims[1].num_indices = 1;
    selection.mode = ZCF_MODE_POINTWISE;
    expect("read pointwise of unequal lengths", zcf_array_read(array, &selection, out, 8),
           ZCF_STATUS_INVALID_SELECTION, "got 2 and 1");
    expect_untouched("rejected reads write nothing", out, sizeof out);
}

static void check_damaged_chunks(const char *dir, const ZcfArray *valid) {
    char path[4096];
    ZcfArray *damaged = NULL;
    int32_t got[8 * COLS], expected[8 * COLS];
    const uint64_t first_rows[2] = {0, 0}, first_rows_shape[2] = {8, COLS};
    /* Whole chunks: reading part of a chunk may skip verifying its checksum. */
    const uint64_t chunk_1_1[2] = {8, 5}, chunk_1_1_shape[2] = {8, 5};
    const uint64_t chunk_2_2[2] = {16, 10}, chunk_2_2_shape[2] = {4, 2};
    ZcfDimSelection dims[2] = {
        {ZCF_DIM_SLICE, 0, 8, 1, NULL, 0},
        {ZCF_DIM_SLICE, 0, COLS, 1, NULL, 0},
    };
    ZcfSelection selection = {ZCF_MODE_ORTHOGONAL, 2, dims};

    join(path, sizeof path, dir, "damaged.zarr");
    expect("open damaged array", zcf_array_open(path, &damaged), ZCF_STATUS_OK, NULL);
    expect("read a chunk with a bad checksum",
           zcf_array_read_box(damaged, chunk_1_1, chunk_1_1_shape, 2, got, 40 * sizeof got[0]),
           ZCF_STATUS_DECODE,
           "chunk 'c/1/1' of the Zarr array at");
    expect("read a chunk that is a directory",
           zcf_array_read_box(damaged, chunk_2_2, chunk_2_2_shape, 2, got, 8 * sizeof got[0]),
           ZCF_STATUS_IO,
           "chunk 'c/2/2'");
    expect("read intact chunks of the damaged array",
           zcf_array_read_box(damaged, first_rows, first_rows_shape, 2, got, sizeof got),
           ZCF_STATUS_OK, NULL);
    expect("read the same rows of the valid array",
           zcf_array_read_box(valid, first_rows, first_rows_shape, 2, expected, sizeof expected),
           ZCF_STATUS_OK, NULL);
    record(memcmp(got, expected, sizeof got) == 0, "intact chunks read their values", "");
    zcf_array_free(damaged);

    memset(got, SENTINEL, sizeof got);
    join(path, sizeof path, dir, "missing.zarr");
    expect("zcf_read a missing path", zcf_read(path, &selection, got, sizeof got),
           ZCF_STATUS_NOT_FOUND, "missing.zarr");
    expect("zcf_read NULL path", zcf_read(NULL, &selection, got, sizeof got),
           ZCF_STATUS_NULL_POINTER, "`path`");
    expect_untouched("failed zcf_read calls write nothing", got, sizeof got);
    join(path, sizeof path, dir, "valid.zarr");
    expect("zcf_read", zcf_read(path, &selection, got, sizeof got), ZCF_STATUS_OK, NULL);
    record(memcmp(got, expected, sizeof got) == 0, "zcf_read reads what read_box reads", "");
}

static void check_unreadable_data_type(const char *dir) {
    char path[4096], name[32];
    ZcfArray *strings = NULL;
    ZcfArrayInfo info;
    unsigned char out[16];
    const uint64_t start[1] = {0}, shape[1] = {1};

    join(path, sizeof path, dir, "strings.zarr");
    expect("open a string array", zcf_array_open(path, &strings), ZCF_STATUS_OK, NULL);
    expect("info of a string array", zcf_array_info(strings, &info), ZCF_STATUS_OK, NULL);
    record(info.data_type == ZCF_DTYPE_UNSUPPORTED && info.item_size == 0,
           "string arrays report ZCF_DTYPE_UNSUPPORTED", "");
    zcf_array_data_type_name(strings, name, sizeof name);
    record(strcmp(name, "string") == 0, "string arrays name their data type", name);
    expect("read a string array", zcf_array_read_box(strings, start, shape, 1, out, sizeof out),
           ZCF_STATUS_UNSUPPORTED, "data type 'string'");
    expect("fill value of a string array", zcf_array_fill_value(strings, out, sizeof out),
           ZCF_STATUS_UNSUPPORTED, "string");
    zcf_array_free(strings);
}

int main(int argc, char **argv) {
    char path[4096];
    ZcfArray *valid = NULL;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    check_versions_and_messages();
    check_open(argv[1]);
    join(path, sizeof path, argv[1], "valid.zarr");
    expect("open valid array", zcf_array_open(path, &valid), ZCF_STATUS_OK, NULL);
    if (valid == NULL) {
        return 1;
    }
    check_queries(valid);
    check_last_error_truncation(valid);
    check_read_box(valid);
    check_read_selection(valid);
    check_damaged_chunks(argv[1], valid);
    check_unreadable_data_type(argv[1]);
    zcf_array_free(valid);
    printf("%d checks, %d failed\n", num_checks, num_failures);
    return num_failures == 0 ? 0 : 1;
}
