"""The README's pictures: `scripts/make_pictures.py` makes them from the library itself.

The script runs into a temporary folder; each picture must be a valid PNG or SVG of a
sensible size, and the committed copies in docs/images must be the same kind of file.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import IN_CI, require

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_pictures.py"
COMMITTED = ROOT / "docs" / "images"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 300 * 1024
# name -> (smallest width, smallest height, largest width, largest height) in pixels
PICTURES = {
    "neuron.svg": (500, 150, 2400, 1200),
    "stepping.png": (800, 400, 2400, 1600),
    "moons.png": (500, 350, 1600, 1200),
    "digits-confusion.png": (400, 400, 1600, 1600),
}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its first chunk must be IHDR)."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, "the first chunk is not IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert data[-8:-4] == b"IEND", "the file does not end with the IEND chunk (truncated?)"
    return width, height


def _length(text: str | None) -> float | None:
    """An SVG length ('1385pt', '922', '300px') in pixels, or None."""
    if not text:
        return None
    number = text.rstrip("ptxm")
    scale = {"pt": 4 / 3, "px": 1.0}.get(text[len(number):], 1.0)
    return float(number) * scale


def svg_size(data: bytes) -> tuple[float, float]:
    """Width and height of an SVG: its width/height attributes, else its viewBox."""
    root = ET.fromstring(data)
    assert root.tag.endswith("svg"), f"the root element is {root.tag}, not svg"
    width, height = _length(root.get("width")), _length(root.get("height"))
    if width is None or height is None:
        box = root.get("viewBox")
        assert box, "an SVG with neither width/height nor viewBox"
        width, height = (float(v) for v in box.replace(",", " ").split()[2:4])
    return width, height


def check_picture(path: Path) -> None:
    data = path.read_bytes()
    assert 1024 < len(data) <= MAX_BYTES, f"{path.name}: {len(data)} bytes"
    low_w, low_h, high_w, high_h = PICTURES[path.name]
    width, height = svg_size(data) if path.suffix == ".svg" else png_size(data)
    assert low_w <= width <= high_w and low_h <= height <= high_h, (
        f"{path.name}: {width:.0f} x {height:.0f} px")


def test_png_and_svg_readers_reject_other_files() -> None:
    with pytest.raises(AssertionError, match="not a PNG"):
        png_size(b"GIF89a" + bytes(40))
    with pytest.raises(ET.ParseError):
        svg_size(b"<svg width='10'")
    assert svg_size(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 30"/>') == (40, 30)
    assert svg_size(b'<svg xmlns="http://www.w3.org/2000/svg" width="30pt" height="3pt"/>') \
        == (40, 4)


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_committed_pictures_are_valid(name: str) -> None:
    check_picture(COMMITTED / name)


def test_the_script_makes_every_picture(tmp_path: Path) -> None:
    require("matplotlib", "plots")
    require("playwright.sync_api", "browser")
    if not Path("/usr/bin/chromium").exists():
        if IN_CI:
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.monotonic()
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "images")], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    print(f"make_pictures.py took {time.monotonic() - started:.0f} s")
    made = sorted(p.name for p in (tmp_path / "images").iterdir())
    assert made == sorted(PICTURES), made
    for name in PICTURES:
        check_picture(tmp_path / "images" / name)
        assert f"wrote {tmp_path / 'images' / name}" in run.stdout


def test_the_script_names_a_missing_folder_argument() -> None:
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2 and "folder" in run.stderr
