// libsndfile decoding from memory (SF_VIRTUAL_IO), so the same code serves files, tests and the fuzz target.
#include "readers/media/audio_decode.h"

#include <sndfile.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <algorithm>

#include "readers/media/media_file.h"

namespace hfb::media {
namespace {

struct MemoryStream {
  const uint8_t* data;
  sf_count_t size;
  sf_count_t pos;
};

sf_count_t stream_length(void* user) { return static_cast<MemoryStream*>(user)->size; }

sf_count_t stream_seek(sf_count_t offset, int whence, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  sf_count_t base = whence == SEEK_CUR ? s->pos : whence == SEEK_END ? s->size : 0;
  sf_count_t target = base + offset;
  if (target < 0 || target > s->size) return -1;
  s->pos = target;
  return s->pos;
}

sf_count_t stream_read(void* ptr, sf_count_t count, void* user) {
  auto* s = static_cast<MemoryStream*>(user);
  sf_count_t n = std::min(count, s->size - s->pos);
  if (n <= 0) return 0;
  std::memcpy(ptr, s->data + s->pos, static_cast<size_t>(n));
  s->pos += n;
  return n;
}

sf_count_t stream_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t stream_tell(void* user) { return static_cast<MemoryStream*>(user)->pos; }

struct SndFileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};

Error audio_error(ErrorCode code, const std::string& name, const std::string& what) {
  return Error(code, "audio: " + what).with_path(name);
}

}  // namespace

Result<AudioClip> decode_audio(const uint8_t* data, size_t size, const std::string& name, double max_seconds) {
  HFB_TRY(check_wav_chunks(data, size, name));
  MemoryStream stream{data, static_cast<sf_count_t>(size), 0};
  SF_VIRTUAL_IO io{stream_length, stream_seek, stream_read, stream_write, stream_tell};
  SF_INFO info{};
  std::unique_ptr<SNDFILE, SndFileCloser> file(sf_open_virtual(&io, SFM_READ, &info, &stream));
  if (!file) {
    return audio_error(ErrorCode::kInvalidFile, name,
                       std::string("not a readable WAV/audio file (libsndfile: ") + sf_strerror(nullptr) +
                           "); expected RIFF/WAVE PCM 8/16/24/32-bit or float. Perhaps a truncated or mislabelled file?");
  }
  if (info.channels < 1 || info.channels > kMaxAudioChannels) {
    return audio_error(ErrorCode::kLimit, name,
                       std::to_string(info.channels) + " channels, expected 1.." + std::to_string(kMaxAudioChannels));
  }
  if (info.samplerate < 1 || info.samplerate > 1000000) {
    return audio_error(ErrorCode::kInvalidArgument, name,
                       "sample rate " + std::to_string(info.samplerate) + " Hz, expected 1..1000000");
  }
  if (info.frames <= 0) return audio_error(ErrorCode::kInvalidFile, name, "zero-length audio (no sample frames)");
  if (info.frames > kMaxAudioFrames) {
    return audio_error(ErrorCode::kLimit, name,
                       std::to_string(info.frames) + " frames, more than the limit " + std::to_string(kMaxAudioFrames));
  }
  // A WAV header's frame count is a claim: never allocate more than the bytes could hold (1 byte per sample min).
  const bool wav = (info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV;
  if (wav && info.frames > static_cast<sf_count_t>(size) / info.channels + 1) {
    return audio_error(ErrorCode::kInvalidFile, name,
                       "header claims " + std::to_string(info.frames) + " frames but the file has only " +
                           std::to_string(size) + " bytes. Perhaps a truncated file?");
  }
  const double limit = std::max(1.0, std::ceil(max_seconds * info.samplerate));
  const sf_count_t wanted = std::min<sf_count_t>(info.frames, static_cast<sf_count_t>(std::min(limit, 1e15)));
  AudioClip clip;
  clip.sample_rate = info.samplerate;
  clip.channels = info.channels;
  clip.samples.resize(static_cast<size_t>(wanted) * static_cast<size_t>(info.channels));
  sf_command(file.get(), SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
  sf_count_t got = sf_readf_float(file.get(), clip.samples.data(), wanted);
  if (got <= 0) return audio_error(ErrorCode::kInvalidFile, name, "no sample frames could be decoded (truncated data?)");
  if (got < wanted) {
    return audio_error(ErrorCode::kInvalidFile, name,
                       "data chunk holds " + std::to_string(got) + " frames, header says " +
                           std::to_string(wanted) + ". Perhaps a truncated file?");
  }
  clip.frames = got;
  return clip;
}

Result<AudioClip> read_audio_file(const std::string& path, double max_seconds) {
  HFB_TRY(std::vector<uint8_t> bytes, read_media_file(path));
  return decode_audio(bytes.data(), bytes.size(), path, max_seconds);
}

std::vector<float> downmix_mean(const AudioClip& clip) {
  if (clip.channels == 1) return clip.samples;
  std::vector<float> mono(static_cast<size_t>(clip.frames));
  const float count = static_cast<float>(clip.channels);
  for (int64_t f = 0; f < clip.frames; ++f) {
    const float* frame = clip.samples.data() + f * clip.channels;
    float sum = frame[0];
    for (int c = 1; c < clip.channels; ++c) sum += frame[c];
    mono[static_cast<size_t>(f)] = sum / count;
  }
  return mono;
}

}  // namespace hfb::media
