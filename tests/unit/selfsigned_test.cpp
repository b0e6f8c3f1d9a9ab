// ensure_self_signed(): the certificate a user's browser is shown for `--tls` without
// --tls-cert, read back with the openssl command line (not with the library that made
// it), and the state-directory rules around it. Runs against the backend this build
// picked (OpenSSL with Debian's libwebsockets, mbedTLS otherwise).
#include "tls/selfsigned.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using sbcmon::tls::CertPaths;
using sbcmon::tls::ensure_self_signed;

struct Shell {
  int status = -1;
  std::string out;
};

// Runs a shell command, returning its exit status and stdout.
Shell run(const std::string& cmd) {
  Shell r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool have_openssl() {
  return run("command -v openssl").status == 0;
}

// `openssl x509 -noout <args>` on the certificate.
std::string x509(const std::string& cert, const std::string& args) {
  const Shell r = run("openssl x509 -in '" + cert + "' -noout " + args);
  EXPECT_EQ(r.status, 0) << r.out;
  return r.out;
}

// "notBefore=Dec  1 07:38:47 2026 GMT" -> seconds since the epoch.
std::time_t parse_date(const std::string& line) {
  const auto eq = line.find('=');
  std::tm tm{};
  if (eq == std::string::npos ||
      ::strptime(line.c_str() + eq + 1, "%b %d %H:%M:%S %Y GMT", &tm) == nullptr) {
    ADD_FAILURE() << "not a date: " << line;
    return 0;
  }
  return ::timegm(&tm);
}

class SelfSigned : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_openssl()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0)) {
        FAIL() << "openssl (the command) is needed to read the certificate back";
      }
      GTEST_SKIP() << "no openssl command";
    }
    std::string tmpl = (fs::temp_directory_path() / "sbcmon-selfsigned-XXXXXX").string();
    ASSERT_NE(::mkdtemp(&tmpl[0]), nullptr);
    root_ = tmpl;
    state_ = root_ + "/state";
  }
  void TearDown() override {
    if (!root_.empty()) {
      std::error_code ec;
      fs::remove_all(root_, ec);
    }
  }

  std::string root_;
  std::string state_;
};

TEST_F(SelfSigned, MakesAP256Sha256CertificateWithTheBoardsNamesAndUsages) {
  CertPaths paths;
  std::string error;
  const mode_t old_umask = ::umask(0077);  // the certificate must still come out 0644
  const bool ok = ensure_self_signed(state_, "sbcmon-test-host", paths, error);
  ::umask(old_umask);
  ASSERT_TRUE(ok) << error;
  EXPECT_TRUE(paths.warning.empty()) << paths.warning;
  EXPECT_EQ(paths.cert, state_ + "/sbcmon.crt");
  EXPECT_EQ(paths.key, state_ + "/sbcmon.key");

  const std::string text = x509(paths.cert, "-text");
  EXPECT_NE(text.find("Version: 3 (0x2)"), std::string::npos) << text;
  EXPECT_NE(text.find("Signature Algorithm: ecdsa-with-SHA256"), std::string::npos) << text;
  EXPECT_NE(text.find("NIST CURVE: P-256"), std::string::npos) << text;
  EXPECT_NE(text.find("Subject: CN = sbcmon-test-host, O = sbcmon"), std::string::npos) << text;
  EXPECT_NE(text.find("Issuer: CN = sbcmon-test-host, O = sbcmon"), std::string::npos) << text;
  EXPECT_NE(text.find("X509v3 Basic Constraints: \n                CA:FALSE"), std::string::npos)
      << text;
  EXPECT_NE(
      text.find("X509v3 Key Usage: critical\n                Digital Signature, Key Agreement\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("X509v3 Subject Key Identifier:"), std::string::npos) << text;
  EXPECT_NE(
      text.find("X509v3 Subject Alternative Name: \n"
                "                DNS:sbcmon-test-host, DNS:localhost, DNS:sbcmon-test-host.local, "
                "IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1\n"),
      std::string::npos)
      << text;

  // Serial: 16 random bytes, a positive INTEGER (the top bit of the first byte clear).
  const std::string serial = x509(paths.cert, "-serial");
  ASSERT_EQ(serial.rfind("serial=", 0), 0u) << serial;
  const std::string hex = serial.substr(7, serial.find('\n') - 7);
  EXPECT_EQ(hex.size(), 32u) << hex;
  EXPECT_LT(std::stoi(hex.substr(0, 2), nullptr, 16), 0x80) << hex;

  // Valid from a day ago (skewed clocks) to ten years after that.
  const std::string dates = x509(paths.cert, "-startdate -enddate");
  const auto nl = dates.find('\n');
  const std::time_t from = parse_date(dates.substr(0, nl));
  const std::time_t to = parse_date(dates.substr(nl + 1));
  const std::time_t day_ago = std::time(nullptr) - 86400;
  EXPECT_LE(std::labs(static_cast<long>(from - day_ago)), 3600L) << dates;
  std::tm a{};
  std::tm b{};
  gmtime_r(&from, &a);
  gmtime_r(&to, &b);
  EXPECT_EQ(b.tm_year, a.tm_year + 10) << dates;
  EXPECT_EQ(b.tm_mon, a.tm_mon) << dates;
  EXPECT_EQ(b.tm_hour * 3600 + b.tm_min * 60 + b.tm_sec,
            a.tm_hour * 3600 + a.tm_min * 60 + a.tm_sec)
      << dates;

  // Signed by its own key, which is the P-256 key beside it.
  const Shell verify =
      run("openssl verify -check_ss_sig -CAfile '" + paths.cert + "' '" + paths.cert + "'");
  EXPECT_EQ(verify.status, 0) << verify.out;
  const Shell key = run("openssl pkey -in '" + paths.key + "' -noout -text");
  EXPECT_EQ(key.status, 0) << key.out;
  EXPECT_NE(key.out.find("NIST CURVE: P-256"), std::string::npos) << key.out;
  const Shell key_pub = run("openssl pkey -in '" + paths.key + "' -pubout");
  EXPECT_EQ(key_pub.out, x509(paths.cert, "-pubkey"));

  struct stat st {};
  ASSERT_EQ(::stat(paths.key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(paths.cert.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  ASSERT_EQ(::stat(state_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u) << "a missing state dir is made owner-only";
  EXPECT_FALSE(fs::exists(paths.key + ".tmp") || fs::exists(paths.cert + ".tmp"));
}

TEST_F(SelfSigned, NamesWithoutAHostnameOrWithADomain) {
  CertPaths paths;
  std::string error;
  ASSERT_TRUE(ensure_self_signed(state_, "", paths, error)) << error;
  std::string text = x509(paths.cert, "-subject -ext subjectAltName");
  EXPECT_NE(text.find("subject=CN = sbcmon, O = sbcmon"), std::string::npos) << text;
  EXPECT_NE(text.find("DNS:sbcmon, DNS:localhost, DNS:sbcmon.local, IP Address:127.0.0.1"),
            std::string::npos)
      << text;

  const std::string other = root_ + "/other";
  ASSERT_TRUE(ensure_self_signed(other, "pi.example.lan", paths, error)) << error;
  text = x509(paths.cert, "-ext subjectAltName");
  EXPECT_NE(text.find("DNS:pi.example.lan, DNS:localhost, IP Address:127.0.0.1"), std::string::npos)
      << "no .local name for a host that has a domain: " << text;
}

TEST_F(SelfSigned, ReusesExistingFilesAndWarnsAboutAReadableKey) {
  CertPaths paths;
  std::string error;
  ASSERT_TRUE(ensure_self_signed(state_, "board", paths, error)) << error;
  const std::string cert = slurp(paths.cert);
  const std::string key = slurp(paths.key);
  ASSERT_FALSE(cert.empty());

  CertPaths again;
  ASSERT_TRUE(ensure_self_signed(state_, "another-name", again, error)) << error;
  EXPECT_EQ(slurp(again.cert), cert) << "an existing certificate is kept, even for a new hostname";
  EXPECT_EQ(slurp(again.key), key);
  EXPECT_TRUE(again.warning.empty()) << again.warning;

  ASSERT_EQ(::chmod(paths.key.c_str(), 0640), 0);
  CertPaths warned;
  ASSERT_TRUE(ensure_self_signed(state_, "board", warned, error)) << error;
  EXPECT_NE(warned.warning.find("readable by group or others"), std::string::npos)
      << warned.warning;
  EXPECT_EQ(slurp(warned.cert), cert);

  // A certificate without its key is made again, both files anew.
  ASSERT_EQ(::unlink(paths.key.c_str()), 0);
  CertPaths remade;
  ASSERT_TRUE(ensure_self_signed(state_, "board", remade, error)) << error;
  EXPECT_NE(slurp(remade.cert), cert);
  const Shell key_pub = run("openssl pkey -in '" + remade.key + "' -pubout");
  EXPECT_EQ(key_pub.out, x509(remade.cert, "-pubkey")) << "the new key signs the new certificate";
}

TEST_F(SelfSigned, RefusesAStateDirWritableByOthers) {
  ASSERT_EQ(::mkdir(state_.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(state_.c_str(), 0777), 0);
  CertPaths paths;
  std::string error;
  EXPECT_FALSE(ensure_self_signed(state_, "board", paths, error));
  EXPECT_NE(error.find("writable by others"), std::string::npos) << error;
  EXPECT_TRUE(fs::is_empty(state_)) << "nothing is written there";

  const std::string file = root_ + "/plain-file";
  std::ofstream(file) << "x";
  EXPECT_FALSE(ensure_self_signed(file, "board", paths, error));
  EXPECT_NE(error.find("not a directory"), std::string::npos) << error;
}

}  // namespace
