// safetensors: round trips of every dtype and shape, the exact bytes of a
// small file, every kind of malformed file, the dtypes loaded by conversion,
// and atomic writes that leave the previous file intact.
#include <signal.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstring>
#include <random>

#include "helpers.hpp"
#include "temp_dir.hpp"

using namespace zengen;
using zengen::testing::read_bytes;
using zengen::testing::require_values;
using zengen::testing::TempDir;
using zengen::testing::write_bytes;

namespace {

std::string le64(std::uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

/// A safetensors file from a header text (not padded) and a data buffer.
std::string st_file(const std::string& header, const std::string& data = "") {
  return le64(header.size()) + header + data;
}

template <typename T>
std::string bytes_of(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) s.append(reinterpret_cast<const char*>(&v), sizeof v);
  return s;
}

/// Writes `bytes` to a file and requires load_safetensors to reject it
/// with a FormatError naming the file and containing `message`.
void require_format_error(const TempDir& dir, const std::string& bytes, const std::string& message) {
  const std::string path = dir.file("bad.safetensors");
  write_bytes(path, bytes);
  INFO("expected a FormatError containing: " << message);
  REQUIRE_THROWS_AS(io::load_safetensors(path), FormatError);
  REQUIRE_THROWS_WITH(io::load_safetensors(path), Catch::Contains(path) && Catch::Contains(message));
}

}  // namespace

TEST_CASE("safetensors: every dtype and shape round-trips, with metadata", "[io]") {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  const Tensor base = arange(0, 12, 1, {.dtype = DType::Float32}).reshape({3, 4});
  std::map<std::string, Tensor> tensors{
      {"f32", base * 0.5 - 1.0},
      {"f64", arange(0, 5, 1, {.dtype = DType::Float64}) / 3.0},
      {"i64", from_vector(std::vector<std::int64_t>{-(std::int64_t{1} << 62), -1, 0, 7}, {2, 2})},
      {"bool", tensor({1, 0, 0, 1, 1}) > 0.5},
      {"scalar_f32", scalar_tensor(-2.5)},
      {"scalar_i64", scalar_tensor(9, {.dtype = DType::Int64})},
      {"empty_f32", zeros({0, 3})},
      {"empty_bool", zeros({0}, {.dtype = DType::Bool})},
      {"transposed", base.t()},                       // non-contiguous
      {"narrowed", base.narrow(0, 1, 2)},             // offset into storage
      {"trainable", ones({2}).requires_grad_()},      // saved without its autograd state
      {"layer.0.weight/with spaces é", full({1, 1, 1}, 3.0)},
  };
  const std::map<std::string, std::string> metadata{{"format", "pt"}, {"epoch", "12"}, {"note", "ünïcödé"}};
  io::save_safetensors(path, tensors, metadata);

  const auto file = io::load_safetensors(path);
  REQUIRE(file.metadata == metadata);
  REQUIRE(file.tensors.size() == tensors.size());
  for (const auto& [name, t] : tensors) {
    INFO("tensor " << name);
    REQUIRE(file.contains(name));
    const Tensor& got = file.at(name);
    REQUIRE(got.dtype() == t.dtype());
    REQUIRE(got.shape() == t.shape());
    REQUIRE(got.is_contiguous());
    REQUIRE_FALSE(got.requires_grad());
    require_values(got, t.shape(), t.to_vector<double>(), 0.0);
  }
  // File order is layout order: 8-byte elements first, then 4, then 1, each by name.
  REQUIRE(file.names() == std::vector<std::string>{"f64", "i64", "scalar_i64", "empty_f32", "f32",
                                                   "layer.0.weight/with spaces é", "narrowed", "scalar_f32",
                                                   "trainable", "transposed", "bool", "empty_bool"});
  REQUIRE(file.to_map().size() == tensors.size());

  // The header is padded with spaces to a multiple of 8.
  const std::string bytes = read_bytes(path);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  REQUIRE(n % 8 == 0);
  const std::string header = bytes.substr(8, n);
  REQUIRE(header.front() == '{');
  REQUIRE(header.find_last_not_of(' ') == header.rfind('}'));

  // No metadata, no tensors: still a valid file.
  io::save_safetensors(path, {});
  const auto empty = io::load_safetensors(path);
  REQUIRE(empty.tensors.empty());
  REQUIRE(empty.metadata.empty());
  REQUIRE(read_bytes(path) == le64(8) + "{}      ");
}

TEST_CASE("safetensors: the bytes of a small file are exactly the spec's", "[io]") {
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  io::save_safetensors(path, {{"a", tensor({1.0, 2.0})}, {"b", tensor({1, 0}) > 0.5}}, {{"k", "v"}});
  const std::string json =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"BOOL","shape":[2],"data_offsets":[8,10]}})";
  REQUIRE(json.size() == 134);  // padded with 2 spaces to 136 = 0x88
  const std::string expected = std::string("\x88\0\0\0\0\0\0\0", 8) + json + "  " +
                               std::string("\x00\x00\x80\x3f\x00\x00\x00\x40\x01\x00", 10);
  REQUIRE(read_bytes(path) == expected);
}

TEST_CASE("safetensors: malformed files are FormatErrors that say what is wrong", "[io]") {
  TempDir dir;
  const std::string f32x2 = bytes_of<float>({1.0f, 2.0f});
  auto one = [](const std::string& entry) { return std::string(R"({"a":)") + entry + "}"; };

  SECTION("file and header sizes") {
    require_format_error(dir, "", "shorter than the 8-byte header length");
    require_format_error(dir, "abc", "3 bytes long");
    require_format_error(dir, le64(1000) + "{}", "header length 1000 is larger than the rest of the file (2 bytes)");
    require_format_error(dir, le64(200'000'000) + "{}", "larger than the limit of 100000000 bytes");
    require_format_error(dir, le64(~std::uint64_t{0}) + "{}", "larger than the limit");
  }
  SECTION("JSON") {
    require_format_error(dir, st_file(R"([1, 2])"), "does not start with '{'");
    require_format_error(dir, st_file(R"( {})"), "does not start with '{'");
    require_format_error(dir, st_file(R"({"a": )"), "not valid JSON");
    require_format_error(dir, st_file(R"({} x)"), "trailing bytes after its object (only spaces may pad it): ' x'");
    require_format_error(dir, st_file(std::string("{}\0\0", 4)), "trailing bytes after its object");
    require_format_error(dir, st_file(R"({"a": 1}})"), "not valid JSON");
    require_format_error(dir, st_file(R"({"a": "}")"), "trailing bytes");
    require_format_error(dir, st_file("{\"\xff\": 1}"), "not valid JSON");  // not UTF-8
    require_format_error(dir, st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                      f32x2),
                         "the key 'a' twice");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]})"),
                                      f32x2),
                         "the key 'dtype' twice");
    require_format_error(dir, st_file(R"({"__metadata__":{"x":"1","x":"2"}})"), "the key 'x' twice");
  }
  SECTION("JSON nesting") {
    // A 2 MB header of nested arrays: refused at the ninth level, long
    // before the parser has built anything large.
    const std::size_t deep = 1'000'000;
    require_format_error(dir, st_file(R"({"a":)" + std::string(deep, '[') + std::string(deep, ']') + "}"),
                         "nests deeper than 8 levels");
    require_format_error(dir, st_file(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{}}}}}}}}})"),
                         "nests deeper than 8 levels");
    // Eight levels parse (and then fail for what they hold).
    require_format_error(dir, st_file(R"({"a":[[[[[[[]]]]]]]})"), "entry is an array, expected an object");
  }
  SECTION("metadata") {
    require_format_error(dir, st_file(R"({"__metadata__":[1]})"), "\"__metadata__\" is an array, expected an object");
    require_format_error(dir, st_file(R"({"__metadata__":{"epoch":3}})"), "'epoch' holds a number");
  }
  SECTION("entries: fields and their JSON types") {
    require_format_error(dir, st_file(one("3")), "tensor 'a': entry is a number, expected an object");
    require_format_error(dir, st_file(one(R"({"shape":[2],"data_offsets":[0,8]})"), f32x2),
                         "tensor 'a': missing field \"dtype\"");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","data_offsets":[0,8]})"), f32x2),
                         "missing field \"shape\"");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2]})"), f32x2),
                         "missing field \"data_offsets\"");
    require_format_error(dir, st_file(one(R"({"dtype":4,"shape":[2],"data_offsets":[0,8]})"), f32x2),
                         "\"dtype\" is a number, expected a string");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})"), f32x2),
                         "\"shape\" is a string, expected an array");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"), f32x2),
                         "\"shape\" must hold non-negative integers");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8,8]})"), f32x2),
                         "\"data_offsets\" must be an array of two integers");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":{"b":0}})"), f32x2),
                         "\"data_offsets\" must be an array of two integers");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,"8"]})"), f32x2),
                         "\"data_offsets\" must hold two non-negative integers");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[-1,8]})"), f32x2),
                         "\"data_offsets\" must hold two non-negative integers");
  }
  SECTION("dtypes") {
    require_format_error(dir, st_file(one(R"({"dtype":"F128","shape":[2],"data_offsets":[0,8]})"), f32x2),
                         "tensor 'a': unknown dtype \"F128\"");
    require_format_error(dir, st_file(one(R"({"dtype":"f32","shape":[2],"data_offsets":[0,8]})"), f32x2),
                         "unknown dtype \"f32\"");
    require_format_error(dir, st_file(one(R"({"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]})"), f32x2),
                         "dtype F8_E4M3 is not supported by zengen");
  }
  SECTION("shapes") {
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), f32x2),
                         "negative size -2 in \"shape\" [-2]");
    require_format_error(
        dir, st_file(one(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"), f32x2),
        "overflows a 64-bit element count");
    require_format_error(
        dir, st_file(one(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]})"), f32x2),
        "overflows a 64-bit element count");
    require_format_error(
        dir, st_file(one(R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]})"), f32x2),
        "overflows a 64-bit byte count");
  }
  SECTION("data offsets") {
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})"), f32x2),
                         "data_offsets [8,0] have begin > end");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), f32x2),
                         "data_offsets [0,4] span 4 bytes, but F32 of shape [2] needs 8");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,12]})"), f32x2),
                         "reach past the end of the 8-byte data buffer");
    require_format_error(dir,
                         st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                 f32x2),
                         "tensor 'b': data_offsets [4, 8] overlap tensor 'a' [0, 8]");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), f32x2),
                         "has a hole: bytes [0, 4) belong to no tensor");
    require_format_error(dir,
                         st_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                 f32x2 + f32x2),
                         "has a hole: bytes [4, 8) belong to no tensor");
    require_format_error(dir, st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), f32x2 + "xyz"),
                         "3 trailing bytes after the last tensor");
    require_format_error(dir, st_file(R"({})", "junk"), "4 trailing bytes");
  }
}

TEST_CASE("safetensors: readers accept what the spec allows", "[io]") {
  TempDir dir;
  const std::string path = dir.file("ok.safetensors");
  // Pretty-printed JSON with an unpadded header, an extra field in an entry,
  // a zero-sized tensor between two others, and metadata last.
  write_bytes(path, st_file("{\n  \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8], \"x\": 1},\n"
                            "  \"z\": {\"dtype\": \"I64\", \"shape\": [0, 5], \"data_offsets\": [4, 4]},\n"
                            "  \"a\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [0, 4]},\n"
                            "  \"__metadata__\": {}\n}\n\t ",
                            bytes_of<float>({1.5f, -3.0f})));
  const auto file = io::load_safetensors(path);
  REQUIRE(file.names() == std::vector<std::string>{"a", "z", "b"});  // by data offset
  REQUIRE(file.at("a").dim() == 0);
  REQUIRE(file.at("a").item() == 1.5);
  REQUIRE(file.at("z").shape() == Shape{0, 5});
  REQUIRE(file.at("z").dtype() == DType::Int64);
  require_values(file.at("b"), {1}, {-3.0});
  REQUIRE_THROWS_AS(file.at("c"), ValueError);
  REQUIRE_THROWS_WITH(file.at("c"), Catch::Contains("no tensor named 'c'") && Catch::Contains("'a', 'z', 'b'"));
}

TEST_CASE("safetensors: F16, BF16 and small integer dtypes load by conversion", "[io]") {
  TempDir dir;
  const std::string path = dir.file("conv.safetensors");
  const std::string data = bytes_of<std::uint16_t>({0x0000, 0x3e00, 0xc000, 0x7bff, 0x0001, 0x8400, 0x7c00}) +  // F16
                           bytes_of<std::uint16_t>({0x3f80, 0xbf00, 0x4049}) +                                 // BF16
                           bytes_of<std::int8_t>({-128, -1, 127}) + bytes_of<std::uint8_t>({0, 200, 255}) +
                           bytes_of<std::int16_t>({-32768, 32767}) + bytes_of<std::uint16_t>({65535}) +
                           bytes_of<std::int32_t>({-2147483647 - 1, 2147483647}) +
                           bytes_of<std::uint32_t>({4294967295u}) +
                           bytes_of<std::uint64_t>({0, 9223372036854775807ull}) + std::string("\x00\x02\x01", 3);
  const std::string header =
      R"({"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},)"
      R"("bf":{"dtype":"BF16","shape":[3],"data_offsets":[14,20]},)"
      R"("i8":{"dtype":"I8","shape":[3],"data_offsets":[20,23]},)"
      R"("u8":{"dtype":"U8","shape":[3],"data_offsets":[23,26]},)"
      R"("i16":{"dtype":"I16","shape":[2],"data_offsets":[26,30]},)"
      R"("u16":{"dtype":"U16","shape":[1],"data_offsets":[30,32]},)"
      R"("i32":{"dtype":"I32","shape":[2],"data_offsets":[32,40]},)"
      R"("u32":{"dtype":"U32","shape":[1],"data_offsets":[40,44]},)"
      R"("u64":{"dtype":"U64","shape":[2],"data_offsets":[44,60]},)"
      R"("b":{"dtype":"BOOL","shape":[3],"data_offsets":[60,63]}})";
  write_bytes(path, st_file(header, data));
  const auto file = io::load_safetensors(path);
  REQUIRE(file.at("h").dtype() == DType::Float32);
  require_values(file.at("h"), {7}, {0.0, 1.5, -2.0, 65504.0, std::ldexp(1.0, -24), -std::ldexp(1.0, -14),
                                     std::numeric_limits<double>::infinity()},
                 0.0);
  REQUIRE(file.at("bf").dtype() == DType::Float32);
  require_values(file.at("bf"), {3}, {1.0, -0.5, 3.140625}, 0.0);
  REQUIRE(file.at("i8").dtype() == DType::Int64);
  require_values(file.at("i8"), {3}, {-128, -1, 127}, 0.0);
  require_values(file.at("u8"), {3}, {0, 200, 255}, 0.0);
  require_values(file.at("i16"), {2}, {-32768, 32767}, 0.0);
  require_values(file.at("u16"), {1}, {65535}, 0.0);
  require_values(file.at("i32"), {2}, {-2147483648.0, 2147483647.0}, 0.0);
  require_values(file.at("u32"), {1}, {4294967295.0}, 0.0);
  REQUIRE(file.at("u64").to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 9223372036854775807});
  // Any non-zero byte is true.
  REQUIRE(file.at("b").to_vector<double>() == std::vector<double>{0, 1, 1});
  REQUIRE(file.at("b").data<bool>()[1] == true);

  // A U64 value beyond int64 cannot load faithfully.
  require_format_error(dir,
                       st_file(R"({"u":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}})",
                               bytes_of<std::uint64_t>({9223372036854775808ull})),
                       "U64 value 9223372036854775808 at element 0 does not fit in int64");
}

TEST_CASE("safetensors: files that cannot be opened are IOErrors", "[io]") {
  TempDir dir;
  const std::string missing = dir.file("missing.safetensors");
  REQUIRE_THROWS_AS(io::load_safetensors(missing), IOError);
  REQUIRE_THROWS_WITH(io::load_safetensors(missing),
                      Catch::Contains(missing) && Catch::Contains("No such file or directory"));
  REQUIRE_THROWS_WITH(io::load_safetensors(dir.path().string()), Catch::Contains("Is a directory"));
}

namespace {
// Lowers the file-size limit (RLIMIT_FSIZE) for the process, so that a write
// past `bytes` fails with EFBIG — a disk-full failure in the middle of a
// write, which works even as root. SIGXFSZ is ignored meanwhile.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &lowered);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};
}  // namespace

TEST_CASE("safetensors: writes are atomic and leave no temporary files", "[io]") {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  io::save_safetensors(path, {{"w", arange(10)}}, {{"step", "1"}});
  const std::string old_bytes = read_bytes(path);
  REQUIRE(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});

  SECTION("overwriting replaces the file") {
    io::save_safetensors(path, {{"w", arange(3)}}, {{"step", "2"}});
    REQUIRE(io::load_safetensors(path).metadata.at("step") == "2");
    REQUIRE(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});
  }
  SECTION("a write that fails midway (file too large) keeps the old file") {
    {
      FileSizeLimit limit(64 * 1024);
      REQUIRE_THROWS_AS(io::save_safetensors(path, {{"w", zeros({1 << 20})}}), IOError);
      REQUIRE_THROWS_WITH(io::save_safetensors(path, {{"w", zeros({1 << 20})}}),
                          Catch::Contains(path) && Catch::Contains("File too large") &&
                              Catch::Contains("previous file, if any, is unchanged"));
    }
    REQUIRE(read_bytes(path) == old_bytes);
    REQUIRE(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});
  }
  SECTION("the rename failing (target is a folder) leaves no temporary file") {
    const std::string folder = dir.file("folder.safetensors");
    std::filesystem::create_directory(folder);
    REQUIRE_THROWS_AS(io::save_safetensors(folder, {{"w", arange(3)}}), IOError);
    REQUIRE_THROWS_WITH(io::save_safetensors(folder, {{"w", arange(3)}}),
                        Catch::Contains(folder) && Catch::Contains("rename"));
    REQUIRE(dir.entries() == std::vector<std::string>{"ckpt.safetensors", "folder.safetensors"});
  }
  SECTION("an unwritable folder names the path and the OS reason") {
    const std::string under_file = path + "/inner.safetensors";  // parent is a regular file
    REQUIRE_THROWS_AS(io::save_safetensors(under_file, {{"w", arange(3)}}), IOError);
    REQUIRE_THROWS_WITH(io::save_safetensors(under_file, {{"w", arange(3)}}),
                        Catch::Contains(under_file) && Catch::Contains("Not a directory"));
    const std::string no_folder = dir.file("nope/x.safetensors");
    REQUIRE_THROWS_WITH(io::save_safetensors(no_folder, {{"w", arange(3)}}),
                        Catch::Contains(no_folder) && Catch::Contains("No such file or directory"));
    REQUIRE(read_bytes(path) == old_bytes);
  }
  SECTION("tensors that cannot be saved are refused before anything is written") {
    REQUIRE_THROWS_AS(io::save_safetensors(path, {{"w", arange(3)}, {"undefined", Tensor()}}), ValueError);
    REQUIRE_THROWS_WITH(io::save_safetensors(path, {{"__metadata__", arange(3)}}), Catch::Contains("reserved"));
    REQUIRE_THROWS_WITH(io::save_safetensors(path, {{"bad\xff", arange(3)}}), Catch::Contains("not valid UTF-8"));
    REQUIRE_THROWS_AS(io::save_safetensors(path, {{"w", arange(3)}}, {{"k", "\xc3"}}), ValueError);
    REQUIRE(read_bytes(path) == old_bytes);
    REQUIRE(dir.entries() == std::vector<std::string>{"ckpt.safetensors"});
  }
}

TEST_CASE("safetensors: mutated files load or fail with a FormatError, nothing else", "[io]") {
  TempDir dir;
  const std::string good = dir.file("good.safetensors"), path = dir.file("mutated.safetensors");
  io::save_safetensors(good, {{"a", arange(6).reshape({2, 3})}, {"b", scalar_tensor(1, {.dtype = DType::Int64})},
                              {"c", tensor({1, 0}) > 0.5}},
                       {{"k", "v"}});
  const std::string bytes = read_bytes(good);
  std::mt19937 rng(1234);
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string m = bytes;
    const auto pos = [&] { return static_cast<std::size_t>(rng() % m.size()); };
    switch (i % 4) {
      case 0: m[pos()] = static_cast<char>(rng()); break;                  // any byte
      case 1: m[8 + rng() % 120] = "{}[]\",:0123456789 -e."[rng() % 21]; break;  // JSON punctuation
      case 2: m.resize(pos()); break;                                        // cut short
      case 3: m.insert(pos(), std::string(1 + rng() % 8, static_cast<char>(rng()))); break;
    }
    write_bytes(path, m);
    try {
      io::load_safetensors(path);
      ++loaded;
    } catch (const FormatError&) {
      ++rejected;
    }
  }
  INFO(loaded << " loaded, " << rejected << " rejected");
  REQUIRE(rejected > 1000);
}
