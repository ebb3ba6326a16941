// Checks a public-record entry's inclusion proof in the browser (ledger/entry.html), with SubtleCrypto's
// SHA-256 and nothing else: RFC 9162 leaf hash SHA-256(0x00 || entry), node hash SHA-256(0x01 || l || r),
// and the inclusion-verification algorithm of RFC 9162 section 2.1.3.2, against the root of the signed
// checkpoint the proof names. The signature itself is `gongzhi verify`'s job.
// window.gongzhiLedger exposes the pieces (the browser tests run them on the RFC 6962 test vectors).
(function () {
  "use strict";

  function b64decode(text) {
    var bin = atob(text);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64encode(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function fromHex(text) {
    if (!/^([0-9a-f]{2})*$/.test(text)) throw new Error("not hex: " + text);
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  async function sha256(parts) {
    var n = 0;
    parts.forEach(function (p) { n += p.length; });
    var buf = new Uint8Array(n), at = 0;
    parts.forEach(function (p) { buf.set(p, at); at += p.length; });
    return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  }

  function leafHash(data) { return sha256([new Uint8Array([0]), data]); }
  function nodeHash(left, right) { return sha256([new Uint8Array([1]), left, right]); }

  // RFC 9162 2.1.3.2; resolves to the computed root, rejects with the reason.
  async function rootFromInclusion(index, size, leaf, proof) {
    if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0)) throw new Error("bad index or size");
    if (index >= size) throw new Error("leaf index " + index + " is not below tree size " + size);
    if (leaf.length !== 32) throw new Error("leaf hash is not 32 bytes");
    // BigInt: tree sizes beyond 2^31 must not break the bit operations.
    var fn = BigInt(index), sn = BigInt(size - 1), r = leaf;
    for (var i = 0; i < proof.length; i++) {
      var p = proof[i];
      if (p.length !== 32) throw new Error("proof[" + i + "] is not 32 bytes");
      if (sn === 0n) throw new Error("proof has " + proof.length + " hashes, more than the " + i + " this tree needs");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n) throw new Error("proof has " + proof.length + " hashes, too few for this tree");
    return r;
  }

  async function verifyInclusion(index, size, leaf, proof, root) {
    var computed = await rootFromInclusion(index, size, leaf, proof);
    if (!equal(computed, root)) throw new Error("computed root " + hex(computed) + " does not match " + hex(root));
    return true;
  }

  // The checkpoint note's body: origin, size, base64 root (C2SP tlog-checkpoint).
  function parseCheckpoint(note) {
    var lines = note.split("\n");
    if (lines.length < 3 || !/^[1-9][0-9]*$|^0$/.test(lines[1])) throw new Error("not a checkpoint");
    return { origin: lines[0], size: Number(lines[1]), root: b64decode(lines[2]) };
  }

  // The leaf hash an entry stands for: hashed from the entry, or, for a withheld marker, the hash it names.
  async function entryLeafHash(entry) {
    var text = new TextDecoder().decode(entry);
    try {
      var obj = JSON.parse(text);
      if (obj && typeof obj === "object" && "withheld" in obj && !("data" in obj)) return fromHex(obj.leaf_hash);
    } catch (e) { /* not JSON: hash it as it is */ }
    return leafHash(entry);
  }

  // Checks a proof as /ledger/proof/inclusion serves it; resolves to true or rejects with the reason.
  async function check(d) {
    var entry = b64decode(d.entry);
    var leaf = await entryLeafHash(entry);
    if (!equal(leaf, b64decode(d.leaf_hash))) throw new Error("the entry does not hash to its leaf hash");
    var cp = parseCheckpoint(d.checkpoint);
    if (cp.size !== d.tree_size) throw new Error("the proof is for size " + d.tree_size + ", the checkpoint for " + cp.size);
    if (!equal(cp.root, b64decode(d.root))) throw new Error("the proof's root is not the checkpoint's root");
    return verifyInclusion(d.index, d.tree_size, leaf, d.proof.map(b64decode), cp.root);
  }

  window.gongzhiLedger = {
    b64decode: b64decode, b64encode: b64encode, hex: hex, leafHash: leafHash, nodeHash: nodeHash,
    rootFromInclusion: rootFromInclusion, verifyInclusion: verifyInclusion, parseCheckpoint: parseCheckpoint,
    check: check
  };

  var status = document.getElementById("proof-status");
  var source = document.getElementById("proof-data");
  if (!status || !source) return;
  var detail = document.getElementById("proof-detail");
  check(JSON.parse(source.textContent)).then(function () {
    status.dataset.result = "verified";
    status.className = "tag ok";
    status.textContent = "✓ " + status.dataset.verified;
  }, function (err) {
    status.dataset.result = "failed";
    status.className = "tag warn";
    status.textContent = "✗ " + status.dataset.failed;
    if (detail) detail.textContent = String(err && err.message ? err.message : err);
  });
})();
