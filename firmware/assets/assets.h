// The page, gzipped into the binary at build time (see scripts/pack_assets.py).
// Nothing here touches the file system.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sbcmon::assets {

struct Asset {
  const char* path;          // "/index.html"
  const char* content_type;  // "text/html; charset=utf-8"
  const char* etag;          // quoted strong ETag of the uncompressed file
  const unsigned char* gz;   // gzip member
  std::size_t gz_size;       // bytes
  std::size_t raw_size;      // bytes once inflated
};

extern const Asset kAssets[];
extern const std::size_t kAssetCount;

// The asset served at `path` ("/" means "/index.html"); nullptr if none.
const Asset* find(std::string_view path);

// Inflates `asset` into `out` for a client that does not accept gzip.
// Returns false (out unspecified) if the embedded data is corrupt.
bool inflate(const Asset& asset, std::string& out);

}  // namespace sbcmon::assets
