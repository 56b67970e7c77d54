"""Writing files safely: every file ap-lint writes is written atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Callable


def write_atomic(path: Path, content: str | bytes | Callable[[BinaryIO], None], durable: bool = True) -> None:
    """Write ``content`` to ``path`` so that readers see the old file or the new one, never half.

    ``content`` is text, bytes, or a function that writes to the open binary stream (for large files).
    ``durable``: the new content is on the disk before it takes the old one's place (``fsync``), so it
    survives a power cut. A cache, which only makes runs faster, need not wait for that: after a power cut
    its file may be empty or cut short, which its reader takes for no cache.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # only when something is written

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(handle, "wb") as stream:
            if callable(content):
                content(stream)
            else:
                stream.write(content.encode("utf-8") if isinstance(content, str) else content)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
