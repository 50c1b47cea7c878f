"""Forged uploads for the attack tests: lying headers, playlists, scripts that name other files.

Each is built from the committed clips at test time, so the attack is visible in the test.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
from av.audio.frame import AudioFrame

AUDIO = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
_STREAMINFO_FIELDS = slice(18, 26)  # "fLaC", block header (4), then 10 bytes before rate/total
_TOTAL_SAMPLES_BITS = 36


def flac_claiming(data: bytes, seconds: float) -> bytes:
    """`data` (a FLAC file) with a STREAMINFO that says it lasts `seconds`; the frames stay."""
    assert data[:4] == b"fLaC", "not a FLAC file"
    fields = int.from_bytes(data[_STREAMINFO_FIELDS], "big")
    rate = fields >> 44
    mask = (1 << _TOTAL_SAMPLES_BITS) - 1
    patched = (fields & ~mask) | int(seconds * rate)
    return data[: _STREAMINFO_FIELDS.start] + patched.to_bytes(8, "big") + data[_STREAMINFO_FIELDS.stop :]


def speech_flac_claiming(seconds: float) -> bytes:
    """The 23 s English FLAC clip, its header claiming `seconds`."""
    return flac_claiming((AUDIO / "speech_en.flac").read_bytes(), seconds)


def silent_flac(seconds: float, *, claiming: float | None = None, rate: int = 8000) -> bytes:
    """`seconds` of digital silence as FLAC (it compresses to almost nothing), optionally with a
    header claiming another length."""
    out = io.BytesIO()
    with av.open(out, "w", format="flac") as container:
        stream = container.add_stream("flac", rate=rate, layout="mono")
        frame_samples = 4096
        zeros = np.zeros((1, frame_samples), dtype=np.int16)
        for index in range(int(seconds * rate) // frame_samples):
            frame = AudioFrame.from_ndarray(zeros, format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = index * frame_samples
            container.mux(stream.encode(frame))  # type: ignore[union-attr]
        container.mux(stream.encode(None))  # type: ignore[union-attr]
    data = out.getvalue()
    return data if claiming is None else flac_claiming(data, claiming)


def hls_playlist(naming: Path) -> bytes:
    """An HLS playlist whose one segment is a file on the server's own disk."""
    return (
        f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:30\n#EXTINF:23.0,\n{naming}\n#EXT-X-ENDLIST\n"
    ).encode()


def concat_script(naming: Path) -> bytes:
    """An FFmpeg concat script (`ffconcat`) naming a file on the server's own disk."""
    return f"ffconcat version 1.0\nfile '{naming}'\n".encode()
