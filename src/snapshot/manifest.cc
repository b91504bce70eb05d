#include "snapshot/manifest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/sha256.h"

namespace cutover::snapshot {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kChecksumKey = "\"checksum\": \"sha256:";
const std::string kZeros(64, '0');

Json ChunkJson(const ChunkInfo& c) {
  return Json{{"file", c.file},
              {"rows", c.rows},
              {"raw_bytes", c.raw_bytes},
              {"stored_bytes", c.stored_bytes},
              {"stored_sha256", c.stored_sha256},
              {"raw_xxh128", c.raw_xxh128},
              {"digest", c.digest}};
}

// Reading: every accessor throws a std::runtime_error naming the key, caught
// once in Parse().
struct Reader {
  static const Json& Field(const Json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) throw std::runtime_error(std::string("missing \"") + key + "\"");
    return j.at(key);
  }
  static std::string Str(const Json& j, const char* key) {
    const Json& v = Field(j, key);
    if (!v.is_string()) throw std::runtime_error(std::string("\"") + key + "\" is not a string");
    return v.get<std::string>();
  }
  static std::int64_t Int(const Json& j, const char* key) {
    const Json& v = Field(j, key);
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0) {
      throw std::runtime_error(std::string("\"") + key + "\" is not a non-negative integer");
    }
    return v.get<std::int64_t>();
  }
  static const Json& Arr(const Json& j, const char* key) {
    const Json& v = Field(j, key);
    if (!v.is_array()) throw std::runtime_error(std::string("\"") + key + "\" is not an array");
    return v;
  }
  static bool IsHex(const std::string& s, size_t n) {
    return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
  }
  static ChunkInfo Chunk(const Json& j) {
    ChunkInfo c;
    c.file = Str(j, "file");
    if (!IsSafeChunkPath(c.file)) throw std::runtime_error("unsafe chunk file name \"" + c.file + "\"");
    c.rows = Int(j, "rows");
    c.raw_bytes = Int(j, "raw_bytes");
    c.stored_bytes = Int(j, "stored_bytes");
    c.stored_sha256 = Str(j, "stored_sha256");
    c.raw_xxh128 = Str(j, "raw_xxh128");
    c.digest = Str(j, "digest");
    if (!IsHex(c.stored_sha256, 64) || !IsHex(c.raw_xxh128, 32) || !IsHex(c.digest, 32)) {
      throw std::runtime_error("chunk \"" + c.file + "\" has a malformed hash");
    }
    return c;
  }
};

// Every sum a reader makes of the manifest's counts (totals, a table's
// chunks) fits in 64 bits. A tampered manifest with absurd counts is refused
// here instead of overflowing later.
bool SumsFit(const Manifest& m) {
  std::int64_t rows = 0, raw = m.image_bytes, chunk_rows = 0, chunk_raw = 0, stored = 0;
  for (const auto& t : m.tables) {
    if (__builtin_add_overflow(rows, t.rows, &rows) || __builtin_add_overflow(raw, t.raw_bytes, &raw))
      return false;
  }
  for (const ChunkInfo* c : m.AllChunks()) {
    if (__builtin_add_overflow(chunk_rows, c->rows, &chunk_rows) ||
        __builtin_add_overflow(chunk_raw, c->raw_bytes, &chunk_raw) ||
        __builtin_add_overflow(stored, c->stored_bytes, &stored)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::int64_t Manifest::TotalRows() const {
  std::int64_t n = 0;
  for (const auto& t : tables) n += t.rows;
  return n;
}

const char* LayoutName(Layout layout) {
  return layout == Layout::kImage ? "image" : "records";
}

std::int64_t Manifest::TotalRawBytes() const {
  std::int64_t n = image_bytes;
  for (const auto& t : tables) n += t.raw_bytes;
  return n;
}

std::int64_t Manifest::TotalStoredBytes() const {
  std::int64_t n = 0;
  for (const ChunkInfo* c : AllChunks()) n += c->stored_bytes;
  return n;
}

std::vector<const ChunkInfo*> Manifest::AllChunks() const {
  std::vector<const ChunkInfo*> all{&pre_data, &post_data, &model};
  for (const auto& t : tables) {
    for (const auto& range : t.ranges) {
      for (const auto& c : range) all.push_back(&c);
    }
  }
  for (const auto& c : image) all.push_back(&c);
  return all;
}

bool IsSafeChunkPath(std::string_view file) {
  if (!(file.starts_with("data/") || file.starts_with("schema/"))) return false;
  if (file.find("..") != std::string_view::npos || file.find("//") != std::string_view::npos) return false;
  for (char c : file) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return !file.ends_with("/");
}

std::string Serialize(const Manifest& m) {
  Json j;
  j["format"] = "cutover.snapshot";
  const bool record_formats = std::any_of(m.tables.begin(), m.tables.end(),
                                          [](const TableEntry& t) { return !t.table.record_format.empty(); });
  j["format_version"] = m.layout == Layout::kImage ? kImageFormatVersion
                        : record_formats           ? kManifestFormatVersion
                                                   : kRecordsFormatVersion;
  j["id"] = m.id;
  j["tool_version"] = m.tool_version;
  j["engine"] = m.engine;
  j["server"] = Json{{"product", m.server_product}, {"version", m.server_version}};
  j["source"] = m.source;
  j["target"] = m.target;
  j["point"] = Json::object();
  for (const auto& [k, v] : m.point) j["point"][k] = v;
  j["started_at"] = m.started_at;
  j["finished_at"] = m.finished_at;
  j["compression"] = Json{{"algorithm", "zstd"}, {"level", m.compression_level}};
  j["schema"] = Json{{"fingerprint", m.fingerprint},
                     {"objects", m.schema_objects},
                     {"pre_data", ChunkJson(m.pre_data)},
                     {"post_data", ChunkJson(m.post_data)},
                     {"model", ChunkJson(m.model)}};
  Json tables = Json::array();
  for (const auto& t : m.tables) {
    Json ranges = Json::array();
    for (const auto& range : t.ranges) {
      Json chunks = Json::array();
      for (const auto& c : range) chunks.push_back(ChunkJson(c));
      ranges.push_back(std::move(chunks));
    }
    Json table{{"schema", t.table.schema},
               {"name", t.table.name},
               {"columns", t.table.columns},
               {"split_column", t.table.split_column},
               {"rows", t.rows},
               {"raw_bytes", t.raw_bytes},
               {"digest", t.digest},
               {"ranges", std::move(ranges)}};
    if (!t.table.record_format.empty()) table["record_format"] = t.table.record_format;
    tables.push_back(std::move(table));
  }
  j["tables"] = std::move(tables);
  if (record_formats && m.layout != Layout::kImage) j["layout"] = LayoutName(m.layout);
  if (m.layout == Layout::kImage) {
    Json chunks = Json::array();
    for (const auto& c : m.image) chunks.push_back(ChunkJson(c));
    j["layout"] = LayoutName(m.layout);
    j["image"] = Json{{"bytes", m.image_bytes}, {"chunks", std::move(chunks)}};
  }
  j["totals"] = Json{{"tables", m.tables.size()},
                     {"rows", m.TotalRows()},
                     {"raw_bytes", m.TotalRawBytes()},
                     {"stored_bytes", m.TotalStoredBytes()}};
  j["checksum"] = "sha256:" + kZeros;
  return WithRecomputedChecksum(j.dump(1, ' ', false, Json::error_handler_t::strict) + "\n");
}

std::string WithRecomputedChecksum(std::string text) {
  // The checksum is the last key: its value is the last occurrence.
  const size_t key = text.rfind(kChecksumKey);
  if (key == std::string::npos || key + kChecksumKey.size() + 64 > text.size()) return text;
  const size_t at = key + kChecksumKey.size();
  text.replace(at, 64, kZeros);
  text.replace(at, 64, Sha256Hex(text));
  return text;
}

std::string ChecksumOf(std::string_view text) {
  size_t at = text.rfind(kChecksumKey);
  if (at == std::string_view::npos || at + kChecksumKey.size() + 64 > text.size()) return {};
  return "sha256:" + std::string(text.substr(at + kChecksumKey.size(), 64));
}

Result<Manifest> Parse(std::string_view text, const std::string& path) {
  size_t at = text.rfind(kChecksumKey);
  if (at == std::string_view::npos || at + kChecksumKey.size() + 64 > text.size()) {
    return Status::CheckFailed(path +
                               ": no checksum: not a complete cutover manifest (damaged or truncated)");
  }
  at += kChecksumKey.size();
  std::string recorded(text.substr(at, 64));
  std::string zeroed(text);
  zeroed.replace(at, 64, kZeros);
  if (Sha256Hex(zeroed) != recorded) {
    return Status::CheckFailed(path +
                               ": the manifest's checksum does not match its content (edited or damaged)");
  }
  Manifest m;
  try {
    Json j = Json::parse(text);
    if (Reader::Str(j, "format") != "cutover.snapshot")
      throw std::runtime_error("not a cutover snapshot manifest");
    m.format_version = static_cast<int>(Reader::Int(j, "format_version"));
    if (m.format_version > kManifestFormatVersion) {
      return Status::Unsupported(path + ": snapshot format version " + std::to_string(m.format_version) +
                                 " was written by a newer cutover (this one reads up to " +
                                 std::to_string(kManifestFormatVersion) + "); upgrade cutover");
    }
    m.id = Reader::Str(j, "id");
    m.tool_version = Reader::Str(j, "tool_version");
    m.engine = Reader::Str(j, "engine");
    m.server_product = Reader::Str(Reader::Field(j, "server"), "product");
    m.server_version = Reader::Str(Reader::Field(j, "server"), "version");
    m.source = Reader::Str(j, "source");
    m.target = Reader::Str(j, "target");
    const Json& point = Reader::Field(j, "point");
    if (!point.is_object()) throw std::runtime_error("\"point\" is not an object");
    for (const auto& [k, v] : point.items()) {
      if (!v.is_string()) throw std::runtime_error("\"point\"." + k + " is not a string");
      m.point[k] = v.get<std::string>();
    }
    m.started_at = Reader::Str(j, "started_at");
    m.finished_at = Reader::Str(j, "finished_at");
    m.compression_level = static_cast<int>(Reader::Int(Reader::Field(j, "compression"), "level"));
    const Json& schema = Reader::Field(j, "schema");
    m.fingerprint = Reader::Str(schema, "fingerprint");
    m.schema_objects = Reader::Int(schema, "objects");
    m.pre_data = Reader::Chunk(Reader::Field(schema, "pre_data"));
    m.post_data = Reader::Chunk(Reader::Field(schema, "post_data"));
    m.model = Reader::Chunk(Reader::Field(schema, "model"));
    for (const Json& t : Reader::Arr(j, "tables")) {
      TableEntry e;
      e.table.schema = Reader::Str(t, "schema");
      e.table.name = Reader::Str(t, "name");
      for (const Json& c : Reader::Arr(t, "columns")) {
        if (!c.is_string()) throw std::runtime_error("a column name of " + e.table.name + " is not a string");
        e.table.columns.push_back(c.get<std::string>());
      }
      e.table.split_column = Reader::Str(t, "split_column");
      if (m.format_version >= 3 && t.contains("record_format")) {
        e.table.record_format = Reader::Str(t, "record_format");
        if (e.table.record_format.empty())
          throw std::runtime_error("the record_format of " + e.table.name + " is empty");
      }
      e.rows = Reader::Int(t, "rows");
      e.raw_bytes = Reader::Int(t, "raw_bytes");
      e.digest = Reader::Str(t, "digest");
      for (const Json& range : Reader::Arr(t, "ranges")) {
        if (!range.is_array()) throw std::runtime_error("a range of " + e.table.name + " is not an array");
        std::vector<ChunkInfo> chunks;
        for (const Json& c : range) chunks.push_back(Reader::Chunk(c));
        e.ranges.push_back(std::move(chunks));
      }
      m.tables.push_back(std::move(e));
    }
    if (m.format_version >= 2) {
      const std::string layout = Reader::Str(j, "layout");
      if (layout == "image") {
        m.layout = Layout::kImage;
      } else if (layout != "records") {
        throw std::runtime_error("unknown layout \"" + layout + "\"");
      }
    }
    if (m.layout == Layout::kImage) {
      const Json& image = Reader::Field(j, "image");
      m.image_bytes = Reader::Int(image, "bytes");
      for (const Json& c : Reader::Arr(image, "chunks")) m.image.push_back(Reader::Chunk(c));
    }
  } catch (const std::exception& e) {
    return Status::CheckFailed(path + ": unreadable manifest: " + e.what());
  }
  if (!SumsFit(m)) {
    return Status::CheckFailed(path +
                               ": the manifest's row and byte counts add up past 2^63: it was edited; " +
                               "take a new snapshot");
  }
  return m;
}

}  // namespace cutover::snapshot
