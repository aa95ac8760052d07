// `secretd invoke`: one Broker request in function mode (docs/broker.md
// "secretd invoke"). The request is read as JSON from a string (stdin), the
// same handler as `secretd serve` answers it, and the answer is JSON.
//
//   secretd invoke --data-dir DIR --audience AUD [--method Provision]
//                  [--source-ip IP] < request.json > response.json
//
// Input: the request message in the protobuf JSON mapping (field names as
// in broker.proto or lowerCamelCase; unknown fields are an error):
//   Provision:    {"attestation_token": "eyJ...", "role": "web",
//                  "secrets": ["app/db/password", "app/tls@3"]}
//   GetChallenge: {}
// Output on success (exit 0): the response message in the JSON mapping with
// the proto field names (bytes as standard base64, int64 as strings):
//   {"request_id":"7f3c...","sealed_bundle":"...","signature":"...",
//    "release_key_id":"...","expires_at":"1764142905"}
// On failure (exit 1): {"code":"PERMISSION_DENIED","message":"...",
// "request_id":"7f3c..."} (request_id absent when no request was made, e.g.
// for JSON that does not parse or a broker that cannot start).
//
// Provision is audited like a served request, in the audit file of replica
// `replica_id` (default "<host>-invoke"); concurrent invocations with one
// replica id wait for each other on DATA_DIR/audit/audit-<replica>.lock (up
// to `lock_timeout`). Each invocation closes the file with a "shutdown"
// checkpoint, so every record is signed when the command exits.
// GetChallenge opens only the keys (challenges are not audited).
#ifndef SECRETD_SECRETD_SERVER_INVOKE_H_
#define SECRETD_SECRETD_SERVER_INVOKE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "secretd/broker/broker.h"
#include "secretd/server/store_url.h"

namespace secretd {

struct InvokeConfig {
  std::string data_dir;
  std::string method = "Provision";  // or "GetChallenge"
  std::string source_ip;             // secretd:SourceIp; "" if unknown
  std::string replica_id;            // "" = "<host>-invoke"
  std::string store_url;             // as `serve --store`
  StoreOpenOptions store;            // as `serve --store-pool-size` ...
  BrokerOptions broker;              // audience and limits
  size_t max_request_bytes = 64 * 1024;
  absl::Duration lock_timeout = absl::Seconds(30);
  absl::Duration challenge_ttl = absl::Seconds(300);
};

struct InvokeResult {
  int exit_code = 1;   // 0 answered OK, 1 refused or failed
  std::string output;  // one JSON object and "\n"
};

// Runs one request. Never fails otherwise: every problem is an error
// object in `output`.
InvokeResult RunInvoke(const InvokeConfig& config, absl::string_view input,
                       const common::Clock& clock);

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_INVOKE_H_
