"""Signed notes and checkpoints, including the golang.org/x/mod/sumdb/note reference vector."""

from __future__ import annotations

import base64

import pytest

from gongzhi.ledger.note import (
    Checkpoint,
    InvalidSignatureError,
    MalformedNoteError,
    NoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    format_checkpoint,
    generate_key,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    sign_note,
)

# Published in the documentation of golang.org/x/mod/sumdb/note.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_go_reference_vector_interoperates():
    signer = Signer.from_key(GO_SIGNER)
    assert signer.verifier.to_key() == GO_VERIFIER
    assert signer.to_key() == GO_SIGNER
    # Ed25519 is deterministic: we produce Go's note byte for byte.
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    note = open_note(GO_NOTE, [Verifier.from_key(GO_VERIFIER)])
    assert note.text == GO_TEXT
    assert [s.name for s in note.verified] == ["PeterNeumann"]


def test_round_trip_and_several_signatures():
    a, b = Signer.generate("gongzhi.local/ledger"), Signer.generate("witness.example")
    body = format_checkpoint("gongzhi.local/ledger", 42, b"\x07" * 32)
    msg = sign_note(body, a, b)
    cp, note = open_checkpoint(msg, [a.verifier], origin="gongzhi.local/ledger")
    assert cp == Checkpoint("gongzhi.local/ledger", 42, b"\x07" * 32)
    assert len(note.signatures) == 2 and len(note.verified) == 1
    assert len(open_note(msg, [a.verifier, b.verifier]).verified) == 2
    skey, vkey = generate_key("x.example")
    assert Signer.from_key(skey).verifier.to_key() == vkey


def test_text_may_hold_blank_lines():
    signer = Signer.generate("log")
    note = open_note(sign_note("a\n\nb\n", signer), [signer.verifier])
    assert note.text == "a\n\nb\n"


def test_unknown_signatures_are_ignored():
    known, stranger = Signer.generate("log"), Signer.generate("stranger")
    msg = sign_note("hello\n", stranger, known)
    assert [s.name for s in open_note(msg, [known.verifier]).verified] == ["log"]
    with pytest.raises(UnverifiedNoteError, match="no signature by a known key"):
        open_note(sign_note("hello\n", stranger), [known.verifier])


def test_tampered_text_and_wrong_key():
    signer = Signer.generate("log")
    msg = sign_note(format_checkpoint("log", 10, b"\x01" * 32), signer)
    tampered = msg.replace("\n10\n", "\n11\n", 1)
    with pytest.raises(InvalidSignatureError, match="changed or forged"):
        open_note(tampered, [signer.verifier])
    other = Signer.generate("log")  # same name, different key: different key id
    with pytest.raises(UnverifiedNoteError):
        open_note(msg, [other.verifier])
    # A forged signature claiming the right key id is caught, not ignored.
    blob = base64.b64decode(msg.rsplit(" ", 1)[1])
    forged = msg.rsplit(" ", 1)[0] + " " + base64.b64encode(blob[:4] + bytes(64)).decode() + "\n"
    with pytest.raises(InvalidSignatureError):
        open_note(forged, [signer.verifier])


@pytest.mark.parametrize(
    "message, match",
    [
        ("no blank line\n\u2014 log AAAA\n", "no blank line"),
        ("text\n\n- log AAAAAAAAAAA=\n", "does not start"),
        ("text\n\n\u2014 log\n", "must be"),
        ("text\n\n\u2014 log not*base64\n", "base64"),
        ("text\n\n\u2014 log AAAA\n", "too short"),
        ("text\n\n\u2014 log AAAAAAAAAAA=", "end with a newline"),
        ("te\x01xt\n\n\u2014 log AAAAAAAAAAA=\n", "control character"),
        (b"\xff\xfe\n\n" + "\u2014 log AAAAAAAAAAA=\n".encode(), "UTF-8"),
    ],
)
def test_malformed_notes(message, match):
    signer = Signer.generate("log")
    with pytest.raises(MalformedNoteError, match=match):
        open_note(message, [signer.verifier])


@pytest.mark.parametrize(
    "key, match",
    [
        ("PeterNeumann+c74f20a3", "name\\+hexkeyid"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
        ("PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "base64|0x01"),
    ],
)
def test_malformed_verifier_keys(key, match):
    with pytest.raises(NoteError, match=match):
        Verifier.from_key(key)


def test_malformed_signer_key():
    with pytest.raises(NoteError, match="PRIVATE\\+KEY"):
        Signer.from_key(GO_VERIFIER)


@pytest.mark.parametrize(
    "body, match",
    [
        ("origin\n12\n", "origin, size and root"),
        ("origin\n012\n" + base64.b64encode(bytes(32)).decode() + "\n", "leading zeros"),
        ("origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n", "decimal"),
        ("origin\n1\n" + base64.b64encode(bytes(31)).decode() + "\n", "31 bytes"),
        ("origin\n1\n" + base64.b64encode(bytes(32)).decode(), "newline"),
        ("\n1\n" + base64.b64encode(bytes(32)).decode() + "\n", "origin line is empty"),
    ],
)
def test_malformed_checkpoints(body, match):
    with pytest.raises(NoteError, match=match):
        parse_checkpoint(body)


def test_checkpoint_extensions_round_trip():
    body = format_checkpoint("o", 3, bytes(32), ["ext one"])
    assert parse_checkpoint(body) == Checkpoint("o", 3, bytes(32), ("ext one",))
    signer = Signer.generate("o")
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(sign_note(body, signer), [signer.verifier], origin="other")
