"""Attachments to a request: checks (count, size, type by magic bytes) and storage.

Residents may attach photos or files (never required). Each file is at most
``GONGZHI_ATTACHMENT_MAX_BYTES`` (5 MB), at most ``GONGZHI_ATTACHMENT_MAX_COUNT`` (3) per request,
and must be a JPEG, PNG or PDF — decided by the file's first bytes, never by its name or the
client's declared type. Files are stored under ``GONGZHI_VAR_DIR/media/cases/`` with a random name;
the original name is kept only as a label. Everything is checked before anything is written:
a refused upload saves nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from gongzhi.core.errors import DomainError

from .contracts import CasesError

# (magic prefix, content type, extension)
SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"%PDF-", "application/pdf", "pdf"),
]
ALLOWED_LABEL = "JPEG、PNG或PDF"
MAX_URL = 500


class AttachmentTooLarge(DomainError):
    """An attachment over the size limit: 413, nothing saved."""

    status = 413
    code = CasesError.ATTACHMENT_TOO_LARGE


def max_bytes() -> int:
    return int(getattr(settings, "GONGZHI_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))


def max_count() -> int:
    return int(getattr(settings, "GONGZHI_ATTACHMENT_MAX_COUNT", 3))


def media_dir() -> Path:
    base = getattr(settings, "GONGZHI_MEDIA_DIR", None) or Path(settings.VAR_DIR) / "media"
    return Path(base) / "cases"


@dataclass
class Checked:
    original_name: str
    content_type: str
    ext: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, ctype, ext in SIGNATURES:
        if head.startswith(magic):
            return ctype, ext
    return None


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def check(files) -> list[Checked]:
    """Validate uploaded files (Django ``UploadedFile`` or ``(name, bytes)``); raise before reading more
    than the limit of any file."""
    files = [f for f in (files or []) if f is not None]
    if len(files) > max_count():
        raise DomainError(
            f"最多上传{max_count()}个附件（照片或文件），您选择了{len(files)}个",
            field="attachments",
            code=CasesError.TOO_MANY_ATTACHMENTS,
        )
    limit = max_bytes()
    out = []
    for f in files:
        if isinstance(f, tuple):
            name, data = f
            size = len(data)
        else:
            name, size, data = getattr(f, "name", "") or "", f.size, None
        name = os.path.basename(str(name or ""))[:120]
        if size > limit:
            raise AttachmentTooLarge(
                f"附件“{name}”大小为{_human(size)}，超过每个{_human(limit)}的上限，请压缩后再上传", field="attachments"
            )
        if size == 0:
            raise DomainError(f"附件“{name}”是空文件", field="attachments", code=CasesError.EMPTY_ATTACHMENT)
        if data is None:
            f.seek(0)
            data = f.read(limit + 1)
            if len(data) > limit:  # a client that misreported the size
                raise AttachmentTooLarge(
                    f"附件“{name}”超过每个{_human(limit)}的上限，请压缩后再上传", field="attachments"
                )
        kind = sniff(data[:16])
        if kind is None:
            raise DomainError(
                f"附件“{name}”不是{ALLOWED_LABEL}文件（按文件内容判断）",
                field="attachments",
                code=CasesError.ATTACHMENT_TYPE,
            )
        out.append(Checked(name, kind[0], kind[1], data))
    return out


def check_url(url: str | None) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
        raise DomainError("media_url 须为 http(s) 地址（最多500个字符）", field="media_url")
    return url


def store(checked: list[Checked]) -> list[tuple[Checked, str, str]]:
    """Write the files under random names; returns (item, stored name, sha256). Call :func:`discard` with
    the stored names if the transaction that records them fails."""
    d = media_dir()
    d.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for c in checked:
            name = f"{secrets.token_hex(16)}.{c.ext}"
            path = d / name
            with open(path, "xb") as fh:
                fh.write(c.data)
            written.append((c, name, hashlib.sha256(c.data).hexdigest()))
    except OSError:
        discard([n for _c, n, _h in written])
        raise
    return written


def discard(names) -> None:
    for n in names:
        try:
            (media_dir() / n).unlink()
        except FileNotFoundError:
            pass


def path_of(att) -> Path:
    return media_dir() / att.stored_name
