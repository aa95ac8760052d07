#include "bootstrap/pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>

namespace bootstrap {

absl::StatusOr<int> CountPemCertificates(absl::string_view pem) {
  if (pem.size() > INT_MAX) {
    return absl::InvalidArgumentError("the certificate file is too large");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  int count = 0;
  while (true) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (cert == nullptr) break;
    ++count;
  }
  // The loop ends at the end of the input (PEM_R_NO_START_LINE) or at a
  // block that does not parse.
  const unsigned long err = ERR_peek_last_error();
  const bool clean_end = ERR_GET_LIB(err) == ERR_LIB_PEM &&
                         ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!clean_end) {
    return absl::InvalidArgumentError(
        "a PEM block in the certificate file does not parse as an X.509 "
        "certificate");
  }
  if (count == 0) {
    return absl::InvalidArgumentError(
        "the certificate file holds no PEM certificate");
  }
  return count;
}

}  // namespace bootstrap
