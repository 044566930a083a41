// `journeyd validate PATH…`: checks config, journey, segment and template files and prints one
// FILE:LINE:COL line per problem; exit 1 when there is an error.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "daemon/cli/commands.h"
#include "daemon/config/config.h"

namespace journeyd {

namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Which kind of file this is, from its top-level keys.
enum class FileKind { kConfig, kUnknown };

FileKind kindOf(const YAML::Node& root) {
  if (!root.IsMap()) return FileKind::kUnknown;
  for (const char* key : {"http", "keys", "store", "channels", "orders", "log"}) {
    if (root[key]) return FileKind::kConfig;
  }
  return FileKind::kUnknown;
}

void validateFile(const fs::path& path, Diagnostics& diags) {
  const std::string file = path.string();
  const std::string text = readFile(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diags.error({file, e.mark.line + 1, e.mark.column + 1}, e.msg);
    return;
  }
  switch (kindOf(root)) {
    case FileKind::kConfig: parseConfig(text, file, diags); break;
    case FileKind::kUnknown: diags.warning({file, 1, 1}, "not a journeyd file (no known top-level key); skipped"); break;
  }
}

}  // namespace

int runValidate(const std::vector<std::string>& paths) {
  Diagnostics diags;
  size_t files = 0;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::recursive_directory_iterator(p, ec)) {
        auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      for (const auto& f : found) {
        validateFile(f, diags);
        ++files;
      }
    } else if (fs::exists(p, ec)) {
      validateFile(p, diags);
      ++files;
    } else {
      diags.error({p, 0, 0}, "no such file or folder");
    }
  }
  std::fputs(diags.format().c_str(), stdout);
  if (diags.hasErrors()) return 1;
  std::printf("%zu file%s OK\n", files, files == 1 ? "" : "s");
  return 0;
}

}  // namespace journeyd
