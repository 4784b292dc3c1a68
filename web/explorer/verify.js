// What the explorer checks itself, in the browser, instead of trusting the node's words:
// the canonical codec (src/base/codec.h), tagged SHA-256 (src/crypto/hash.h), block hashes
// (src/chain/block.cc), commit certificates (src/chain/certificate.cc), bech32m addresses
// (src/chain/address.cc) and state proofs (src/ledger/state_tree.h, src/ledger/account.h).
// SHA-256 and Ed25519 come from WebCrypto; everything else is written out here.

const utf8 = new TextEncoder();

export function hexToBytes(hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || /[^0-9a-f]/.test(hex)) {
    throw new Error('not lower-case hex');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(parts)));
}

// sha256(tag || data), as crypto::tagged_hash.
export function taggedHash(tag, data) {
  return sha256(utf8.encode(tag), data);
}

// The strict reader of the canonical codec: little-endian integers, u32 length prefixes.
class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
  }
  take(n) {
    if (n > this.bytes.length - this.at) throw new Error('truncated');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8() {
    return this.take(1)[0];
  }
  u32() {
    const b = this.take(4);
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000;
  }
  u64() {
    const b = this.take(8);
    let value = 0n;
    for (let i = 7; i >= 0; i--) value = (value << 8n) | BigInt(b[i]);
    return value;
  }
  count(max, eachBytes) {
    const n = this.u32();
    if (n > max || n * eachBytes > this.bytes.length - this.at) throw new Error('list too long');
    return n;
  }
  bytesField(max) {
    return this.take(this.count(max, 1));
  }
  end() {
    if (this.at !== this.bytes.length) throw new Error('trailing bytes');
  }
}

function u64Bytes(value) {
  const out = new Uint8Array(8);
  let v = BigInt(value);
  for (let i = 0; i < 8; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function u32Bytes(value) {
  return u64Bytes(value).subarray(0, 4);
}

function readCertificate(r) {
  const cert = { height: r.u64(), round: r.u64(), blockHash: r.take(32), signatures: [] };
  const n = r.count(1024, 4 + 64);
  for (let i = 0; i < n; i++) cert.signatures.push({ index: r.u32(), signature: r.take(64) });
  return cert;
}

export function decodeCertificate(bytes) {
  const r = new Reader(bytes);
  const cert = readCertificate(r);
  r.end();
  return cert;
}

export function decodeHeader(bytes) {
  const r = new Reader(bytes);
  const header = {
    chainId: new TextDecoder().decode(r.bytesField(64)),
    height: r.u64(),
    previousHash: r.take(32),
    timeMs: r.u64(),
    proposer: r.take(32),
    transactionCount: r.u32(),
    transactionsRoot: r.take(32),
    stateRoot: r.take(32),
    validatorSetHash: r.take(32),
    engineData: r.bytesField(4096),
    lastCommit: readCertificate(r),
  };
  r.end();
  return header;
}

export function blockHash(headerBytes) {
  return taggedHash('synod/header', headerBytes);
}

// commit_signing_hash(chain_id, height, round, block_hash).
export function commitSigningHash(chainId, height, round, hash) {
  const id = utf8.encode(chainId);
  return taggedHash('synod/commit', concat([u32Bytes(id.length), id, u64Bytes(height), u64Bytes(round), hash]));
}

let ed25519 = null;
// Whether this browser's WebCrypto verifies Ed25519 (Chromium 137 and later do).
export async function ed25519Supported() {
  if (ed25519 === null) {
    try {
      await crypto.subtle.importKey('raw', new Uint8Array(32).fill(1), { name: 'Ed25519' }, false, ['verify']);
      ed25519 = true;
    } catch {
      ed25519 = false;
    }
  }
  return ed25519;
}

async function ed25519Verify(publicKey, message, signature) {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  } catch {
    return false;
  }
}

// Checks a certificate as Certificate::verify does: signers inside the set, strictly increasing,
// each signature valid over the commit signing hash, and a quorum of power. `validators` is the
// get_validators answer. Returns {ok, power, quorum, signatures: 'verified'|'not checked',
// signers: [{index, valid}], problems: [text]}.
export async function verifyCertificate(certBytes, chainId, expectedHash, validators) {
  const out = { ok: false, power: 0n, quorum: BigInt(validators.quorum_power), signers: [], problems: [] };
  let cert;
  try {
    cert = decodeCertificate(certBytes);
  } catch (e) {
    out.problems.push('the certificate does not decode: ' + e.message);
    return out;
  }
  out.height = cert.height;
  out.round = cert.round;
  if (!equalBytes(cert.blockHash, expectedHash)) out.problems.push('it certifies another block hash');
  const canVerify = await ed25519Supported();
  out.signatures = canVerify ? 'verified' : 'not checked (no WebCrypto Ed25519 in this browser)';
  const digest = await commitSigningHash(chainId, cert.height, cert.round, cert.blockHash);
  let previous = -1;
  for (const { index, signature } of cert.signatures) {
    const validator = validators.validators[index];
    if (!validator) {
      out.problems.push(`signer ${index} is outside the validator set`);
      continue;
    }
    if (index <= previous) out.problems.push('signers are not strictly increasing');
    previous = index;
    const valid = canVerify ? await ed25519Verify(hexToBytes(validator.public_key), digest, signature) : null;
    if (valid === false) out.problems.push(`the signature of ${validator.name || index} is invalid`);
    out.signers.push({ index, valid });
    if (valid !== false) out.power += BigInt(validator.power);
  }
  if (out.power < out.quorum) out.problems.push(`signers hold power ${out.power}, a quorum needs ${out.quorum}`);
  out.ok = out.problems.length === 0;
  return out;
}

// bech32m (BIP-350) decoding of a synod1... address into its 20 bytes; throws when it is not one.
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
function polymod(values) {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i];
  }
  return chk >>> 0;
}

export function addressBytes(address) {
  const text = String(address).toLowerCase();
  const sep = text.lastIndexOf('1');
  if (text.length > 90 || sep < 1 || text.slice(0, sep) !== 'synod') throw new Error('not a synod address');
  const data = [...text.slice(sep + 1)].map((c) => CHARSET.indexOf(c));
  if (data.length < 6 || data.includes(-1)) throw new Error('not a synod address');
  const prefix = [...'synod'].map((c) => c.charCodeAt(0));
  const expanded = [...prefix.map((c) => c >> 5), 0, ...prefix.map((c) => c & 31), ...data];
  if (polymod(expanded) !== 0x2bc830a3) throw new Error('the address checksum is wrong');
  let acc = 0;
  let bits = 0;
  const out = [];
  for (const v of data.slice(0, -6)) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0 || out.length !== 20) throw new Error('not a 20-byte address');
  return new Uint8Array(out);
}

export function decodeStateProof(bytes) {
  const r = new Reader(bytes);
  const n = r.count(256, 32);
  const siblings = [];
  for (let i = 0; i < n; i++) siblings.push(r.take(32));
  const flag = r.u8();
  if (flag > 1) throw new Error('non-canonical boolean');
  const leaf = flag ? { key: r.take(32), valueHash: r.take(32) } : null;
  r.end();
  return { siblings, leaf };
}

function bit(key, i) {
  return (key[i >> 3] >> (7 - (i & 7))) & 1;
}

// verify_state_proof: inclusion of (key, valueHash), or absence when valueHash is null.
export async function verifyStateProof(root, key, valueHash, proof) {
  const n = proof.siblings.length;
  let h = new Uint8Array(32);
  if (proof.leaf) h = await sha256(new Uint8Array([0]), proof.leaf.key, proof.leaf.valueHash);
  for (let i = n - 1; i >= 0; i--) {
    h = bit(key, i)
      ? await sha256(new Uint8Array([1]), proof.siblings[i], h)
      : await sha256(new Uint8Array([1]), h, proof.siblings[i]);
  }
  if (!equalBytes(h, root)) return false;
  if (valueHash) return !!proof.leaf && equalBytes(proof.leaf.key, key) && equalBytes(proof.leaf.valueHash, valueHash);
  if (!proof.leaf) return true;
  if (equalBytes(proof.leaf.key, key)) return false;
  for (let i = 0; i < n; i++) if (bit(proof.leaf.key, i) !== bit(key, i)) return false;
  return true;
}

// The whole account check of docs/rpc.md (get_account): the header hashes to a block the
// certificate certifies with a quorum of valid signatures, and the proof shows (address -> balance,
// nonce), or its absence for a zero account, against that header's state_root.
// Returns {ok, steps: [{what, ok}]}.
export async function verifyAccount(answer, validators) {
  const steps = [];
  const step = (what, ok) => steps.push({ what, ok }) && ok;
  try {
    const headerBytes = hexToBytes(answer.header_hex);
    const header = decodeHeader(headerBytes);
    const hash = await blockHash(headerBytes);
    step(`the header decodes and is for height ${header.height}`, header.height === BigInt(answer.height));
    step('its state root is the one the node names', bytesToHex(header.stateRoot) === answer.state_root);
    if (!answer.certificate_hex) {
      step('a commit certificate for it', false);
    } else {
      const cert = await verifyCertificate(hexToBytes(answer.certificate_hex), header.chainId, hash, validators);
      step(`the commit certificate certifies its hash with ${cert.signers.length} signers, power ${cert.power} of quorum ${cert.quorum}, signatures ${cert.signatures}`, cert.ok);
      for (const problem of cert.problems) step(problem, false);
    }
    const key = await taggedHash('synod/state/key', concat([new Uint8Array([1]), addressBytes(answer.address)]));
    const balance = BigInt(answer.balance);
    const nonce = BigInt(answer.nonce);
    const zero = balance === 0n && nonce === 0n;
    const valueHash = zero ? null : await taggedHash('synod/state/value', concat([u64Bytes(balance), u64Bytes(nonce)]));
    const proof = decodeStateProof(hexToBytes(answer.proof));
    step(zero ? 'the state proof shows the account is absent (zero) under the state root'
              : `the state proof shows balance ${balance} and nonce ${nonce} under the state root`,
         await verifyStateProof(header.stateRoot, key, valueHash, proof));
  } catch (e) {
    step('the answer decodes: ' + e.message, false);
  }
  return { ok: steps.length > 0 && steps.every((s) => s.ok), steps };
}
