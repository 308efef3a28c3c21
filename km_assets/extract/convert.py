"""Inside the worker: one file -> Markdown with markitdown's converter for its kind.

The converter is chosen by us (kinds.py), not by markitdown's own detection: that detection loads a
model (magika) and would hand a .zip to the zip converter, which unpacks every member (5.4 GB for the
zbsm bomb). Only the converters named here ever run.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

__all__ = ["EXTRACTOR", "classify_error", "convert_file", "warm_up"]

EXTRACTOR = "markitdown 0.1.9"
_CONVERTERS: dict[str, Any] = {}
_NAMES = {"pdf": "PdfConverter", "docx": "DocxConverter", "pptx": "PptxConverter", "xlsx": "XlsxConverter",
          "csv": "CsvConverter", "html": "HtmlConverter", "markdown": "PlainTextConverter",
          "text": "PlainTextConverter"}
_EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "pptx": ".pptx", "xlsx": ".xlsx", "csv": ".csv", "html": ".html",
               "markdown": ".md", "text": ".txt"}


def warm_up() -> None:
    """Import every converter once, so the first file's time limit does not pay for imports."""
    from markitdown import converters

    for kind, name in _NAMES.items():
        _CONVERTERS[kind] = getattr(converters, name)()


def convert_file(path: str, kind: str, filename: str | None = None, media_type: str | None = None) -> str:
    from markitdown import StreamInfo

    if not _CONVERTERS:
        warm_up()
    info = StreamInfo(extension=_EXTENSIONS[kind], mimetype=media_type or None, filename=filename or None)
    data = Path(path).read_bytes()
    if kind in ("docx", "pptx", "xlsx") and data[:4] == b"\xd0\xcf\x11\xe0":
        # An OLE container under an Office name: a password-protected OOXML file (or a legacy .doc).
        raise EncryptedError("an encrypted (password-protected) Office file, or a legacy OLE document")
    result = _CONVERTERS[kind].convert(io.BytesIO(data), info)
    return (result.markdown or "").strip()


class EncryptedError(Exception):
    """The file needs a password."""


_ENCRYPTED = {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning", "EncryptedError",
              "FileNotDecryptedError"}


def classify_error(err: BaseException) -> str:
    """A reason row's text: what kind of problem, then the library's own words (first line, trimmed)."""
    name = type(err).__name__
    detail = (str(err).strip().splitlines() or [""])[0][:300]
    if name in _ENCRYPTED or "password" in detail.lower() or "encrypt" in detail.lower():
        return f"encrypted: {name}: {detail}".rstrip(": ")
    return f"corrupt or unreadable: {name}: {detail}".rstrip(": ")
