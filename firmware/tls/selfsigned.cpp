// Self-signed certificates: the state directory, existing files, the names and the
// validity; the key and the signature come from the backend (selfsigned_backend.h).
#include "tls/selfsigned.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "tls/selfsigned_backend.h"

namespace sbcmon::tls {
namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// Writes `data` to `path` with `mode`, atomically (temp file + rename).
bool write_file(const std::string& path, const std::string& data, mode_t mode, std::string& error) {
  const std::string tmp = path + ".tmp";
  // A stale temp file (or a planted link) is removed, not followed: unlink acts
  // on the link itself, and O_EXCL|O_NOFOLLOW refuse anything that reappears.
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    error = tmp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      error = tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, mode);  // the umask must not widen or narrow it
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

// DER of a subjectAltName value: SEQUENCE of dNSName [2] and iPAddress [7].
std::vector<unsigned char> subject_alt_names(const std::string& hostname) {
  std::vector<unsigned char> inner;
  auto add = [&inner](unsigned char tag, const unsigned char* p, std::size_t n) {
    inner.push_back(tag);
    inner.push_back(static_cast<unsigned char>(n));  // names here are < 128 bytes
    inner.insert(inner.end(), p, p + n);
  };
  auto add_dns = [&add](const std::string& name) {
    if (!name.empty() && name.size() < 100) {
      add(0x82, reinterpret_cast<const unsigned char*>(name.data()), name.size());
    }
  };
  add_dns(hostname);
  if (hostname != "localhost") add_dns("localhost");
  if (!hostname.empty() && hostname.find('.') == std::string::npos && hostname.size() < 90) {
    add_dns(hostname + ".local");  // mDNS name a Pi announces on the LAN
  }
  static const unsigned char kLoop4[] = {127, 0, 0, 1};
  static const unsigned char kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  add(0x87, kLoop4, sizeof(kLoop4));
  add(0x87, kLoop6, sizeof(kLoop6));
  std::vector<unsigned char> out{0x30};
  if (inner.size() < 128) {
    out.push_back(static_cast<unsigned char>(inner.size()));
  } else {
    out.push_back(0x81);
    out.push_back(static_cast<unsigned char>(inner.size()));
  }
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

// Overwrites the key's bytes before the string lets them go.
void wipe(std::string& s) {
  volatile char* p = s.empty() ? nullptr : &s[0];
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

}  // namespace

bool ensure_self_signed(const std::string& state_dir, const std::string& hostname,
                        CertPaths& out, std::string& error) {
  out.cert = state_dir + "/sbcmon.crt";
  out.key = state_dir + "/sbcmon.key";
  if (::mkdir(state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error = state_dir + ": " + std::strerror(errno);
    return false;
  }
  struct stat dir {};
  if (::stat(state_dir.c_str(), &dir) != 0 || !S_ISDIR(dir.st_mode)) {
    error = state_dir + ": not a directory";
    return false;
  }
  if ((dir.st_mode & S_IWOTH) != 0) {
    error = state_dir + ": writable by others, so anyone could plant the key there (chmod o-w it)";
    return false;
  }
  if (exists(out.cert) && exists(out.key)) {
    struct stat key {};
    if (::stat(out.key.c_str(), &key) == 0 && (key.st_mode & (S_IRGRP | S_IROTH)) != 0) {
      out.warning = out.key + " is readable by group or others (chmod 600 it)";
    }
    return true;
  }

  backend::Request req;
  req.common_name = hostname.empty() ? "sbcmon" : hostname;
  req.alt_names = subject_alt_names(req.common_name);
  const std::time_t now = std::time(nullptr) - 86400;  // a day of slack for skewed clocks
  std::tm tm{};
  gmtime_r(&now, &tm);
  // YYYYMMDDhhmmss by hand: strftime brings 8 KB of locale-aware code into the firmware.
  const auto stamp = [&tm](int years_later) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900 + years_later,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(buf);
  };
  req.not_before = stamp(0);
  req.not_after = stamp(10);

  backend::Result made;
  const bool ok = backend::make_certificate(req, made, error) &&
                  write_file(out.key, made.key_pem, 0600, error) &&
                  write_file(out.cert, made.cert_pem, 0644, error);
  wipe(made.key_pem);
  return ok;
}

}  // namespace sbcmon::tls
