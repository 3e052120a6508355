// examples/c/box_checksum.c in C++: the array handle lives in a class that frees it in
// its destructor, and a failed call throws an exception carrying the library's message.
//
// Usage: box_checksum_cpp PATH [START:STOP ...]
//   One START:STOP per dimension selects rows START to STOP - 1 on that axis;
//   without them the whole array is read.
//
// Build: c++ -std=c++17 -I INCLUDE_DIR box_checksum.cpp LIBRARY -Wl,-rpath,LIBRARY_DIR
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "zarrs_cffi.h"

namespace {

// Throws the library's explanation when a call failed.
void check(const char *call, int32_t status) {
    if (status != ZCF_STATUS_OK) {
        std::vector<char> message(zcf_last_error_message(nullptr, 0) + 1);  // + the NUL
        zcf_last_error_message(message.data(), message.size());
        throw std::runtime_error(std::string(call) + " failed with status " +
                                 std::to_string(status) + ": " + message.data());
    }
}

// An open Zarr array. Movable, not copyable: exactly one owner frees the handle.
class ZarrArray {
  public:
    explicit ZarrArray(const std::string &path) {
        ZcfArray *handle = nullptr;
        check("zcf_array_open", zcf_array_open(path.c_str(), &handle));
        handle_.reset(handle);
        check("zcf_array_info", zcf_array_info(handle_.get(), &info_));
    }

    const ZcfArrayInfo &info() const { return info_; }

    std::vector<uint64_t> shape() const {
        std::vector<uint64_t> shape(info_.ndim);
        check("zcf_array_shape", zcf_array_shape(handle_.get(), shape.data(), shape.size()));
        return shape;
    }

    std::vector<uint64_t> chunk_shape() const {
        std::vector<uint64_t> chunks(info_.ndim);
        check("zcf_array_chunk_shape",
              zcf_array_chunk_shape(handle_.get(), chunks.data(), chunks.size()));
        return chunks;
    }

    std::string data_type_name() const {
        std::vector<char> buffer(zcf_array_data_type_name(handle_.get(), nullptr, 0) + 1);
        zcf_array_data_type_name(handle_.get(), buffer.data(), buffer.size());
        return buffer.data();
    }

    // The box's elements in C order, item_size bytes each in native byte order.
    std::vector<unsigned char> read_box(const std::vector<uint64_t> &start,
                                        const std::vector<uint64_t> &box_shape) const {
        size_t num_bytes = info_.item_size;
        for (uint64_t extent : box_shape) {
            num_bytes *= static_cast<size_t>(extent);  // an overflow fails the length check
        }
        std::vector<unsigned char> values(num_bytes);
        check("zcf_array_read_box",
              zcf_array_read_box(handle_.get(), start.data(), box_shape.data(), start.size(),
                                 values.data(), values.size()));
        return values;
    }

  private:
    struct Free {
        void operator()(ZcfArray *handle) const { zcf_array_free(handle); }
    };
    std::unique_ptr<ZcfArray, Free> handle_;
    ZcfArrayInfo info_{};
};

// 64-bit FNV-1a, as in box_checksum.c.
uint64_t fnv1a64(const std::vector<unsigned char> &bytes) {
    uint64_t hash = 0xcbf29ce484222325u;
    for (unsigned char byte : bytes) {
        hash ^= byte;
        hash *= 0x100000001b3u;
    }
    return hash;
}

void print_dims(const char *label, const std::vector<uint64_t> &values) {
    std::printf("%s", label);
    for (uint64_t value : values) {
        std::printf(" %" PRIu64, value);
    }
    std::printf("\n");
}

// Parses "START:STOP" (START <= STOP) into the start and extent of one box axis.
void parse_range(const std::string &text, uint64_t &start, uint64_t &extent) {
    size_t colon = text.find(':');
    size_t start_end = 0, stop_end = 0;
    try {
        if (colon != std::string::npos && colon > 0 && colon + 1 < text.size()) {
            uint64_t first = std::stoull(text.substr(0, colon), &start_end);
            uint64_t stop = std::stoull(text.substr(colon + 1), &stop_end);
            if (start_end == colon && stop_end == text.size() - colon - 1 && first <= stop) {
                start = first;
                extent = stop - first;
                return;
            }
        }
    } catch (const std::logic_error &) {
        // Reported below, like any other malformed range.
    }
    throw std::invalid_argument("not a START:STOP range: " + text);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PATH [START:STOP ...]\n", argv[0]);
        return 2;
    }
    if (zcf_abi_version() != ZCF_ABI_VERSION) {
        std::fprintf(stderr, "the library has ABI version %" PRIu32
                     ", this program was built for %d\n", zcf_abi_version(), ZCF_ABI_VERSION);
        return 1;
    }
    try {
        ZarrArray array(argv[1]);
        if (array.info().data_type == ZCF_DTYPE_UNSUPPORTED) {
            throw std::runtime_error("data type " + array.data_type_name() +
                                     " cannot be read into a buffer");
        }
        std::vector<uint64_t> shape = array.shape();
        print_dims("shape", shape);
        print_dims("chunks", array.chunk_shape());
        std::printf("data type %s, %zu bytes per element\n", array.data_type_name().c_str(),
                    array.info().item_size);

        std::vector<uint64_t> start(shape.size(), 0), box_shape = shape;
        if (argc > 2) {
            if (static_cast<size_t>(argc - 2) != shape.size()) {
                throw std::invalid_argument("expected " + std::to_string(shape.size()) +
                                            " START:STOP ranges");
            }
            for (size_t axis = 0; axis < shape.size(); axis++) {
                parse_range(argv[axis + 2], start[axis], box_shape[axis]);
            }
        }
        std::vector<unsigned char> values = array.read_box(start, box_shape);
        std::printf("read %zu elements\n", values.size() / array.info().item_size);
        std::printf("checksum %016" PRIx64 "\n", fnv1a64(values));
        return 0;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 1;
    }
}
