"""`ap-lint report` run as a user runs it, and the page it writes opened in a real browser (headless Chromium).

The browser tests need the Debian package ``chromium`` (``apt-get install -y
chromium``); without it they are skipped with that reason.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import REPO_ROOT, cli_environment

TODAY = "2026-11-28"
Run = Callable[..., "subprocess.CompletedProcess[str]"]
#: the part of the summary that the example register's records fix (the rest depends on the rules' findings)
RECORD_FIGURES = ("5 pupils are in alternative provision (6 active placements) at 3 providers, "
                  "and 1 more placement is planned. ")
FINDING_FIGURES = (r"(No errors need action|1 error needs action|\d+ errors need action)"
                   r"(; (1 warning|\d+ warnings) to note)?\. ")
DUE_FIGURES = r"(\d+ dates? (is|are) overdue[;,] .*|\d+ dates? falls? due|Nothing falls due) in the next 30 days\."
EXPECTED_H2 = ["Summary", "Contents", "Who is in alternative provision, why and where",
               "What falls due in the next 30 days", "Is the policy being followed?", "Unregistered providers in use",
               "The policy's own review", "About this report"]


def wrote_line(output: Path) -> re.Pattern[str]:
    return re.compile(re.escape(f"Wrote {output}. {RECORD_FIGURES}") + FINDING_FIGURES + DUE_FIGURES)


# ---------------------------------------------------------------- the command

def test_report_writes_a_web_page_and_exits_0(run_cli: Run, register_copy: Path) -> None:
    output = register_copy / "out" / "report.html"
    done = run_cli("report", "--today", TODAY, "--output", output, cwd=register_copy)
    assert (done.returncode, done.stderr) == (0, "")
    assert len(done.stdout.splitlines()) == 1
    assert wrote_line(output).fullmatch(done.stdout.rstrip("\n")), done.stdout
    assert sorted(p.name for p in output.parent.iterdir()) == ["report.html"]  # written atomically: no leftovers
    page = output.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en-GB\">\n")


def test_the_page_s_cards_agree_with_its_charts_and_its_words(run_cli: Run, register_copy: Path) -> None:
    output = register_copy / "report.html"
    done = run_cli("report", "--today", TODAY, "--output", output, cwd=register_copy)
    assert done.returncode == 0, done.stderr
    page = output.read_text("utf-8")
    cards = dict((label, int(value)) for value, label in re.findall(
        r'<span class="card-value">(\d+)</span> <span class="card-label">([^<]+)</span>', page))
    chart = re.search(r'<desc id="by-provider-chart-desc">([^<]+)</desc>', page)
    assert chart is not None
    assert cards["providers with active or planned placements"] == len(chart.group(1).split("; "))
    # a count of one takes the singular
    for value_label in re.findall(r'<span class="card-value">1</span> <span class="card-label">(\w+)', page):
        assert not value_label.endswith("s"), value_label
    assert "1 dates" not in page and "1 errors" not in page
    # a clause is shown as its whole sentence, not the fragment before its marker
    assert ("Any alternative provision should be good quality, registered where appropriate, and delivered by high "
            "quality staff with suitable training, experience and safeguarding checks.") in page
    assert ">registered where appropriate<" not in page
    # a file path may break after a '/', never inside a name
    paths = re.findall(r'<td class="path">([^<]*(?:<wbr>[^<]*)*)</td>', page)
    assert paths and all(path.count("/") == path.count("/<wbr>") > 0 for path in paths), paths
    assert "overflow-wrap: anywhere" not in page


def test_report_writes_markdown_for_a_pull_request(run_cli: Run, register_copy: Path) -> None:
    output = register_copy / "report.md"
    done = run_cli("report", register_copy, "--today", TODAY, "-o", output)
    assert (done.returncode, done.stderr) == (0, "")
    lines = output.read_text("utf-8").splitlines()
    assert lines[:3] == ["# Alternative provision register", "",
                         "Central Region Schools Trust: report for the Education and Standards Committee. "
                         "The register as it stands on Sat 28 Nov 2026."]
    assert "| Riverside Academy | 4 | ████████████████████ |" in lines
    assert "| Oakfield Academy | 3 | ███████████████ |" in lines
    assert "| Brackenridge Farm Skills | riverside-2026-001 (active, from 2026-10-06)<br>riverside-2026-002 " \
           "(active, from 2026-09-09) | riverside-2026-001: approved by Dr Avery Sampleton on 2026-09-17<br>" \
           "riverside-2026-002: approved by Dr Avery Sampleton on 2026-07-06 | ✔ Yes, every placement |" in lines


def test_the_report_is_not_a_gate_it_reports_errors_and_exits_0(run_cli: Run, register_copy: Path) -> None:
    placement = register_copy / "records" / "placements" / "oakfield" / "oakfield-2026-001.yaml"
    text = placement.read_text("utf-8").replace("  name: Ms Robin Testwood", "  name: Someone Else")
    placement.write_text(text, "utf-8")
    line = text[:text.index("Someone Else")].count("\n") + 1
    output = register_copy / "report.md"
    done = run_cli("report", "--today", TODAY, "--output", output, cwd=register_copy)
    assert done.returncode == 0
    assert re.search(r"\. (1 error needs|\d+ errors need) action", done.stdout), done.stdout
    lines = output.read_text("utf-8").splitlines()
    assert (
        "| ✖ Error | oakfield-2026-001 | A behaviour placement must be directed by the Principal of Oakfield Academy "
        "in post on the day of the decision, on or before the start date (2026-09-14). The record says principal "
        "'Someone Else' on 2026-09-03; on that day the Principal was Ms Robin Testwood. Correct decision.by, "
        "decision.name or decision.date. [behaviour-directed-by-principal] | "
        f"`records/placements/oakfield/oakfield-2026-001.yaml:{line}:9` |") in lines


def test_an_output_that_is_neither_html_nor_markdown_is_a_usage_error(run_cli: Run, register_copy: Path) -> None:
    done = run_cli("report", "--today", TODAY, "--output", "report.pdf", cwd=register_copy)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "Error: --output must end in one of .htm, .html, .md (a web page or Markdown), not 'report.pdf'.")
    assert not (register_copy / "report.pdf").exists()


def test_a_folder_without_records_is_not_a_register(run_cli: Run, tmp_path: Path) -> None:
    done = run_cli("report", tmp_path, "--output", tmp_path / "report.html")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"ap-lint: error: {tmp_path} is not a register: it has no records/ folder.\n"


def test_a_broken_report_declaration_stops_with_its_file_and_line(run_cli: Run, register_copy: Path,
                                                                   tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    for part in ("rules", "schemas", "policy"):
        shutil.copytree(REPO_ROOT / part, pack / part)
    report = pack / "rules" / "report.yaml"
    text = report.read_text("utf-8").replace("    group_by: record.school\n", "    group_by: record.school +\n")
    report.write_text(text, "utf-8")
    line = text[:text.index("group_by: record.school +")].count("\n") + 1
    done = run_cli("report", "--today", TODAY, "--pack", pack, "--output", tmp_path / "r.html", cwd=register_copy)
    assert (done.returncode, done.stdout) == (2, "")
    assert re.fullmatch(rf"ap-lint: error: rules/report\.yaml:{line}:15: breakdowns\.by-school\.group_by: the expression stops before it is complete.+\n",
                        done.stderr), done.stderr
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------- the page in a browser

def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium); the browser tests need it")
    return found


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and rows of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, compressed = 8, b""
    width = height = channels = 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace, colour in (2, 6)) == (8, 0, True), "unexpected PNG format"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    raw = zlib.decompress(compressed)
    stride = width * channels
    previous = bytes(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        method, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if method == 2:  # up: the commonest, done without an index loop
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        elif method in (1, 3, 4):
            _unfilter(method, line, previous, channels)
        rows.append(bytes(line))
        previous = rows[-1]
    return width, height, channels, rows


def _unfilter(method: int, line: bytearray, previous: bytes, channels: int) -> None:
    """Undo PNG filter 1 (sub), 3 (average) or 4 (Paeth) in place."""
    for x in range(len(line)):
        left = line[x - channels] if x >= channels else 0
        if method == 1:
            line[x] = (line[x] + left) & 255
            continue
        up = previous[x]
        if method == 3:
            line[x] = (line[x] + ((left + up) >> 1)) & 255
            continue
        up_left = previous[x - channels] if x >= channels else 0
        guess = left + up - up_left
        to_left, to_up, to_up_left = abs(guess - left), abs(guess - up), abs(guess - up_left)
        if to_left <= to_up and to_left <= to_up_left:
            line[x] = (line[x] + left) & 255
        elif to_up <= to_up_left:
            line[x] = (line[x] + up) & 255
        else:
            line[x] = (line[x] + up_left) & 255


class Headings(HTMLParser):
    """The text of every h1 and h2 of a page, and the number of inline SVG charts."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self.charts = 0
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2"):
            self._open = tag
            self.found.append((tag, ""))
        if tag == "svg" and ("role", "img") in attrs:
            self.charts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            tag, text = self.found[-1]
            self.found[-1] = (tag, text + data)


@pytest.fixture(scope="module")
def example_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example register's report, written the way the README tells a new user to."""
    chromium()
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO_ROOT / "records", root / "records")
    done = subprocess.run([sys.executable, "-m", "ap_lint", "report", "--today", TODAY, "--output", "report.html"],
                          cwd=root, env=cli_environment(), capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return root / "report.html"


@pytest.mark.slow
def test_the_page_renders_in_a_browser_with_its_charts(example_page: Path, tmp_path: Path) -> None:
    screenshot = tmp_path / "report.png"
    done = run_chromium(tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1280,2000",
                        example_page.as_uri())
    assert done.returncode == 0, done.stderr
    width, height, channels, rows = png_pixels(screenshot.read_bytes())
    assert (width, height) == (1280, 2000)
    colours = Counter(row[x:x + 3] for row in rows for x in range(0, len(row), channels))
    assert len(colours) > 50, "the page looks blank"
    assert colours.get(b"\xff\xff\xff", 0) < width * height * 0.9, "the page is nearly all white"
    assert colours.get(bytes((0x0b, 0x0c, 0x0c)), 0) > 50_000, "the dark masthead did not render"
    assert colours.get(bytes((0x1d, 0x70, 0xb8)), 0) > 10_000, "the bar charts did not render (no bars in chart blue)"


@pytest.mark.slow
def test_the_rendered_page_has_the_expected_headings(example_page: Path, tmp_path: Path) -> None:
    done = run_chromium(tmp_path / "profile", "--dump-dom", example_page.as_uri())
    assert done.returncode == 0, done.stderr
    headings = Headings()
    headings.feed(done.stdout)
    assert [text for tag, text in headings.found if tag == "h1"] == ["Alternative provision register"]
    assert [text for tag, text in headings.found if tag == "h2"] == EXPECTED_H2
    assert headings.charts == 5


@pytest.mark.slow
def test_the_page_prints(example_page: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    done = run_chromium(tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer", example_page.as_uri())
    assert done.returncode == 0, done.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 3, "the printed report should run to several pages"
