"""The one reader of stored file versions: many objects in one ``git cat-file --batch``."""

from __future__ import annotations

import re
from typing import Iterable

from ap_lint.errors import GitError
from ap_lint.git.runner import GitRunner


_OBJECT_ID = re.compile(rb"[0-9a-f]{40}|[0-9a-f]{64}")


class BlobReader:
    """Reads file versions from a repository by blob id, or by ``COMMIT:PATH``."""

    def __init__(self, runner: GitRunner) -> None:
        self.runner = runner

    def read(self, names: Iterable[str]) -> dict[str, bytes | None]:
        """The content of each named object: None where git has no such blob (a missing path, a folder).

        One ``git cat-file --batch`` answers them all. A name holding a line break cannot be asked for
        (the batch reads one name a line) and is answered None.
        """
        wanted = sorted(set(names))
        found: dict[str, bytes | None] = dict.fromkeys(wanted)
        asked = [name for name in wanted if "\n" not in name and "\r" not in name]
        if not asked:
            return found
        request = "".join(f"{name}\n" for name in asked).encode("utf-8", "surrogateescape")
        output = self.runner.output("cat-file", "--batch", stdin=request)
        position = 0
        try:
            for name in asked:  # git answers in the order asked
                end = output.index(b"\n", position)
                header = output[position:end].split(b" ")
                position = end + 1
                # "<id> <type> <size>", or "<name> missing" / "<name> ambiguous" (a name may hold spaces)
                if len(header) != 3 or not _OBJECT_ID.fullmatch(header[0]) or not header[2].isdigit():
                    continue
                size = int(header[2])
                if header[1] == b"blob":
                    found[name] = output[position:position + size]
                position += size + 1
        except ValueError:
            raise GitError("git cat-file gave an answer ap-lint cannot read; try again.") from None
        return found
