// Self-signed certificate generation with mbedTLS 2.28 or 3.6 (pk, ecp, x509write).
#include "tls/selfsigned.h"

#include <fcntl.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace sbcmon::tls {
namespace {

// RAII holders for the mbedTLS contexts used here.
struct Rng {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  Rng() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~Rng() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
};

struct Key {
  mbedtls_pk_context pk;
  Key() { mbedtls_pk_init(&pk); }
  ~Key() { mbedtls_pk_free(&pk); }
};

struct Writer {
  mbedtls_x509write_cert crt;
  Writer() { mbedtls_x509write_crt_init(&crt); }
  ~Writer() { mbedtls_x509write_crt_free(&crt); }
};

bool exists(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// Writes `data` to `path` with `mode`, atomically (temp file + rename).
bool write_file(const std::string& path, const unsigned char* data, std::size_t len, mode_t mode,
                std::string& error) {
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
  while (done < len) {
    const ssize_t n = ::write(fd, data + done, len - done);
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

bool fail(int rc, const char* what, std::string& error) {
  char buf[128];
  mbedtls_strerror(rc, buf, sizeof(buf));
  error = std::string(what) + ": " + buf;
  return false;
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

  Rng rng;
  static const char kPers[] = "sbcmon-selfsigned";
  int rc = mbedtls_ctr_drbg_seed(&rng.drbg, mbedtls_entropy_func, &rng.entropy,
                                 reinterpret_cast<const unsigned char*>(kPers), sizeof(kPers) - 1);
  if (rc != 0) return fail(rc, "seeding the random generator", error);

  Key key;
  rc = mbedtls_pk_setup(&key.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc == 0) {
    rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key.pk),
                             mbedtls_ctr_drbg_random, &rng.drbg);
  }
  if (rc != 0) return fail(rc, "generating the key", error);

  Writer w;
  const std::string cn = hostname.empty() ? "sbcmon" : hostname;
  const std::string subject = "CN=" + cn + ",O=sbcmon";
  mbedtls_x509write_crt_set_version(&w.crt, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&w.crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&w.crt, &key.pk);
  mbedtls_x509write_crt_set_issuer_key(&w.crt, &key.pk);

  unsigned char serial_bytes[16];
  mbedtls_ctr_drbg_random(&rng.drbg, serial_bytes, sizeof(serial_bytes));
  serial_bytes[0] &= 0x7f;  // a positive INTEGER
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
  // 3.4 deprecated the bignum setter. The raw one writes the bytes as they are, so the
  // first must not be zero (DER wants the shortest INTEGER).
  serial_bytes[0] |= 0x01;
  rc = mbedtls_x509write_crt_set_serial_raw(&w.crt, serial_bytes, sizeof(serial_bytes));
#else
  mbedtls_mpi serial;
  mbedtls_mpi_init(&serial);
  rc = mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof(serial_bytes));
  if (rc == 0) rc = mbedtls_x509write_crt_set_serial(&w.crt, &serial);
  mbedtls_mpi_free(&serial);
#endif
  if (rc != 0) return fail(rc, "setting the serial", error);

  char not_before[32];
  char not_after[32];
  const std::time_t now = std::time(nullptr) - 86400;  // a day of slack for skewed clocks
  std::tm tm{};
  gmtime_r(&now, &tm);
  // YYYYMMDDhhmmss by hand: strftime brings 8 KB of locale-aware code into the firmware.
  const auto stamp = [&tm](char* buf, std::size_t size, int years_later) {
    std::snprintf(buf, size, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900 + years_later,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  };
  stamp(not_before, sizeof not_before, 0);
  stamp(not_after, sizeof not_after, 10);

  if ((rc = mbedtls_x509write_crt_set_subject_name(&w.crt, subject.c_str())) != 0 ||
      (rc = mbedtls_x509write_crt_set_issuer_name(&w.crt, subject.c_str())) != 0 ||
      (rc = mbedtls_x509write_crt_set_validity(&w.crt, not_before, not_after)) != 0 ||
      (rc = mbedtls_x509write_crt_set_basic_constraints(&w.crt, 0, -1)) != 0 ||
      (rc = mbedtls_x509write_crt_set_subject_key_identifier(&w.crt)) != 0 ||
      (rc = mbedtls_x509write_crt_set_key_usage(&w.crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
                                                          MBEDTLS_X509_KU_KEY_AGREEMENT)) != 0) {
    return fail(rc, "building the certificate", error);
  }
  const std::vector<unsigned char> san = subject_alt_names(cn);
  rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                           MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                           san.data(), san.size());
  if (rc != 0) return fail(rc, "adding the subject alternative names", error);

  std::vector<unsigned char> pem(4096);
  rc = mbedtls_pk_write_key_pem(&key.pk, pem.data(), pem.size());
  if (rc != 0) return fail(rc, "encoding the key", error);
  if (!write_file(out.key, pem.data(), std::strlen(reinterpret_cast<char*>(pem.data())), 0600, error)) {
    return false;
  }
  std::fill(pem.begin(), pem.end(), 0);
  rc = mbedtls_x509write_crt_pem(&w.crt, pem.data(), pem.size(), mbedtls_ctr_drbg_random, &rng.drbg);
  if (rc != 0) return fail(rc, "signing the certificate", error);
  return write_file(out.cert, pem.data(), std::strlen(reinterpret_cast<char*>(pem.data())), 0644,
                    error);
}

}  // namespace sbcmon::tls
