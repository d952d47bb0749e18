// SIGBUS guard for memory-mapped inputs: a file truncated underneath its mapping becomes an error naming the
// file ("changed while being read") instead of killing the process.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hfb {

/// Registers [begin, begin + size) as a mapped input; returns a slot for mapped_guard_faulted/unregister
/// (-1 when the table is full: the region is then unguarded, as before). Installs the SIGBUS handler once.
/// On a SIGBUS inside a registered region the handler maps zero pages over the faulting page (so the read
/// completes with zeros) and marks the slot; the owner must then report the bytes as unusable.
int mapped_guard_register(const void* begin, size_t size);
/// Whether a SIGBUS hit the slot's region since it was registered.
bool mapped_guard_faulted(int slot);
/// Forgets the region (before munmap).
void mapped_guard_unregister(int slot);

}  // namespace hfb
