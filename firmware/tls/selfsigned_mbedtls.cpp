// The certificate backend on mbedTLS 2.28 or 3.6 (pk, ecp, x509write): the static
// firmware, and builds whose libwebsockets runs on mbedTLS.
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <algorithm>
#include <vector>

#include "tls/selfsigned_backend.h"

namespace sbcmon::tls::backend {
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

bool fail(int rc, const char* what, std::string& error) {
  char buf[128];
  mbedtls_strerror(rc, buf, sizeof(buf));
  error = std::string(what) + ": " + buf;
  return false;
}

}  // namespace

bool make_certificate(const Request& req, Result& out, std::string& error) {
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
  const std::string subject = "CN=" + req.common_name + ",O=sbcmon";
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

  if ((rc = mbedtls_x509write_crt_set_subject_name(&w.crt, subject.c_str())) != 0 ||
      (rc = mbedtls_x509write_crt_set_issuer_name(&w.crt, subject.c_str())) != 0 ||
      (rc = mbedtls_x509write_crt_set_validity(&w.crt, req.not_before.c_str(),
                                               req.not_after.c_str())) != 0 ||
      (rc = mbedtls_x509write_crt_set_basic_constraints(&w.crt, 0, -1)) != 0 ||
      (rc = mbedtls_x509write_crt_set_subject_key_identifier(&w.crt)) != 0 ||
      (rc = mbedtls_x509write_crt_set_key_usage(&w.crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
                                                          MBEDTLS_X509_KU_KEY_AGREEMENT)) != 0) {
    return fail(rc, "building the certificate", error);
  }
  rc = mbedtls_x509write_crt_set_extension(&w.crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                           MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                           req.alt_names.data(), req.alt_names.size());
  if (rc != 0) return fail(rc, "adding the subject alternative names", error);

  std::vector<unsigned char> pem(4096);
  rc = mbedtls_pk_write_key_pem(&key.pk, pem.data(), pem.size());
  if (rc != 0) return fail(rc, "encoding the key", error);
  out.key_pem.assign(reinterpret_cast<const char*>(pem.data()));
  std::fill(pem.begin(), pem.end(), 0);
  rc = mbedtls_x509write_crt_pem(&w.crt, pem.data(), pem.size(), mbedtls_ctr_drbg_random, &rng.drbg);
  if (rc != 0) return fail(rc, "signing the certificate", error);
  out.cert_pem.assign(reinterpret_cast<const char*>(pem.data()));
  return true;
}

}  // namespace sbcmon::tls::backend
