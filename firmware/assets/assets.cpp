// Lookup and inflation of the embedded page.
#include "assets/assets.h"

#include <zlib.h>

namespace sbcmon::assets {

const Asset* find(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (std::size_t i = 0; i < kAssetCount; ++i) {
    if (path == kAssets[i].path) return &kAssets[i];
  }
  return nullptr;
}

bool inflate(const Asset& asset, std::string& out) {
  out.resize(asset.raw_size);
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip header, not a raw zlib stream.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
  zs.next_in = const_cast<unsigned char*>(asset.gz);
  zs.avail_in = static_cast<uInt>(asset.gz_size);
  zs.next_out = reinterpret_cast<unsigned char*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = ::inflate(&zs, Z_FINISH);
  const bool ok = rc == Z_STREAM_END && zs.total_out == asset.raw_size;
  inflateEnd(&zs);
  return ok;
}

}  // namespace sbcmon::assets
