// libsodium initialisation for keys/.
//
// Every keys/ entry point that calls libsodium calls EnsureSodium() first.
// sodium_init() is idempotent and thread-safe, starts no threads and reads
// no clock; it fails only when the system has no entropy source, which is
// not recoverable, so EnsureSodium() aborts with a message in that case.
#ifndef SECRETD_KEYS_INTERNAL_SODIUM_H_
#define SECRETD_KEYS_INTERNAL_SODIUM_H_

namespace keys::internal {

// Initialises libsodium once per process. Thread-safe; cheap after the
// first call.
void EnsureSodium();

}  // namespace keys::internal

#endif  // SECRETD_KEYS_INTERNAL_SODIUM_H_
