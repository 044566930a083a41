// `journeyd validate PATH…`: checks config, journey, segment and template files and prints one
// FILE:LINE:COL line per problem; exit 1 when there is an error.
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "daemon/cli/commands.h"
#include "daemon/config/config.h"
#include "daemon/journeys/loader.h"
#include "daemon/render/message_template.h"

namespace journeyd {

namespace fs = std::filesystem;

namespace {

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

enum class FileKind { kConfig, kJourney, kSegments, kTemplate, kUnknown };

FileKind kindOf(const YAML::Node& root) {
  if (!root.IsMap()) return FileKind::kUnknown;
  for (const char* key : {"http", "keys", "store", "channels", "orders", "log"}) {
    if (root[key]) return FileKind::kConfig;
  }
  if (root["journey"]) return FileKind::kJourney;
  if (root["segments"] || root["scores"]) return FileKind::kSegments;
  if (root["locales"] || (root["channel"] && !root["steps"])) return FileKind::kTemplate;
  return FileKind::kUnknown;
}

struct Found {
  fs::path path;
  fs::path root;  ///< the folder it was found under (for template names)
  std::string text;
  FileKind kind = FileKind::kUnknown;
};

}  // namespace

int runValidate(const ValidateCommand& cmd) {
  Diagnostics diags;
  std::vector<Found> files;
  for (const auto& p : cmd.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::recursive_directory_iterator(p, ec)) {
        auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
          found.push_back(entry.path());
      }
      std::sort(found.begin(), found.end());
      for (auto& f : found) files.push_back({f, p, {}, FileKind::kUnknown});
    } else if (fs::exists(p, ec)) {
      files.push_back({p, fs::path(p).parent_path(), {}, FileKind::kUnknown});
    } else {
      diags.error({p, 0, 0}, "no such file or folder");
    }
  }

  // First pass: classify, and learn the template names so journeys can be checked against them.
  JourneyCatalog known;
  for (auto& f : files) {
    f.text = readFile(f.path);
    try {
      f.kind = kindOf(YAML::Load(f.text));
    } catch (const YAML::Exception& e) {
      diags.error({f.path.string(), e.mark.line + 1, e.mark.column + 1}, e.msg);
      continue;
    }
    if (f.kind == FileKind::kTemplate) {
      auto name = fs::relative(f.path, f.root).replace_extension().generic_string();
      known.templates.push_back(name);
    }
  }

  std::map<std::string, std::string> journey_files;  // id → file, for duplicates across files
  size_t checked = 0;
  for (const auto& f : files) {
    const std::string file = f.path.string();
    switch (f.kind) {
      case FileKind::kConfig:
        if (auto config = parseConfig(f.text, file, diags)) warnAboutConfig(*config, diags);
        break;
      case FileKind::kTemplate: {
        auto name = fs::relative(f.path, f.root).replace_extension().generic_string();
        (void)MessageTemplate::parse(f.text, file, name, diags);
        break;
      }
      case FileKind::kJourney:
      case FileKind::kSegments: {
        auto defs = loadDefinitionsText(f.text, file, known, diags);
        for (const auto& j : defs.journeys) {
          auto [it, fresh] = journey_files.emplace(j->id, file);
          if (!fresh)
            diags.error(j->pos, "journey id '" + j->id + "' is already used by " + it->second);
          if (cmd.ids) {
            for (const auto& line : describeStepIds(*j)) std::printf("%s\n", line.c_str());
          }
        }
        break;
      }
      case FileKind::kUnknown:
        diags.warning(
            {file, 1, 1},
            "not a journeyd file (no journey, segments, template or config keys); skipped");
        continue;
    }
    ++checked;
  }
  std::fputs(diags.format().c_str(), stdout);
  if (diags.hasErrors()) return 1;
  std::printf("%zu file%s OK%s\n", checked, checked == 1 ? "" : "s",
              known.templates.empty()
                  ? " (template names not checked: pass the templates folder too)"
                  : "");
  return 0;
}

}  // namespace journeyd
