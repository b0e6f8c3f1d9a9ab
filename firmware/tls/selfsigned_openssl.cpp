// The certificate backend on OpenSSL 3 (EVP, X509): builds whose libwebsockets runs on
// OpenSSL (Debian's), so no second TLS library is mapped for this alone.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

#include "tls/selfsigned_backend.h"

namespace sbcmon::tls::backend {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

void free_bio(BIO* b) {
  BIO_free(b);
}

using Pkey = Owned<EVP_PKEY, EVP_PKEY_free>;
using Cert = Owned<X509, X509_free>;
using Name = Owned<X509_NAME, X509_NAME_free>;
using Bignum = Owned<BIGNUM, BN_free>;
using Integer = Owned<ASN1_INTEGER, ASN1_INTEGER_free>;
using Octets = Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>;
using Extension = Owned<X509_EXTENSION, X509_EXTENSION_free>;
using Bio = Owned<BIO, free_bio>;

// "<what>: <OpenSSL's reason for the last error>"; the error queue is emptied.
bool fail(const char* what, std::string& error) {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  char buf[160];
  if (reason == nullptr) {
    if (code != 0) {
      ERR_error_string_n(code, buf, sizeof buf);
    } else {
      std::snprintf(buf, sizeof buf, "unknown error");
    }
    reason = buf;
  }
  error = std::string(what) + ": " + reason;
  ERR_clear_error();
  return false;
}

// An extension from its OpenSSL configuration text ("critical,CA:FALSE" and the like).
bool add_ext(X509* crt, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, crt, crt, nullptr, nullptr, 0);
  Extension ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(crt, ext.get(), -1) == 1;
}

bool to_pem(BIO* bio, std::string& out) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return false;
  out.assign(data, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

bool make_certificate(const Request& req, Result& out, std::string& error) {
  ERR_clear_error();
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) return fail("generating the key", error);

  Cert crt(X509_new());
  if (!crt || X509_set_version(crt.get(), X509_VERSION_3) != 1) {
    return fail("building the certificate", error);
  }

  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) {
    return fail("seeding the random generator", error);
  }
  serial_bytes[0] &= 0x7f;  // a positive INTEGER
  serial_bytes[0] |= 0x01;  // of 16 bytes, as the mbedTLS backend writes it
  Bignum bn(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  Integer serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(crt.get(), serial.get()) != 1) {
    return fail("setting the serial", error);
  }

  Name name(X509_NAME_new());
  const auto text = [](const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.c_str());
  };
  const std::string org = "sbcmon";
  const std::string not_before = req.not_before + "Z";
  const std::string not_after = req.not_after + "Z";
  if (!name ||
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, text(req.common_name), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8, text(org), -1, -1, 0) != 1 ||
      X509_set_subject_name(crt.get(), name.get()) != 1 ||
      X509_set_issuer_name(crt.get(), name.get()) != 1 ||
      // GeneralizedTime in, UTCTime out up to 2049 (RFC 5280), as mbedTLS writes them.
      ASN1_TIME_set_string_X509(X509_getm_notBefore(crt.get()), not_before.c_str()) != 1 ||
      ASN1_TIME_set_string_X509(X509_getm_notAfter(crt.get()), not_after.c_str()) != 1 ||
      X509_set_pubkey(crt.get(), key.get()) != 1 ||
      !add_ext(crt.get(), NID_basic_constraints, "CA:FALSE") ||
      !add_ext(crt.get(), NID_subject_key_identifier, "hash") ||
      !add_ext(crt.get(), NID_key_usage, "critical,digitalSignature,keyAgreement")) {
    return fail("building the certificate", error);
  }

  Octets san(ASN1_OCTET_STRING_new());
  Extension san_ext;
  if (san && ASN1_OCTET_STRING_set(san.get(), req.alt_names.data(),
                                   static_cast<int>(req.alt_names.size())) == 1) {
    san_ext.reset(X509_EXTENSION_create_by_NID(nullptr, NID_subject_alt_name, 0, san.get()));
  }
  if (!san_ext || X509_add_ext(crt.get(), san_ext.get(), -1) != 1) {
    return fail("adding the subject alternative names", error);
  }

  // The key's PEM buffer is cleared when freed (the secure-memory BIO).
  Bio key_bio(BIO_new(BIO_s_secmem()));
  if (!key_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      !to_pem(key_bio.get(), out.key_pem)) {
    return fail("encoding the key", error);
  }
  Bio crt_bio(BIO_new(BIO_s_mem()));
  if (X509_sign(crt.get(), key.get(), EVP_sha256()) == 0 || !crt_bio ||
      PEM_write_bio_X509(crt_bio.get(), crt.get()) != 1 || !to_pem(crt_bio.get(), out.cert_pem)) {
    return fail("signing the certificate", error);
  }
  return true;
}

}  // namespace sbcmon::tls::backend
