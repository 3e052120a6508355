/* Reads one array handle from many threads at once and checks every result.
 *
 * Usage: concurrent_reads PATH NUM_THREADS READS_PER_THREAD
 *   PATH is a 2-D int32 Zarr array. The program reads it whole once (and prints the
 *   checksum of that reference, for the caller to compare), then starts NUM_THREADS
 *   threads that share the handle. Each reads random boxes and compares them with the
 *   reference, and now and then makes a read that must fail, checking that the error
 *   message it gets is its own. One more thread keeps changing the number of worker
 *   threads meanwhile. Exits 1 if any check failed. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zarrs_cffi.h"

struct shared {
    const ZcfArray *array;
    uint64_t rows, cols;
    const int32_t *whole; /* the reference: the array read in one call */
    int reads_per_thread;
    pthread_mutex_t lock; /* guards readers_done */
    int readers_done;
};

struct reader {
    struct shared *shared;
    int index;
    pthread_t thread;
    int failures;
};

/* xorshift64: each thread draws its own reproducible sequence. */
static uint64_t next_random(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static uint64_t fnv1a64(const void *data, size_t len) {
    const unsigned char *bytes = data;
    uint64_t hash = UINT64_C(0xcbf29ce484222325);
    size_t i;
    for (i = 0; i < len; i++) {
        hash ^= bytes[i];
        hash *= UINT64_C(0x100000001b3);
    }
    return hash;
}

/* Reads one random box and compares it with the reference; returns 1 on a mismatch. */
static int read_random_box(struct shared *shared, uint64_t *random, int32_t *buffer) {
    const uint64_t lens[2] = {shared->rows, shared->cols};
    uint64_t start[2], shape[2], row;
    int32_t status;
    int axis;
    for (axis = 0; axis < 2; axis++) {
        /* Between two random bounds, so that boxes of every size come up. */
        uint64_t a = next_random(random) % (lens[axis] + 1);
        uint64_t b = next_random(random) % (lens[axis] + 1);
        start[axis] = a < b ? a : b;
        shape[axis] = a < b ? b - a : a - b;
    }
    status = zcf_array_read_box(shared->array, start, shape, 2, buffer,
                                (size_t)(shape[0] * shape[1]) * sizeof *buffer);
    if (status != ZCF_STATUS_OK) {
        fprintf(stderr, "read of box at (%" PRIu64 ", %" PRIu64 ") failed with %d\n", start[0],
                start[1], (int)status);
        return 1;
    }
    for (row = 0; row < shape[0]; row++) {
        const int32_t *expected = shared->whole + (start[0] + row) * shared->cols + start[1];
        if (memcmp(buffer + row * shape[1], expected, (size_t)shape[1] * sizeof *buffer) != 0) {
            fprintf(stderr, "box at (%" PRIu64 ", %" PRIu64 ") differs in row %" PRIu64 "\n",
                    start[0], start[1], start[0] + row);
            return 1;
        }
    }
    return 0;
}

/* Makes a read that fails with a start unique to this thread, and checks that the
 * thread's error message names that start; returns 1 if not. */
static int read_out_of_bounds(struct shared *shared, int index) {
    char message[256], own_start[64];
    const uint64_t start[2] = {shared->rows + 1 + (uint64_t)index, 0}, shape[2] = {0, 0};
    int32_t status = zcf_array_read_box(shared->array, start, shape, 2, NULL, 0);
    zcf_last_error_message(message, sizeof message);
    snprintf(own_start, sizeof own_start, "at %" PRIu64 " lies outside", start[0]);
    if (status != ZCF_STATUS_OUT_OF_BOUNDS || strstr(message, own_start) == NULL) {
        fprintf(stderr, "thread %d got status %d and message \"%s\"\n", index, (int)status,
                message);
        return 1;
    }
    return 0;
}

static void *run_reader(void *arg) {
    struct reader *reader = arg;
    struct shared *shared = reader->shared;
    uint64_t random = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(reader->index + 1);
    int32_t *buffer = malloc((size_t)(shared->rows * shared->cols) * sizeof *buffer);
    int i;
    if (buffer == NULL) {
        reader->failures++;
        return NULL;
    }
    for (i = 0; i < shared->reads_per_thread; i++) {
        reader->failures += read_random_box(shared, &random, buffer);
        if (i % 4 == 0) {
            reader->failures += read_out_of_bounds(shared, reader->index);
        }
    }
    free(buffer);
    return NULL;
}

/* Resizes the worker pool while the readers run: reads must not notice. */
static void *run_resizer(void *arg) {
    struct shared *shared = arg;
    const size_t sizes[4] = {1, 3, 2, 0};
    size_t i = 0;
    int done = 0;
    while (!done) {
        zcf_set_num_threads(sizes[i++ % 4]);
        pthread_mutex_lock(&shared->lock);
        done = shared->readers_done;
        pthread_mutex_unlock(&shared->lock);
    }
    zcf_set_num_threads(0);
    return NULL;
}

int main(int argc, char **argv) {
    struct shared shared;
    struct reader *readers;
    pthread_t resizer;
    ZcfArray *array = NULL;
    ZcfArrayInfo info;
    uint64_t shape[2];
    int32_t *whole;
    int num_threads, i, failures = 0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s PATH NUM_THREADS READS_PER_THREAD\n", argv[0]);
        return 2;
    }
    num_threads = atoi(argv[2]);
    if (zcf_array_open(argv[1], &array) != ZCF_STATUS_OK ||
        zcf_array_info(array, &info) != ZCF_STATUS_OK || info.ndim != 2 ||
        info.data_type != ZCF_DTYPE_INT32 || zcf_array_shape(array, shape, 2) != ZCF_STATUS_OK) {
        fprintf(stderr, "%s is not a readable 2-D int32 array\n", argv[1]);
        zcf_array_free(array);
        return 1;
    }
    whole = malloc((size_t)(shape[0] * shape[1]) * sizeof *whole);
    readers = calloc((size_t)num_threads, sizeof *readers);
    if (whole == NULL || readers == NULL ||
        zcf_array_read_box(array, (const uint64_t[2]){0, 0}, shape, 2, whole,
                           (size_t)(shape[0] * shape[1]) * sizeof *whole) != ZCF_STATUS_OK) {
        fprintf(stderr, "cannot read the reference\n");
        return 1;
    }
    printf("reference checksum %016" PRIx64 "\n",
           fnv1a64(whole, (size_t)(shape[0] * shape[1]) * sizeof *whole));

    shared.array = array;
    shared.rows = shape[0];
    shared.cols = shape[1];
    shared.whole = whole;
    shared.reads_per_thread = atoi(argv[3]);
    shared.readers_done = 0;
    pthread_mutex_init(&shared.lock, NULL);
    pthread_create(&resizer, NULL, run_resizer, &shared);
    for (i = 0; i < num_threads; i++) {
        readers[i].shared = &shared;
        readers[i].index = i;
        pthread_create(&readers[i].thread, NULL, run_reader, &readers[i]);
    }
    for (i = 0; i < num_threads; i++) {
        pthread_join(readers[i].thread, NULL);
        failures += readers[i].failures;
    }
    pthread_mutex_lock(&shared.lock);
    shared.readers_done = 1;
    pthread_mutex_unlock(&shared.lock);
    pthread_join(resizer, NULL);
    pthread_mutex_destroy(&shared.lock);

    printf("%d threads, %d reads each, %d failures\n", num_threads, shared.reads_per_thread,
           failures);
    free(readers);
    free(whole);
    zcf_array_free(array);
    return failures == 0 ? 0 : 1;
}
