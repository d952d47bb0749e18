// Private state of BundleWriter shared by its two .cpp files (not part of the public API).
#pragma once

#include <xxhash.h>

#include <memory>
#include <string>

#include "formats/bundle.pb.h"
#include "writers/bundle_writer.h"

namespace hfb {

struct Xxh3StateDeleter {
  void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};
using Xxh3State = std::unique_ptr<XXH3_state_t, Xxh3StateDeleter>;

inline Xxh3State make_xxh3_state() {
  Xxh3State state(XXH3_createState());
  HFB_CHECK(state != nullptr);
  XXH3_64bits_reset(state.get());
  return state;
}

/// One output file of the bundle while it is written.
struct BundleWriter::DataFile {
  std::string name;              ///< raw name ("chunk_00.bin")
  std::string stored_name;       ///< name on disk ("chunk_00.bin.zst" when compressed)
  bundle::FileKind kind = bundle::FILE_CHUNK;
  std::unique_ptr<WriteSink> sink;  ///< the raw file, or a ZstdSink writing stored_name
  ZstdSink* zstd = nullptr;      ///< `sink` when it compresses (not owned)
  Xxh3State hash = make_xxh3_state();  ///< of the raw bytes, padding included
  uint64_t size = 0;             ///< raw bytes written so far
  bool closed = false;
  bool linked = false;           ///< added unchanged from another bundle (link_file)
  int zstd_level = 0;
  uint64_t stored_size = 0;
  uint64_t stored_xxh3 = 0;
};

/// The segment being appended to.
struct BundleWriter::OpenSegment {
  DataFile* file = nullptr;
  int segment_index = 0;         ///< into the open tensor's segments
  Xxh3State hash = make_xxh3_state();
  uint64_t length = 0;
};

}  // namespace hfb
