// An independent secretd client: everything the agent does, with npm
// packages only (@grpc/grpc-js + @grpc/proto-loader for the wire,
// jose for the attestation token, libsodium-wrappers for the instance key,
// the release signature and the sealed box, protobufjs for SecretBundle).
//
//   node broker_interop.cjs COMMAND < request.json > response.json
//
// COMMAND is one of:
//   keygen     {kid}  -> {jwks, private_jwk}     an attestor's Ed25519 key
//   provision  {target, ca_pem, release_pub, proto_root, private_jwk, kid,
//               issuer, subject, role, secrets}
//              -> {challenge, token_sha256, request_id, release_key_id,
//                  expires_at, bundle: {request_id, role, subject, token_id,
//                  token_sha256, issued_at, expires_at,
//                  secrets: [{name, version, value}]}}
//              or, when the broker refuses, {grpc_code, grpc_message}.
// The provision command checks the release signature with release.pub and
// that the opened bundle answers its own request (token hash, role,
// subject, names) and exits 1 with {error} otherwise. Modules come from
// $SECRETD_NODE_MODULES. CommonJS, so it runs on Node 18 and 20.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { modules, requireModule, sodium, readStdin, b64url } =
    require(path.join(__dirname, '..', 'node_common.cjs'));

const grpc = requireModule('@grpc/grpc-js');
const protoLoader = requireModule('@grpc/proto-loader');
const protobuf = requireModule('protobufjs');
const jose = requireModule('jose');

function fail(message) {
  const err = new Error(message);
  err.check = true;
  throw err;
}

// The proto files, with google/protobuf/descriptor.proto (imported by
// options.proto) taken from protobufjs.
function protoIncludes(protoRoot) {
  return [protoRoot, path.join(modules, 'protobufjs')];
}

function brokerClient(req) {
  const definition = protoLoader.loadSync('proto/secretd/v1/broker.proto', {
    includeDirs: protoIncludes(req.proto_root),
    keepCase: true,
    longs: String,
    defaults: true,
  });
  const v1 = grpc.loadPackageDefinition(definition).secretd.v1;
  const creds = grpc.credentials.createSsl(fs.readFileSync(req.ca_pem));
  return new v1.Broker(req.target, creds, {
    'grpc.ssl_target_name_override': 'localhost',
    'grpc.default_authority': 'localhost',
  });
}

function call(client, method, request) {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + 30000);
    client[method](request, { deadline }, (err, response) => resolve({ err, response }));
  });
}

function secretBundleType(protoRoot) {
  const root = new protobuf.Root();
  const includes = protoIncludes(protoRoot);
  root.resolvePath = (origin, target) => {
    for (const dir of includes) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync('proto/secretd/v1/broker.proto', { keepCase: true });
  return root.lookupType('secretd.v1.SecretBundle');
}

const commands = {
  async keygen({ kid }) {
    const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA', {
      crv: 'Ed25519',
      extractable: true,
    });
    const jwk = await jose.exportJWK(publicKey);
    Object.assign(jwk, { kid, alg: 'EdDSA', use: 'sig' });
    const privateJwk = await jose.exportJWK(privateKey);
    return { jwks: { keys: [jwk] }, private_jwk: privateJwk };
  },

  async provision(req) {
    const client = brokerClient(req);
    const challenge = await call(client, 'GetChallenge', {});
    if (challenge.err) fail(`GetChallenge failed: ${challenge.err.message}`);

    // This boot's key pair, made here.
    const instance = sodium.crypto_box_keypair();
    const now = Math.floor(Date.now() / 1000);
    const signingKey = await jose.importJWK(req.private_jwk, 'EdDSA');
    const token = await new jose.SignJWT({
      nonce: challenge.response.challenge,
      cnf: { jwk: { kty: 'OKP', crv: 'X25519', x: b64url.enc(instance.publicKey) } },
      tags: { env: 'interop' },
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: req.kid, typ: 'JWT' })
      .setIssuer(req.issuer)
      .setSubject(req.subject)
      .setAudience(challenge.response.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 120)
      .setJti(b64url.enc(sodium.randombytes_buf(16)))
      .sign(signingKey);
    const tokenSha256 = crypto.createHash('sha256').update(token).digest();

    const answer = await call(client, 'Provision', {
      attestation_token: token,
      role: req.role,
      secrets: req.secrets,
    });
    client.close();
    if (answer.err) {
      return { grpc_code: answer.err.code, grpc_message: answer.err.details };
    }
    const r = answer.response;

    // The release signature, with the key given out of band.
    const releasePub = b64url.dec(fs.readFileSync(req.release_pub, 'utf8').trim());
    const signed = Buffer.concat([
      Buffer.from('secretd-release-v1\0', 'latin1'),
      Buffer.from(instance.publicKey),
      r.sealed_bundle,
    ]);
    if (!sodium.crypto_sign_verify_detached(r.signature, signed, releasePub)) {
      fail('the release signature does not verify with release.pub');
    }
    const keyId = crypto.createHash('sha256').update(releasePub).digest('hex').slice(0, 16);
    if (r.release_key_id !== keyId) fail(`release_key_id ${r.release_key_id} is not ${keyId}`);

    // Open the bundle and check that it answers this request.
    const plaintext = sodium.crypto_box_seal_open(
      r.sealed_bundle, instance.publicKey, instance.privateKey);
    const bundle = secretBundleType(req.proto_root).decode(plaintext);
    if (!Buffer.from(bundle.token_sha256).equals(tokenSha256)) fail('bundle token_sha256 is not this token\'s');
    if (bundle.role !== req.role) fail(`bundle role ${bundle.role}`);
    if (bundle.subject !== req.subject) fail(`bundle subject ${bundle.subject}`);
    if (bundle.request_id !== r.request_id) fail('bundle request_id differs from the response');
    const names = bundle.secrets.map((s) => s.name);
    const wanted = req.secrets.map((s) => s.split('@')[0]);
    if (JSON.stringify(names) !== JSON.stringify(wanted)) fail(`bundle secrets ${names}`);
    return {
      challenge: challenge.response,
      token_sha256: tokenSha256.toString('hex'),
      request_id: r.request_id,
      release_key_id: r.release_key_id,
      expires_at: String(r.expires_at),
      bundle: {
        request_id: bundle.request_id,
        role: bundle.role,
        subject: bundle.subject,
        token_id: bundle.token_id,
        token_sha256: Buffer.from(bundle.token_sha256).toString('hex'),
        issued_at: String(bundle.issued_at),
        expires_at: String(bundle.expires_at),
        secrets: bundle.secrets.map((s) => ({
          name: s.name,
          version: String(s.version),
          value: Buffer.from(s.value).toString('utf8'),
        })),
      },
    };
  },
};

(async () => {
  const command = process.argv[2];
  if (!commands[command]) {
    process.stderr.write(`unknown command ${command}\n`);
    process.exit(2);
  }
  await sodium.ready;
  const request = await readStdin();
  try {
    const response = await commands[command](request);
    process.stdout.write(JSON.stringify(response) + '\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ error: err.message }) + '\n');
    process.exit(1);
  }
})();
