"""PDF set-up shared by every printable document (reportlab): Chinese text in the built-in CID font
``STSong-Light`` (no font file to ship), registered once per process, and the heading and body
paragraph styles the documents share. reportlab is imported only when a PDF is made.
"""

from __future__ import annotations

from typing import Any

FONT = "STSong-Light"


def cjk_font() -> str:
    """Register the CJK font with reportlab (once) and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def paragraph_styles(body_size: float = 10, *, cjk_wrap: bool = False) -> tuple[Any, Any, Any]:
    """``(h1, h2, body)`` paragraph styles in the CJK font; ``cjk_wrap`` breaks lines between any two
    Chinese characters (long unbroken text in table cells)."""
    from reportlab.lib.styles import ParagraphStyle

    font = cjk_font()
    body = ParagraphStyle(
        "b", fontName=font, fontSize=body_size, leading=14, **({"wordWrap": "CJK"} if cjk_wrap else {})
    )
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    return h1, h2, body
