"""Write one marker-delimited table section of ``benchmarks/README.md`` (shared by the harnesses).

The control and escort harnesses each own a block between ``<!-- NAME:begin -->`` and
``<!-- NAME:end -->``; a run replaces that block and leaves the rest of the file alone. When the
markers are missing, the section is appended with its heading and introduction.
"""

from __future__ import annotations

from pathlib import Path


def replace_block(
    path: Path, begin: str, end: str, block: str, *, heading: str, intro: str
) -> None:
    """Put ``block`` between the ``begin`` and ``end`` markers of ``path``."""
    marked = f"{begin}\n{block}{end}"
    text = path.read_text(encoding="utf-8") if path.is_file() else "# signalbrain benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + marked + tail
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n{intro}\n\n" + marked + "\n"
    path.write_text(text, encoding="utf-8")
