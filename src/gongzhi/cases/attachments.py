"""Attachments to a request: checks (count, size, type by magic bytes) and storage.

Residents may attach photos or files (never required). Each file is at most
``GONGZHI_ATTACHMENT_MAX_BYTES`` (5 MB), at most ``GONGZHI_ATTACHMENT_MAX_COUNT`` (3) per request,
and must be a JPEG, PNG or PDF — decided by the file's first bytes, never by its name or the
client's declared type. Files are stored as ``cases/<random name>`` in Django's default storage
(``STORAGES["default"]``: a directory shared by every node, ``GONGZHI_MEDIA_DIR``, or an S3-compatible
object store through django-storages, docs/deploy.md); nothing here touches a local path. The original
name is kept only as a label. Everything is checked before anything is written: a refused upload saves
nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext

from gongzhi.core.errors import DomainError

from .contracts import CasesError

if TYPE_CHECKING:
    from .models import Attachment

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


PREFIX = "cases/"


def storage() -> Storage:
    """The default storage, looked up on each use (a settings override in tests replaces it)."""
    return storages["default"]


def storage_name(stored_name: str) -> str:
    return PREFIX + os.path.basename(stored_name)


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
            gettext("最多上传%(max)s个附件（照片或文件），您选择了%(n)s个") % {"max": max_count(), "n": len(files)},
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
            raise DomainError(
                gettext("附件“%(name)s”是空文件") % {"name": name},
                field="attachments",
                code=CasesError.EMPTY_ATTACHMENT,
            )
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
                gettext("附件“%(name)s”不是%(kinds)s文件（按文件内容判断）") % {"name": name, "kinds": ALLOWED_LABEL},
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
        raise DomainError(gettext("media_url 须为 http(s) 地址（最多500个字符）"), field="media_url")
    return url


def store(checked: list[Checked]) -> list[tuple[Checked, str, str]]:
    """Write the files under random names; returns (item, stored name, sha256). Call :func:`discard` with
    the stored names if the transaction that records them fails."""
    st = storage()
    written = []
    try:
        for c in checked:
            saved = st.save(f"{PREFIX}{secrets.token_hex(16)}.{c.ext}", ContentFile(c.data))
            written.append((c, saved.removeprefix(PREFIX), hashlib.sha256(c.data).hexdigest()))
    except Exception:
        discard([n for _c, n, _h in written])
        raise
    return written


def discard(names: Iterable[str]) -> None:
    st = storage()
    for n in names:
        st.delete(storage_name(n))  # a missing file is no error


def exists(stored_name: str) -> bool:
    return storage().exists(storage_name(stored_name))


def open_file(att: Attachment) -> File:
    """The stored file of an attachment, open for reading; FileNotFoundError when it is gone."""
    name = storage_name(att.stored_name)
    st = storage()
    if not st.exists(name):
        raise FileNotFoundError(name)
    return st.open(name, "rb")


def read(att: Attachment) -> bytes:
    with open_file(att) as fh:
        return fh.read()
