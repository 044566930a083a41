#pragma once
/// The numbered schema migrations, oldest first. A migration is never edited once shipped:
/// a change to the schema is a new entry at the end.
#include <vector>

namespace journeyd {

struct SchemaMigration {
  int version;
  const char* sql;
};

const std::vector<SchemaMigration>& schemaMigrations();

}  // namespace journeyd
