"""Issue 19 item 6: the English catalogue is complete — no untranslated and no fuzzy entry — and the
compiled catalogue answers every message of the source catalogue."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "src/gongzhi/locale/en/LC_MESSAGES/django.po"


def _entries(text: str) -> list[dict]:
    """msgid/msgstr pairs (plural forms included) with their flags, from a .po file."""
    out, cur, key = [], None, None
    for line in text.splitlines():
        if line.startswith("#,"):
            cur = {"flags": line[2:].strip(), "msgid": "", "msgstr": {}}
            out.append(cur)
            continue
        m = re.match(r'(msgid|msgid_plural|msgstr(?:\[(\d+)\])?) "(.*)"$', line)
        if m:
            if m.group(1) == "msgid" and (cur is None or cur["msgid"] or cur["msgstr"]):
                cur = {"flags": "", "msgid": "", "msgstr": {}}
                out.append(cur)
            key = m.group(1)
            if key.startswith("msgstr"):
                cur["msgstr"].setdefault(key, "")
                cur["msgstr"][key] += m.group(3)
            elif key == "msgid":
                cur["msgid"] += m.group(3)
        elif line.startswith('"') and cur is not None and key is not None:
            if key.startswith("msgstr"):
                cur["msgstr"][key] += line[1:-1]
            elif key == "msgid":
                cur["msgid"] += line[1:-1]
    return [e for e in out if e["msgid"]]


def test_no_untranslated_or_fuzzy_entry():
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 1000
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in entries if not all(v for v in e["msgstr"].values())]
    assert not fuzzy, f"fuzzy entries: {fuzzy[:10]}"
    assert not empty, f"untranslated entries: {empty[:10]}"


def _unescape(po_text: str) -> str:
    """A .po string's escapes (\\n, \\", \\\\) undone, the UTF-8 text kept."""
    return po_text.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_compiled_catalogue_matches_the_source():
    entries = _entries(PO.read_text(encoding="utf-8"))
    with open(PO.with_suffix(".mo"), "rb") as f:
        mo = gettext.GNUTranslations(f)
    missing = [
        e["msgid"]
        for e in entries
        if "msgstr" in e["msgstr"]
        and e["msgstr"]["msgstr"] != e["msgid"]
        and mo.gettext(_unescape(e["msgid"])) == _unescape(e["msgid"])
    ]
    assert not missing, f"django.mo is older than django.po (run make messages): {missing[:5]}"
