"""A file to upload to Discord, zipped when large: shared by the exports that can grow."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

# Export text compresses about tenfold; past this size the zip is worth the extra step.
ZIP_OVER = 1 << 20


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    size: int  # bytes before zipping
    zipped: bool

    def fits(self, limit: int) -> bool:
        return len(self.data) <= limit


def zipped_if_large(raw: bytes, filename: str, over: int | None = None) -> Upload:
    """``raw`` as it is, or zipped past ``over`` bytes. CPU-bound: run it off the event loop."""
    if len(raw) <= (ZIP_OVER if over is None else over):
        return Upload(filename, raw, len(raw), zipped=False)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr(filename, raw)
    return Upload(f"{filename}.zip", out.getvalue(), len(raw), zipped=True)


def size_text(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{max(1, round(n / 1024))} KiB"
