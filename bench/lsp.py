"""How fast `ap-lint lsp` answers a keystroke: time from a change to the diagnostics it publishes.

    python bench/lsp.py [--placements 1000] [--keystrokes 20] [--register DIR]

Generates (or reuses) a synthetic register with bench/generate.py, starts `ap-lint lsp` over stdio with a
real LSP client (pygls'), opens one placement and types into it: each keystroke is a full-text change; the
time counted is from sending the change to receiving the diagnostics for that version, the debounce
(100 ms by default) included. Prints the cold open, and the median and worst warm keystroke.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-28"


async def measure(register: Path, keystrokes: int, debounce_ms: float | None) -> dict[str, float]:
    """Open one placement of ``register`` and type ``keystrokes`` characters into it; timings in seconds."""
    client = LanguageClient("ap-lint-bench", "1")
    published: dict[tuple[str, int | None], float] = {}
    arrived = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        published[(params.uri, params.version)] = time.perf_counter()
        arrived.set()

    await client.start_io(sys.executable, "-m", "ap_lint", "lsp", "--stdio")
    options: dict[str, object] = {"today": TODAY}
    if debounce_ms is not None:
        options["debounce_ms"] = debounce_ms
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=register.as_uri(), initialization_options=options))
    client.initialized(types.InitializedParams())
    path = next(iter(sorted((register / "records" / "placements").glob("*/*.yaml"))))
    uri, text = path.as_uri(), path.read_text("utf-8")

    async def wait_for(version: int) -> float:
        while (uri, version) not in published:
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), timeout=120)
        return published[(uri, version)]

    started = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
    cold = await wait_for(1) - started
    anchor = text.index("rationale: ") + len("rationale: ")
    times = []
    for version in range(2, keystrokes + 2):
        text = text[:anchor] + "x" + text[anchor:]  # one more character in a text value
        await asyncio.sleep(0.35)  # a pause longer than the debounce: each keystroke is answered on its own
        sent = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        times.append(await wait_for(version) - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"cold_open": cold, "median": statistics.median(times), "worst": max(times)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--placements", type=int, default=1000)
    parser.add_argument("--keystrokes", type=int, default=20)
    parser.add_argument("--register", type=Path, help="an existing register (default: generate one)")
    parser.add_argument("--debounce-ms", type=float, default=None, help="the server's debounce (default 100)")
    args = parser.parse_args(argv)
    register = args.register or HERE / "out" / f"register-{args.placements}"
    if args.register is None and not (register / "records").is_dir():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--placements", str(args.placements),
                        str(register)], check=True)
    result = asyncio.run(measure(register.resolve(), args.keystrokes, args.debounce_ms))
    print(f"ap-lint lsp on {register}: cold open {result['cold_open'] * 1000:.0f} ms; a keystroke, warm: "
          f"median {result['median'] * 1000:.0f} ms, worst {result['worst'] * 1000:.0f} ms "
          f"(of {args.keystrokes}, debounce included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
