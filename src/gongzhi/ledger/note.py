"""C2SP signed-note v1 with Ed25519, and C2SP tlog-checkpoint v1 bodies.

Keys use the text forms of Go's ``golang.org/x/mod/sumdb/note`` so that they and the
notes interoperate with that tooling:

* verifier key: ``<name>+<hex key id>+<base64(0x01 || 32-byte public key)>``
* signer key:   ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>``

The key id is the first four bytes of ``SHA-256(name || "\\n" || 0x01 || public key)``
read as a big-endian number.  A note is its text (ending in a newline), a blank line
and one or more lines ``— <name> <base64(key id || signature)>``.  The Ed25519
signature covers the text bytes exactly.

Cryptography comes from ``cryptography``; this module only does the framing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash and space
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, key or checkpoint is malformed or does not verify."""


class MalformedNoteError(NoteError):
    pass


class UnverifiedNoteError(NoteError):
    """No signature by any of the given keys (signatures by unknown keys are ignored)."""


class InvalidSignatureError(NoteError):
    """A signature by a known key does not verify: the text was altered or forged."""


# --------------------------------------------------------------------------- keys


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name) or not name.isprintable():
        raise NoteError(f"invalid key name {name!r}: it must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> int:
    """First four bytes of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key), big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return struct.unpack(">I", digest[:4])[0]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what} is not valid base64") from None


@dataclass(frozen=True)
class Verifier:
    name: str
    key_id: int
    public_key: Ed25519PublicKey = field(repr=False)

    @classmethod
    def from_key(cls, text: str) -> Verifier:
        """Parse ``name+hexid+base64``; the key id must match the name and key."""
        parts = text.strip().split("+", 2)  # base64 may itself contain '+'
        if len(parts) != 3:
            raise NoteError("verifier key must look like name+hexkeyid+base64key")
        name, hexid, b64 = parts
        _check_name(name)
        if not re.fullmatch(r"[0-9a-f]{8}", hexid):
            raise NoteError(f"verifier key id {hexid!r} must be 8 lowercase hex digits")
        raw = _b64decode(b64, "verifier key data")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("verifier key data must be 0x01 followed by a 32-byte Ed25519 public key")
        if key_id(name, raw[1:]) != int(hexid, 16):
            raise NoteError(f"verifier key id {hexid} does not match the name and public key")
        return cls(name, int(hexid, 16), Ed25519PublicKey.from_public_bytes(raw[1:]))

    def to_key(self) -> str:
        raw = bytes([ALG_ED25519]) + _raw_public(self.public_key)
        return f"{self.name}+{self.key_id:08x}+{base64.b64encode(raw).decode()}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    key_id: int
    private_key: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def from_key(cls, text: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+hexid+base64``."""
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("signer key must look like PRIVATE+KEY+name+hexkeyid+base64key")
        name, hexid, b64 = parts[2:]
        _check_name(name)
        if not re.fullmatch(r"[0-9a-f]{8}", hexid):
            raise NoteError(f"signer key id {hexid!r} must be 8 lowercase hex digits")
        raw = _b64decode(b64, "signer key data")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("signer key data must be 0x01 followed by a 32-byte Ed25519 seed")
        private = Ed25519PrivateKey.from_private_bytes(raw[1:])
        if key_id(name, _raw_public(private.public_key())) != int(hexid, 16):
            raise NoteError(f"signer key id {hexid} does not match the name and key")
        return cls(name, int(hexid, 16), private)

    @classmethod
    def generate(cls, name: str) -> Signer:
        _check_name(name)
        private = Ed25519PrivateKey.generate()
        return cls(name, key_id(name, _raw_public(private.public_key())), private)

    def to_key(self) -> str:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        raw = bytes([ALG_ED25519]) + seed
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{base64.b64encode(raw).decode()}"

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, self.private_key.public_key())

    def sign(self, text: bytes) -> bytes:
        return self.private_key.sign(text)


def generate_key(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair as (signer key, verifier key) strings."""
    signer = Signer.generate(name)
    return signer.to_key(), signer.verifier.to_key()


# --------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    signature: bytes


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]  # every signature line, known or not
    verified: tuple[Signature, ...]  # those verified by a given key


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    for ch in text:
        if (ord(ch) < 0x20 and ch != "\n") or ord(ch) == 0x7F:
            raise MalformedNoteError(f"note text contains the control character {ch!r}")


def sign_note(text: str, *signers: Signer, existing: str = "") -> str:
    """Sign ``text`` with every signer; ``existing`` signature lines are kept after ours."""
    _check_text(text)
    if not signers:
        raise NoteError("sign_note needs at least one signer")
    data = text.encode("utf-8")
    lines = []
    for s in signers:
        blob = struct.pack(">I", s.key_id) + s.sign(data)
        lines.append(f"{SIG_PREFIX}{s.name} {base64.b64encode(blob).decode()}\n")
    return text + "\n" + "".join(lines) + existing


def open_note(message: str | bytes, verifiers: list[Verifier] | tuple[Verifier, ...]) -> Note:
    """Parse a signed note and check its signatures.

    Signatures by keys not in ``verifiers`` are ignored; every signature by a known key
    must verify; at least one must be by a known key.
    """
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedNoteError("note is not valid UTF-8") from None
    split = message.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line between text and signatures")
    text, sig_block = message[: split + 1], message[split + 2 :]
    _check_text(text)
    if not sig_block.endswith("\n"):
        raise MalformedNoteError("signature block must end with a newline")
    sig_lines = sig_block[:-1].split("\n")
    if len(sig_lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has more than {MAX_SIGNATURES} signatures")
    known = {(v.name, v.key_id): v for v in verifiers}
    data = text.encode("utf-8")
    signatures, verified = [], []
    for n, line in enumerate(sig_lines, start=1):
        if not line.startswith(SIG_PREFIX):
            raise MalformedNoteError(f"signature line {n} does not start with '\u2014 ': {line[:40]!r}")
        parts = line[len(SIG_PREFIX) :].split(" ")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise MalformedNoteError(f"signature line {n} must be '\u2014 <name> <base64>'")
        name, b64 = parts
        try:
            blob = _b64decode(b64, f"signature line {n}")
        except NoteError as exc:
            raise MalformedNoteError(str(exc)) from None
        if len(blob) < 5:
            raise MalformedNoteError(f"signature line {n} is too short to hold a key id and signature")
        sig = Signature(name, struct.unpack(">I", blob[:4])[0], blob[4:])
        signatures.append(sig)
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue  # unknown key: ignored, as the spec asks
        if not verifier.verify(data, sig.signature):
            raise InvalidSignatureError(
                f"signature by {sig.name}+{sig.key_id:08x} does not verify: the note text was changed or forged"
            )
        verified.append(sig)
    if not verified:
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in signatures) or "none"
        wanted = ", ".join(f"{v.name}+{v.key_id:08x}" for v in verifiers) or "none"
        raise UnverifiedNoteError(f"no signature by a known key (wanted {wanted}; found {names})")
    return Note(text, tuple(signatures), tuple(verified))


# --------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        return format_checkpoint(self.origin, self.size, self.root, self.extensions)


def format_checkpoint(origin: str, size: int, root: bytes, extensions: tuple[str, ...] | list[str] = ()) -> str:
    if not origin or origin != origin.strip() or "\n" in origin:
        raise NoteError(f"invalid checkpoint origin {origin!r}")
    if size < 0:
        raise NoteError("checkpoint tree size must be non-negative")
    if len(root) != 32:
        raise NoteError(f"checkpoint root must be 32 bytes, got {len(root)}")
    for ext in extensions:
        if not ext or "\n" in ext:
            raise NoteError(f"invalid checkpoint extension line {ext!r}")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a tlog-checkpoint body (the text of a note)."""
    if not text.endswith("\n"):
        raise NoteError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(f"checkpoint needs origin, size and root lines, got {len(lines)} line(s)")
    origin, size_line, root_line, *ext = lines
    if not origin:
        raise NoteError("checkpoint origin line is empty")
    if not re.fullmatch(r"0|[1-9][0-9]*", size_line):
        raise NoteError(f"checkpoint size {size_line!r} is not a decimal number without leading zeros")
    root = _b64decode(root_line, "checkpoint root")
    if len(root) != 32:
        raise NoteError(f"checkpoint root is {len(root)} bytes, expected 32")
    if any(not e for e in ext):
        raise NoteError("checkpoint extension lines must not be empty")
    return Checkpoint(origin, int(size_line), root, tuple(ext))


def open_checkpoint(message: str | bytes, verifiers, origin: str | None = None) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint note and parse its body."""
    note = open_note(message, list(verifiers))
    cp = parse_checkpoint(note.text)
    if origin is not None and cp.origin != origin:
        raise NoteError(f"checkpoint origin {cp.origin!r} is not the expected {origin!r}")
    return cp, note
