// Wrong inputs recognised by their first bytes (GGUF, PyTorch pickle/zip, Git LFS pointers, HTML pages, empty
// files) so that the error says what the file is and what to do, instead of "config.json: cannot open".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"

namespace hfb {

/// What a file's first bytes (`head`, any length) say it is when it is something hfbundle does not read, as a
/// sentence with what to do; "" when nothing is recognised (a safetensors file, a bundle, unknown bytes).
/// Recognises GGUF, PyTorch zip checkpoints (an entry named .../data.pkl), legacy torch.save pickles, Git LFS pointer
/// files, HTML pages and empty files.
std::string describe_foreign_file(const uint8_t* head, size_t size);

/// Reads up to 512 bytes of `path` and calls describe_foreign_file; "" when unreadable or not recognised.
std::string describe_foreign_path(const std::string& path);

/// Checks what the user passed as a checkpoint before it is loaded. A regular file that describe_foreign_path
/// recognises, or a directory without config.json (or without
/// model.safetensors / its index) that holds *.gguf or pytorch_model*.bin / *.pt files, fails with
/// kUnsupported (a Git LFS pointer, HTML page or empty file: kInvalidFile) naming the file and what to do.
/// Anything else is ok (the loader then reports what is missing).
Status check_checkpoint_input(const std::string& path);

}  // namespace hfb
