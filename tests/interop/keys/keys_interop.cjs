// The independent side of keys_interop_test: npm jose and libsodium-wrappers.
//
//   node keys_interop.cjs COMMAND < request.json > response.json
//
// COMMAND is one of:
//   sign     {alg, kid, claims}             -> {jwks, token}
//   verify   {jwks, token, issuer, audience, now, alg} -> {payload, header}
//   thumbprint {jwk}                        -> {thumbprint}
//   keypair  {}                             -> {public_key, private_key}
//   seal     {public_key, message}          -> {sealed}
//   open     {public_key, private_key, sealed} -> {message}
// Binary values are unpadded base64url. Exits 1 with {error, code} on stdout
// when a check fails. Modules come from $SECRETD_NODE_MODULES. CommonJS, so
// it runs on Node 18 and 20.
'use strict';

const path = require('path');
const { requireModule, sodium, readStdin, b64url: b64 } =
    require(path.join(__dirname, '..', 'node_common.cjs'));

const jose = requireModule('jose');

const commands = {
  async sign({ alg, kid, claims }) {
    const options = { extractable: true };
    if (alg === 'RS256') options.modulusLength = 2048;
    if (alg === 'EdDSA') options.crv = 'Ed25519';
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, options);
    const jwk = await jose.exportJWK(publicKey);
    Object.assign(jwk, { kid, alg, use: 'sig' });
    const token = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .sign(privateKey);
    return { jwks: { keys: [jwk] }, token };
  },

  async verify({ jwks, token, issuer, audience, now, alg }) {
    const keySet = jose.createLocalJWKSet(jwks);
    const { payload, protectedHeader } = await jose.jwtVerify(token, keySet, {
      issuer,
      audience,
      algorithms: [alg],
      currentDate: new Date(now * 1000),
      requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp', 'jti'],
    });
    return { payload, header: protectedHeader };
  },

  async thumbprint({ jwk }) {
    return { thumbprint: await jose.calculateJwkThumbprint(jwk, 'sha256') };
  },

  async keypair() {
    const kp = sodium.crypto_box_keypair();
    return { public_key: b64.enc(kp.publicKey), private_key: b64.enc(kp.privateKey) };
  },

  async seal({ public_key, message }) {
    return { sealed: b64.enc(sodium.crypto_box_seal(b64.dec(message), b64.dec(public_key))) };
  },

  async open({ public_key, private_key, sealed }) {
    const message = sodium.crypto_box_seal_open(
      b64.dec(sealed), b64.dec(public_key), b64.dec(private_key));
    return { message: b64.enc(message) };
  },
};

(async () => {
  const command = commands[process.argv[2]];
  if (!command) {
    process.stderr.write(`unknown command ${process.argv[2]}\n`);
    process.exit(2);
  }
  await sodium.ready;
  const request = await readStdin();
  try {
    process.stdout.write(JSON.stringify(await command(request)) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String(e.message || e), code: e.code || null }) + '\n');
    process.exit(1);
  }
})();
