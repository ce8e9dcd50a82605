from __future__ import annotations

import io

import segno


def poster_svg(url: str, *, scale: int = 6) -> str:
    """An inline SVG QR code (error correction Q: survives a scuffed poster at a gate)."""
    out = io.BytesIO()
    segno.make(url, error="q", micro=False).save(
        out, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2
    )
    return out.getvalue().decode()
