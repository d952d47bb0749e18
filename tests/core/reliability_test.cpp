// Guards of issue #16 in core/: limits and their overrides, checked shape products (F17), non-finite
// attributes (F2), FIFOs refused without blocking (F8), the SIGBUS guard for truncated mappings (F7).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/byte_source.h"
#include "core/graph.h"
#include "core/limits.h"

namespace hfb {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/hfb_core_rel_XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

TEST(Limits, OverridesByNameAndRefusesBadItems) {
  Limits l;
  ASSERT_TRUE(apply_limit_override("layers=4096", &l).ok());
  EXPECT_EQ(l.max_layers, 4096);
  ASSERT_TRUE(apply_limit_override("file_bytes=1099511627777", &l).ok());
  EXPECT_EQ(l.max_file_bytes, 1099511627777ull);
  for (const char* bad : {"layers", "layers=0", "layers=-3", "layers=1e6", "nonsense=5", "=5"}) {
    Status s = apply_limit_override(bad, &l);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(limit_names().size(), 13u);
  Status over = check_limit("window", 5, 4, "window");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kLimit);
  EXPECT_NE(over.error().message.find("--limit window=N"), std::string::npos);
  EXPECT_TRUE(check_limit("window", 4, 4, "window").ok());
}

Graph reshape_graph() {
  Graph g;
  EXPECT_TRUE(g.add_input("x", DTypeId::kF32, {kSeqDim, 64}).ok());
  return g;
}

TEST(GraphGuards, ReshapeProductOverflowIsRefusedNamingOverflow) {
  // 5 x 3689348814741910336 = 2^64 + 64: wraps to 64 without checked arithmetic (F17).
  Graph g = reshape_graph();
  Status s = g.add_node(OpType::kReshape, "r", {"x"}, {{"shape", std::vector<int64_t>{kSeqDim, 5, 3689348814741910336}}}, "r");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("overflow"), std::string::npos) << s.error().to_string();
  Graph h = reshape_graph();
  Status ok = h.add_node(OpType::kReshape, "r", {"x"}, {{"shape", std::vector<int64_t>{kSeqDim, 4, 16}}}, "r");
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();
}

TEST(GraphGuards, NonFiniteAttributesAreRefused) {
  for (double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL}) {
    Graph g = reshape_graph();
    TensorInfo w;
    w.name = "w";
    w.dtype = DTypeId::kF32;
    w.shape = Shape({64});
    w.role = Role::kNorm;
    ASSERT_TRUE(g.add_initializer("w", w).ok());
    Status s = g.add_node(OpType::kRmsNorm, "n", {"x", "w"}, {{"eps", bad}}, "n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("not finite"), std::string::npos) << s.error().to_string();
  }
}

TEST(GraphGuards, StateWindowAboveTheLimitIsRefused) {
  Graph g;
  Status s = g.add_state({"kv.0", 1, 4, limits().max_window + 1});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kLimit);
  EXPECT_TRUE(g.add_state({"kv.1", 1, 4, 512}).ok());
}

TEST(ByteSourceGuards, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "config.json").c_str(), 0644), 0);
  const auto start = std::chrono::steady_clock::now();
  auto file = MmapFile::open(dir / "config.json");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, ErrorCode::kInvalidFile);
  EXPECT_NE(file.error().message.find("not a regular file"), std::string::npos);
  EXPECT_LT(seconds, 1.0);
  auto text = read_small_file(dir / "config.json", 1 << 20, "config_bytes");
  EXPECT_FALSE(text.ok());
  EXPECT_FALSE(is_regular_file(dir / "config.json"));
  auto dev = MmapFile::open("/dev/zero");
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().code, ErrorCode::kInvalidFile);
}

TEST(ByteSourceGuards, SmallFileLimitNamesTheLimit) {
  TempDir dir;
  std::ofstream(dir / "big.json") << std::string(100, 'x');
  auto text = read_small_file(dir / "big.json", 10, "config_bytes");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, ErrorCode::kLimit);
  EXPECT_NE(text.error().message.find("config_bytes"), std::string::npos);
}

TEST(ByteSourceGuards, TruncationUnderAMappingIsAnErrorNotSigbus) {
  TempDir dir;
  const long page = ::sysconf(_SC_PAGESIZE);
  const std::string path = dir / "shard.safetensors";
  std::ofstream(path, std::ios::binary) << std::string(static_cast<size_t>(page * 4), '\x7');
  auto file = MmapFile::open(path);
  ASSERT_TRUE(file.ok());
  auto span = (*file)->read(0, static_cast<uint64_t>(page * 4));
  ASSERT_TRUE(span.ok());
  EXPECT_EQ(span->data[page * 3], 7);
  EXPECT_TRUE((*file)->check_intact().ok());
  ASSERT_EQ(::truncate(path.c_str(), page), 0);  // shrinks underneath the mapping (F7)
  (*file)->release(0, static_cast<uint64_t>(page * 4));  // drop cached pages so the next touch faults
  volatile uint8_t after = span->data[page * 3];       // SIGBUS without the guard
  EXPECT_EQ(after, 0);
  Status intact = (*file)->check_intact();
  ASSERT_FALSE(intact.ok());
  EXPECT_NE(intact.error().message.find("changed while being read"), std::string::npos);
  EXPECT_EQ(intact.error().path, path);
  EXPECT_FALSE((*file)->read(0, 1).ok());
}

}  // namespace
}  // namespace hfb
