"""The compiled start-tag scanner against its oracle, expat: whatever the scanner returns, expat
reads the same tags and values; what it declines, expat reads; what it calls malformed, expat
rejects."""

from __future__ import annotations

import gzip
import xml.parsers.expat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalbrain.io._xml_kernels import count_byte_kernel
from signalbrain.io._xml_scan import Scanned, Schema, read_all, scan_tags

SCHEMA = Schema(
    (
        ("root", ("a",)),
        ("edge", ("id", "from", "to")),
        ("lane", ("speed",)),
        ("empty", ()),
    )
)


def scanned(doc: str | bytes) -> Scanned | None:
    data = doc.encode() if isinstance(doc, str) else doc
    return scan_tags(bytearray(data), SCHEMA, compiled_only=False)


def scanner_tags(s: Scanned) -> list[tuple[str | None, dict[str, str]]]:
    names = [t for t, _ in SCHEMA.tags]
    out: list[tuple[str | None, dict[str, str]]] = []
    for i, code in enumerate(s.tag.tolist()):
        if code < 0:
            out.append((None, {}))
            continue
        tag, attrs = SCHEMA.tags[code]
        row = np.array([i])
        values = {a: s.column(row, tag, a)[0] for a in attrs}
        out.append((names[code], {a: v for a, v in values.items() if v is not None}))
    return out


def expat_tags(data: bytes) -> list[tuple[str | None, dict[str, str]]]:
    return [(tag, attrs) for tag, attrs, _ in expat_tags_depths(data)]


def expat_tags_depths(data: bytes) -> list[tuple[str | None, dict[str, str], int]]:
    wanted = dict(SCHEMA.tags)
    out: list[tuple[str | None, dict[str, str], int]] = []
    depth = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag not in wanted:
            out.append((None, {}, depth[0]))
        else:
            out.append((tag, {a: v for a, v in attrs.items() if a in wanted[tag]}, depth[0]))
        depth[0] += 1

    def end(tag: str) -> None:
        depth[0] -= 1

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return out


def expat_ok(data: bytes) -> bool:
    try:
        expat_tags(data)
    except xml.parsers.expat.ExpatError:
        return False
    return True


# -- hand-picked documents ----------------------------------------------------------------------
SUMO_LIKE = """<?xml version="1.0" encoding="UTF-8"?>
<!-- generated on a day; options: <edge id="fake"/> & more -->
<root a="1">
    <edge id="e1" from="A" to="B" other="x>y">
        <lane id="e1_0" speed="13.89" shape="0,0 1,1"/>
        <param key="k" value="v"/>
    </edge>
    <edge id = 'e2' from='B'  to="C" ></edge>
    <unknown><edge id="e3"/></unknown>
    text between <empty/>
</root>
"""


def test_sumo_like_document_reads_as_expat_reads_it() -> None:
    s = scanned(SUMO_LIKE)
    assert s is not None
    got = scanner_tags(s)
    assert got == expat_tags(SUMO_LIKE.encode())
    assert got[1] == ("edge", {"id": "e1", "from": "A", "to": "B"})
    assert got[2] == ("lane", {"speed": "13.89"})
    assert got[4] == ("edge", {"id": "e2", "from": "B", "to": "C"})


def test_windows_line_ends_and_a_byte_order_mark() -> None:
    crlf = SUMO_LIKE.replace("\n", "\r\n").encode()
    bom = b"\xef\xbb\xbf" + SUMO_LIKE.encode()
    for doc in (crlf, bom):
        s = scanned(doc)
        assert s is not None
        assert scanner_tags(s) == expat_tags(doc)


def test_non_ascii_values_decode_as_utf8() -> None:
    doc = '<root a="Aachener Straße"><edge id="é1" from="Köln" to="B"/></root>'
    s = scanned(doc)
    assert s is not None
    assert s.text is None  # offsets are bytes: values are decoded one by one
    assert scanner_tags(s) == expat_tags(doc.encode())


@pytest.mark.parametrize(
    "doc",
    [
        '<root a="x &amp; y"/>',  # a reference to decode
        '<root a="line\nbreak"/>',  # white space expat normalises
        '<root a="tab\there"/>',
        '<!DOCTYPE root><root a="1"/>',
        "<root><![CDATA[<edge/>]]></root>",
        '<?xml version="1.0" encoding="ISO-8859-1"?><root a="1"/>',
    ],
)
def test_what_the_scanner_does_not_decode_is_left_to_expat(doc: str) -> None:
    assert scanned(doc) is None
    assert expat_ok(doc.encode("latin-1"))


@pytest.mark.parametrize(
    "doc",
    [
        '<root a="1"><edge id="e"></root>',  # unclosed element
        '<root a="1"></edge>',  # mismatched end tag
        '<root a="1"/><root a="2"/>',  # two roots
        '<root a="1">',  # truncated
        '<root a="1" a="2"/>',  # duplicate attribute
        '<root a="1"b="2"/>',  # no space between attributes
        "<root a=1/>",  # unquoted value
        '<root a="1/>',  # unterminated value
        'x<root a="1"/>',  # text before the root
        '<root a="1"><edge id="<"/></root>',  # '<' in a value
        "<!-- unterminated comment <root/>",
        "",
    ],
)
def test_malformed_documents_are_declined_and_expat_rejects_them(doc: str) -> None:
    assert scanned(doc) is None
    assert not expat_ok(doc.encode())


def test_too_deep_nesting_is_left_to_expat() -> None:
    doc = "<root>" + "<x>" * 300 + "</x>" * 300 + "</root>"
    assert scanned(doc) is None
    assert expat_ok(doc.encode())


# -- generated documents ------------------------------------------------------------------------
_CLEAN_NAMES = ["root", "edge", "lane", "empty", "x", "edges", "ed", "lanes"]
_CLEAN_ATTRS = ["a", "id", "from", "to", "speed", "idx", "t", "fro", "b.c"]
_CLEAN_CHARS = [*"ab 1.,:_-#>/=\"'éß"]


@st.composite
def _element(draw: Any, poison: bool, depth: int = 0) -> str:
    """An element; with ``poison``, names, values and text may hold what XML forbids or what
    the scanner leaves to expat."""
    bad = ["1x", "a$", "-a"] if poison else []
    name = draw(st.sampled_from(_CLEAN_NAMES + bad))
    parts = [f"<{name}"]
    chars = _CLEAN_CHARS + (["&amp;", "<", "&"] if poison else [])
    for attr in draw(st.lists(st.sampled_from(_CLEAN_ATTRS + bad), max_size=4, unique=not poison)):
        quote = draw(st.sampled_from(['"', "'"]))
        value = "".join(draw(st.lists(st.sampled_from(chars), max_size=6))).replace(quote, "")
        eq = draw(st.sampled_from(["=", " = ", "="]))
        space = draw(st.sampled_from([" ", "  ", "\n", "\t", " \r\n "]))
        parts.append(f"{space}{attr}{eq}{quote}{value}{quote}")
    children = draw(st.lists(_element(poison, depth + 1), max_size=3)) if depth < 3 else []
    if not children and draw(st.booleans()):
        parts.append(draw(st.sampled_from(["/>", " />"])))
        return "".join(parts)
    parts.append(">")
    texts = ["", "text", "<!-- c <x> -->", "\n  ", "<?pi x?>"] + (["a & b"] if poison else [])
    for child in children:
        parts.append(draw(st.sampled_from(texts)))
        parts.append(child)
    parts.append(f"</{name}{draw(st.sampled_from(['', ' ']))}>")
    return "".join(parts)


@st.composite
def _document(draw: Any) -> bytes:
    """A document: well-formed and within what the scanner reads, or (half the time) with
    forbidden or undecoded constructs, or truncated."""
    poison = draw(st.booleans())
    head = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>\n', "<!-- h -->\n"]))
    doc = head + draw(_element(poison)) + draw(st.sampled_from(["", "\n", "\n<!-- t -->\n"]))
    data = doc.encode()
    cut = draw(st.none() | st.integers(0, len(data))) if poison else None
    return data if cut is None else data[:cut]


def test_clean_generated_documents_are_all_read() -> None:
    """The generator's clean half is within the scanner's reach (else the property test below
    would compare nothing)."""

    @settings(max_examples=100, deadline=None)
    @given(_element(False))
    def check(doc: str) -> None:
        assert scanned(doc) is not None

    check()


@settings(max_examples=400, deadline=None)
@given(_document())
def test_scanner_agrees_with_expat_whenever_it_answers(data: bytes) -> None:
    s = scan_tags(bytearray(data), SCHEMA, compiled_only=False)
    if s is None:
        return  # declined: expat reads it, or rejects it, as before
    assert scanner_tags(s) == expat_tags(data)
    assert s.depth.tolist() == [d for _, _, d in expat_tags_depths(data)]


def test_read_all_gives_the_rest_of_plain_and_gzip_files(tmp_path: Path) -> None:
    body = b"<root>" + b"<edge id='e'/>" * 5000 + b"</root>"
    plain, packed = tmp_path / "doc.xml", tmp_path / "doc.xml.gz"
    plain.write_bytes(body)
    packed.write_bytes(gzip.compress(body))
    with plain.open("rb") as fh:
        assert read_all(fh) == bytearray(body)
    with plain.open("rb") as fh:
        fh.read(6)  # from where the file stands, as read() would
        assert read_all(fh) == bytearray(body[6:])
    with plain.open("rb", buffering=0) as fh:
        assert read_all(fh) == bytearray(body)
    with gzip.open(packed, "rb") as fh:
        assert read_all(fh) == bytearray(body)
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    with empty.open("rb") as fh:
        assert read_all(fh) == bytearray()


@settings(max_examples=300, deadline=None)
@given(_document(), st.sampled_from(["", "é", "ß"]))
def test_repeated_columns_and_codes_equal_the_plain_column(data: bytes, accent: str) -> None:
    # a value repeated, and (non-ASCII documents decode value by value) an accented one
    data = data.replace(b'"e1"', f'"e1{accent}"'.encode())
    s = scan_tags(bytearray(data), SCHEMA, compiled_only=False)
    if s is None:
        return
    for tag, attrs in SCHEMA.tags:
        rows = s.rows(tag)
        for attr in attrs:
            plain = s.column(rows, tag, attr)
            assert s.column(rows, tag, attr, repeated=True) == plain
            assert s.column(rows, tag, attr, "?", repeated=True) == s.column(rows, tag, attr, "?")
            values, ids = s.codes(rows, tag, attr)
            assert [values[i] if i >= 0 else None for i in ids.tolist()] == plain
            # each value once, in order of first appearance
            assert values == list(dict.fromkeys(v for v in plain if v is not None))


def test_codes_number_equal_values_alike() -> None:
    doc = '<root a="1"><edge id="x"/><edge id="y"/><edge/><edge id="x"/><edge id=""/></root>'
    s = scanned(doc)
    assert s is not None
    values, ids = s.codes(s.rows("edge"), "edge", "id")
    assert values == ["x", "y", ""]
    assert ids.tolist() == [0, 1, -1, 0, 2]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 255))
def test_count_byte_kernel_counts_as_bytes_count(data: bytes, value: int) -> None:
    buf = np.frombuffer(bytearray(data), dtype=np.uint8)
    assert count_byte_kernel(buf, value) == data.count(bytes([value]))
