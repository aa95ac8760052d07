// A listening TCP socket on 127.0.0.1 with a kernel-chosen port, for tests
// that play a server (an HTTP attestation endpoint, a broker that is down).
//
//   int port = 0;
//   int fd = bootstrap::testing::ListenOnLoopback(&port);
//
// Testonly.
#ifndef SECRETD_BOOTSTRAP_TESTING_LOOPBACK_H_
#define SECRETD_BOOTSTRAP_TESTING_LOOPBACK_H_

namespace bootstrap::testing {

// The listening descriptor (close-on-exec, SO_REUSEADDR), its port in
// `*port`; -1 if the socket cannot be made.
int ListenOnLoopback(int* port);

}  // namespace bootstrap::testing

#endif  // SECRETD_BOOTSTRAP_TESTING_LOOPBACK_H_
