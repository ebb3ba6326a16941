"""Fill the English catalogue from the glossary and compile it.

`src/gongzhi/locale/glossary_en.tsv` holds one "Chinese<TAB>English" pair a line;
every msgid found there gets its msgstr. Prints the msgids still untranslated.
Run after `gongzhi makemessages -l en` (the Makefile's `messages` target does both).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "src" / "gongzhi" / "locale"


def load_glossary() -> dict[str, str]:
    pairs = {}
    for line in (LOCALE / "glossary_en.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            zh, _, en = line.partition("\t")
            pairs[zh] = en
    return pairs


def fill(po: Path, glossary: dict[str, str]) -> list[str]:
    """Set msgstr for every entry whose msgid is in the glossary (multi-line msgids included)."""
    lines = po.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    missing: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#, fuzzy") and out and out[-1] != "":
            i += 1  # drop fuzzy flags on entries (the header keeps none)
            continue
        if not line.startswith("msgid "):
            out.append(line)
            i += 1
            continue
        parts = [line[len("msgid ") :]]
        j = i + 1
        while j < len(lines) and lines[j].startswith('"'):
            parts.append(lines[j])
            j += 1
        msgid = "".join(p[1:-1] for p in parts).replace('\\"', '"')
        if j < len(lines) and lines[j].startswith("msgid_plural "):
            # Plural entry: msgid_plural, then msgstr[0], msgstr[1], … (one English form serves all).
            k = j + 1
            while k < len(lines) and (lines[k].startswith("msgstr[") or lines[k].startswith('"')):
                k += 1
            out.extend(lines[i : j + 1])
            if msgid in glossary:
                forms = [ln for ln in lines[j + 1 : k] if ln.startswith("msgstr[")]
                en = glossary[msgid].replace('"', '\\"')
                out.extend(f'{ln.split(" ", 1)[0]} "{en}"' for ln in forms)
            else:
                missing.append(msgid)
                out.extend(lines[j + 1 : k])
            i = k
            continue
        out.extend(lines[i:j])
        # The msgstr block that follows.
        k = j + 1
        while k < len(lines) and lines[k].startswith('"'):
            k += 1
        if msgid and msgid in glossary:
            out.append('msgstr "' + glossary[msgid].replace('"', '\\"') + '"')
        else:
            if msgid and lines[j] == 'msgstr ""' and k == j + 1:
                missing.append(msgid)
            out.extend(lines[j:k])
        i = k
    po.write_text("\n".join(out) + "\n", encoding="utf-8")
    return missing


def main() -> int:
    glossary = load_glossary()
    po = LOCALE / "en" / "LC_MESSAGES" / "django.po"
    missing = fill(po, glossary)
    subprocess.run(["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    for m in missing:
        print("untranslated:", m)
    print(f"{len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
