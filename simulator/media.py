"""In-memory (or on-disk) file store, image sniffing and photo-size generation."""

from __future__ import annotations

import base64
import mimetypes
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.spec import bad_request

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_THUMB_SIDES = (90, 320, 800, 1280)
_MAX_PHOTO_SIDE = 2560


def image_size(data: bytes) -> tuple[int, int] | None:
    """Return (width, height) of a PNG/JPEG/GIF/WebP image, or None if unrecognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X":
            width = int.from_bytes(data[24:27], "little") + 1
            return width, int.from_bytes(data[27:30], "little") + 1
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos, n = 2, len(data)
    while pos + 9 < n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (seg_len,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            h, w = struct.unpack(">HH", data[pos + 5:pos + 9])
            return w, h
        pos += 2 + seg_len
    return None


def tiny_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """Generate a valid solid-colour PNG, handy as upload payload in tests."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def photo_dimensions(width: int, height: int) -> list[tuple[int, int]]:
    """Sizes Telegram would generate for a photo, smallest first (largest capped at 2560)."""
    side = max(width, height, 1)
    sizes = []
    for limit in _THUMB_SIDES:
        if side > limit:
            sizes.append((max(1, width * limit // side), max(1, height * limit // side)))
    cap = min(side, _MAX_PHOTO_SIDE)
    sizes.append((max(1, width * cap // side), max(1, height * cap // side)))
    return sizes


@dataclass
class StoredFile:
    """One stored file and the metadata the Bot API exposes about it."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | document | sticker
    size: int
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    file_path: str | None = None
    data: bytes | None = None
    disk_path: Path | None = None


class FileStore:
    """Keeps uploaded bytes keyed by file_id and by download path."""

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = data_dir
        self._files: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photo_sets: dict[str, list[dict[str, Any]]] = {}
        self._counter = 0
        if data_dir is not None:
            (data_dir / "files").mkdir(parents=True, exist_ok=True)

    def _ids(self, kind: str) -> tuple[str, str]:
        self._counter += 1
        n = self._counter
        tag = {"photo": "AgAC", "document": "BQAC", "sticker": "CAAC"}.get(kind, "AAAC")
        raw = base64.urlsafe_b64encode(struct.pack(">QI", n * 7919 + 1, n)).decode().rstrip("=")
        return f"{tag}{raw}{kind[:3].upper()}{n}", f"AQAD{n:06d}{kind[:1]}"

    def _store(self, kind: str, data: bytes, **meta: Any) -> StoredFile:
        file_id, unique = self._ids(kind)
        stored = StoredFile(file_id, unique, kind, len(data), **meta)
        if self.data_dir is not None:
            stored.disk_path = self.data_dir / "files" / unique
            stored.disk_path.write_bytes(data)
        else:
            stored.data = data
        self._files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """Look up a file by file_id."""
        return self._files.get(file_id)

    def read(self, stored: StoredFile) -> bytes:
        """Return a file's bytes."""
        if stored.data is not None:
            return stored.data
        assert stored.disk_path is not None
        return stored.disk_path.read_bytes()

    def by_path(self, file_path: str) -> StoredFile | None:
        """Look up a file by the file_path handed out by getFile."""
        return self._by_path.get(file_path)

    def assign_path(self, stored: StoredFile) -> str:
        """Give a file a stable download path (done lazily by getFile)."""
        if stored.file_path is None:
            folder = {"photo": "photos", "sticker": "stickers"}.get(stored.kind, "documents")
            ext = Path(stored.file_name or "").suffix
            if not ext:
                ext = {"photo": ".jpg", "sticker": ".webp"}.get(stored.kind, "")
            stored.file_path = f"{folder}/file_{stored.file_unique_id}{ext}"
            self._by_path[stored.file_path] = stored
        return stored.file_path

    def add_photo(self, data: bytes, *, strict: bool) -> list[dict[str, Any]]:
        """Store an image and return its PhotoSize list (smallest first)."""
        dims = image_size(data)
        if dims is None or min(dims) <= 0:
            if strict:
                raise bad_request("IMAGE_PROCESS_FAILED")
            dims = (800, 600)
        width, height = dims
        if strict:
            if len(data) > MAX_PHOTO_BYTES:
                raise bad_request("file is too big")
            if width + height > 10000 or max(width, height) > 20 * min(width, height):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
        sizes = []
        full = max(width * height, 1)
        dims_list = photo_dimensions(width, height)
        for index, (w, h) in enumerate(dims_list):
            # All sizes serve the original bytes; only the advertised size is scaled.
            last = index == len(dims_list) - 1
            approx = len(data) if last else max(1, len(data) * w * h // full)
            stored = self._store("photo", data, width=w, height=h, mime_type="image/jpeg")
            sizes.append({
                "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "width": w, "height": h, "file_size": approx,
            })
        for size in sizes:
            self._photo_sets[size["file_id"]] = sizes
        return sizes

    def photo_set(self, file_id: str) -> list[dict[str, Any]] | None:
        """The PhotoSize list a photo file_id belongs to."""
        return self._photo_sets.get(file_id)

    def add_document(
        self, data: bytes, *, file_name: str | None, mime_type: str | None, kind: str = "document"
    ) -> StoredFile:
        """Store a document (or sticker) file."""
        if mime_type in (None, "", "application/octet-stream") and file_name:
            mime_type = mimetypes.guess_type(file_name)[0] or mime_type
        return self._store(kind, data, file_name=file_name, mime_type=mime_type or None)

    def document_json(self, stored: StoredFile) -> dict[str, Any]:
        """Bot API Document object for a stored file."""
        doc: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.file_name:
            doc["file_name"] = stored.file_name
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        doc["file_size"] = stored.size
        return doc

    def file_json(self, stored: StoredFile) -> dict[str, Any]:
        """Bot API File object (as returned by getFile)."""
        result: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.size <= MAX_DOWNLOAD_BYTES:
            result["file_path"] = self.assign_path(stored)
        return result
