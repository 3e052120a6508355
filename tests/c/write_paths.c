/* Calls the write functions of the C ABI with bad arguments and checks each status and
 * message, and that the array is unchanged after every rejected call (its values read
 * back as before); then checks that good writes land. Prints one line per check and
 * exits 1 if any failed.
 *
 * Usage: write_paths DIR, where DIR holds (written by tests/test_c_abi.py):
 *   valid.zarr      20x12 int32, chunks 8x5, zstd + crc32c, element (i, j) = i * 12 + j
 *   keep/           a directory holding the file keep/notes.txt but no Zarr node */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zarrs_cffi.h"

#define ROWS 20
#define COLS 12

static int num_checks = 0;
static int num_failures = 0;

static void record(int passed, const char *what, const char *detail) {
    num_checks++;
    if (!passed) {
        num_failures++;
    }
    printf("%s %s%s%s\n", passed ? "ok  " : "FAIL", what, detail[0] ? ": " : "", detail);
}

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

static void join(char *out, size_t out_len, const char *dir, const char *name) {
    snprintf(out, out_len, "%s/%s", dir, name);
}

/* Whether the array still holds element (i, j) = i * 12 + j everywhere. */
static int unchanged(const ZcfArray *array) {
    int32_t values[ROWS * COLS];
    uint64_t start[2] = {0, 0}, shape[2] = {ROWS, COLS};
    int i;
    if (zcf_array_read_box(array, start, shape, 2, values, sizeof values) != ZCF_STATUS_OK) {
        return 0;
    }
    for (i = 0; i < ROWS * COLS; i++) {
        if (values[i] != i) {
            return 0;
        }
    }
    return 1;
}

static void expect_unchanged(const char *what, const ZcfArray *array) {
    record(unchanged(array), what, "");
}

int main(int argc, char **argv) {
    char valid[4096], keep[4096], notes[4096];
    ZcfArray *reader = NULL, *writer = NULL, *created = NULL;
    int32_t block[2 * 3], seven = 7;
    uint64_t start[2] = {0, 0}, shape[2] = {2, 3}, outside[2] = {19, 0};
    int64_t rows[2] = {1, 2}, cols[1] = {3};
    ZcfDimSelection dims[2];
    ZcfSelection selection;
    int i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    join(valid, sizeof valid, argv[1], "valid.zarr");
    join(keep, sizeof keep, argv[1], "keep");
    join(notes, sizeof notes, argv[1], "keep/notes.txt");
    for (i = 0; i < 6; i++) {
        block[i] = -i;
    }

    expect("open for reading", zcf_array_open(valid, &reader), ZCF_STATUS_OK, "");
    expect("open for writing", zcf_array_open_writable(valid, NULL, &writer), ZCF_STATUS_OK, "");
    if (reader == NULL || writer == NULL) {
        printf("%d checks, %d failed\n", num_checks, num_failures + 1);
        return 1;
    }
    record(!zcf_array_is_writable(reader), "a read handle is not writable", "");
    record(zcf_array_is_writable(writer), "a write handle is writable", "");
    record(!zcf_array_is_writable(NULL), "NULL is not writable", "");

    expect("write through a read handle",
           zcf_array_write_box(reader, start, shape, 2, block, sizeof block, 0),
           ZCF_STATUS_READ_ONLY, "opened for reading only");
    expect_unchanged("... changed nothing", writer);
    expect("write to NULL", zcf_array_write_box(NULL, start, shape, 2, block, sizeof block, 0),
           ZCF_STATUS_NULL_POINTER, "`array` is NULL");
    expect("write from NULL values",
           zcf_array_write_box(writer, start, shape, 2, NULL, sizeof block, 0),
           ZCF_STATUS_NULL_POINTER, "`values` is NULL");
    expect("unknown write flags",
           zcf_array_write_box(writer, start, shape, 2, block, sizeof block, 0x80),
           ZCF_STATUS_INVALID_ARGUMENT, "unknown write flags");
    expect("too few values",
           zcf_array_write_box(writer, start, shape, 2, block, sizeof block - 4, 0),
           ZCF_STATUS_BUFFER_MISMATCH, "values buffer has 20 bytes");
    expect("a box outside the array",
           zcf_array_write_box(writer, outside, shape, 2, block, sizeof block, 0),
           ZCF_STATUS_OUT_OF_BOUNDS, "lies outside axis 0 with size 20");
    expect("a box of the wrong rank",
           zcf_array_write_box(writer, start, shape, 1, block, sizeof block, 0),
           ZCF_STATUS_INVALID_SELECTION, "but the array has 2 dimensions");
    expect_unchanged("... changed nothing", writer);

    dims[0].kind = ZCF_DIM_INDICES;
    dims[0].indices = rows;
    dims[0].num_indices = 2;
    dims[1].kind = ZCF_DIM_INDICES;
    dims[1].indices = cols;
    dims[1].num_indices = 1;
    dims[0].start = dims[0].stop = dims[0].step = 0;
    dims[1].start = dims[1].stop = dims[1].step = 0;
    selection.mode = ZCF_MODE_POINTWISE;
    selection.ndim = 2;
    selection.dims = dims;
    expect("points with index arrays of different lengths",
           zcf_array_write(writer, &selection, block, 2 * sizeof *block, 0),
           ZCF_STATUS_INVALID_SELECTION, "must have one length");
    cols[0] = 12;
    dims[1].num_indices = 1;
    selection.mode = ZCF_MODE_ORTHOGONAL;
    expect("an index outside the array",
           zcf_array_write(writer, &selection, block, 2 * sizeof *block, 0),
           ZCF_STATUS_OUT_OF_BOUNDS, "index 12 is out of bounds for axis 1 with size 12");
    dims[1].kind = ZCF_DIM_SLICE;
    dims[1].start = 0;
    dims[1].stop = 4;
    dims[1].step = 0;
    expect("a zero step", zcf_array_write(writer, &selection, block, sizeof block, 0),
           ZCF_STATUS_INVALID_SELECTION, "step cannot be zero");
    expect_unchanged("... changed nothing", writer);

    {
        /* Chunk (0, 0) twice in one call of chunk projections. */
        uint64_t chunks[4] = {0, 0, 0, 0}, values_shape[2] = {1, 1};
        ZcfDimSelection one[4];
        ZcfChunkProjections writes;
        for (i = 0; i < 4; i++) {
            one[i].kind = ZCF_DIM_SLICE;
            one[i].start = 0;
            one[i].stop = 1;
            one[i].step = 1;
            one[i].indices = NULL;
            one[i].num_indices = 0;
        }
        writes.mode = ZCF_MODE_ORTHOGONAL;
        writes.num_chunks = 2;
        writes.chunk_indices = chunks;
        writes.chunk_selections = one;
        writes.out_ndim = 2;
        writes.out_shape = values_shape;
        writes.out_selections = one;
        expect("a chunk written twice in one call",
               zcf_array_write_chunks(writer, &writes, &seven, sizeof seven, 0),
               ZCF_STATUS_INVALID_SELECTION, "written twice");
        chunks[2] = 3;
        expect("a chunk outside the grid",
               zcf_array_write_chunks(writer, &writes, &seven, sizeof seven, 0),
               ZCF_STATUS_OUT_OF_BOUNDS, "outside the chunk grid");
        expect_unchanged("... changed nothing", writer);
    }

    expect("create from invalid metadata",
           zcf_array_create(valid, "{\"zarr_format\":2}", NULL, 0, &created), ZCF_STATUS_INVALID_METADATA,
           "invalid metadata");
    {
        const char *metadata =
            "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[4],\"data_type\":\"int32\","
            "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
            "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
            "\"fill_value\":0,\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}],"
            "\"attributes\":{}}";
        const char *strings =
            "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[4],\"data_type\":\"string\","
            "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[2]}},"
            "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
            "\"fill_value\":\"\",\"codecs\":[{\"name\":\"vlen-utf8\"}],\"attributes\":{}}";
        FILE *kept;
        expect("create where an array exists", zcf_array_create(valid, metadata, NULL, 0, &created),
               ZCF_STATUS_ALREADY_EXISTS, "already exists");
        expect_unchanged("... changed nothing", writer);
        expect("create with attributes beside Zarr v3 metadata",
               zcf_array_create(valid, metadata, "{}", ZCF_CREATE_OVERWRITE, &created),
               ZCF_STATUS_INVALID_ARGUMENT, "keep their attributes in the metadata");
        expect("create with unknown flags", zcf_array_create(valid, metadata, NULL, 0x40, &created),
               ZCF_STATUS_INVALID_ARGUMENT, "unknown create flags");
        expect("create a string array", zcf_array_create(valid, strings, NULL, ZCF_CREATE_OVERWRITE, &created),
               ZCF_STATUS_UNSUPPORTED, "cannot be read into a fixed-size buffer");
        expect_unchanged("... changed nothing", writer);
        expect("overwrite a directory that is no Zarr node",
               zcf_array_create(keep, metadata, NULL, ZCF_CREATE_OVERWRITE, &created),
               ZCF_STATUS_ALREADY_EXISTS, "holds files but no Zarr node");
        kept = fopen(notes, "r");
        record(kept != NULL, "... and its files are still there", "");
        if (kept != NULL) {
            fclose(kept);
        }
        record(created == NULL, "failed creates hand out no handle", "");
    }

    /* Good writes: one value for a box, then the original values back. */
    expect("write one value for a box", zcf_array_write_box(writer, start, shape, 2, &seven, sizeof seven, 0),
           ZCF_STATUS_OK, "");
    {
        int32_t values[6];
        int all_seven = zcf_array_read_box(reader, start, shape, 2, values, sizeof values) == ZCF_STATUS_OK;
        for (i = 0; i < 6; i++) {
            all_seven = all_seven && values[i] == 7;
        }
        record(all_seven, "... which a read handle sees", "");
        for (i = 0; i < 6; i++) {
            values[i] = (i / 3) * COLS + i % 3;
        }
        expect("write the values back", zcf_array_write_box(writer, start, shape, 2, values, sizeof values, 0),
               ZCF_STATUS_OK, "");
    }
    expect_unchanged("the array holds its values again", reader);

    zcf_array_free(reader);
    zcf_array_free(writer);
    printf("%d checks, %d failed\n", num_checks, num_failures);
    return num_failures ? 1 : 0;
}
