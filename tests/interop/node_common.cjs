// Shared by the Node.js interop scripts (keys/, broker/): the npm packages
// that tools/setup installs into $SECRETD_NODE_MODULES, a JSON request on
// stdin, and unpadded base64url through libsodium. CommonJS (Node 18 and 20).
'use strict';

const path = require('path');

const modules = process.env.SECRETD_NODE_MODULES;
if (!modules) {
  process.stderr.write('SECRETD_NODE_MODULES is not set; run tools/setup\n');
  process.exit(2);
}

// An npm package from $SECRETD_NODE_MODULES.
function requireModule(name) {
  return require(path.join(modules, name));
}

const sodium = requireModule('libsodium-wrappers');

// The whole of stdin parsed as JSON ({} when empty).
function readStdin() {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { data += chunk; });
    process.stdin.on('end', () => resolve(data ? JSON.parse(data) : {}));
    process.stdin.on('error', reject);
  });
}

// Unpadded base64url (call after `await sodium.ready`).
const b64url = {
  enc: (bytes) => sodium.to_base64(bytes, sodium.base64_variants.URLSAFE_NO_PADDING),
  dec: (text) => sodium.from_base64(text, sodium.base64_variants.URLSAFE_NO_PADDING),
};

module.exports = { modules, requireModule, sodium, readStdin, b64url };
