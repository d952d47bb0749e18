// The hfbundle version: printed by --version, written as the bundle's producer and provenance.
#pragma once

namespace hfb {

inline constexpr const char* kHfbundleVersion = "0.1.0";

}  // namespace hfb
