"""Cut a French report into passages along its own structure.

Unlike a fixed-size splitter, this reads the layout first:
- headings (Markdown `#`, lines in capitals, lines wholly in `**bold**`) build a
  section path kept on every passage;
- a numbered item (`1.` … `12.`, or `1)`) is one passage, one recommendation,
  even when a page break (a run of blank lines left by PDF extraction) cuts it;
- other text splits on paragraphs; hard-wrapped lines are joined back;
- a short list introduced by a line ending in « : » stays with that line;
- a unit longer than `max_chars` is split on sentence boundaries with
  langchain-text-splitters.

Each `Piece` is a pair of offsets into the text plus its citation fields; the
passage text is always the text between the offsets with white space collapsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.text import collapse

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*\*\*([^*].*?)\*\*\s*$")
_ITEM = re.compile(r"^\s*(\d{1,3})[.)]\s+(?=\S)")
# A bullet: a dash or dot, or a pictograph such as ➡️ or 🌻 used as one.
_BULLET = re.compile(
    r"^\s*(?:[-–—•▪►▶◦·]|\*(?!\*)|[\u2190-\u21FF\u2700-\u27BF\U0001F300-\U0001FAFF]\ufe0f?)(?:\s+|$)"
)
_TERMINAL = ".!?…:;»\")]"
# Sentence ends for the size splitter: after . ! ? … followed by white space.
_SENTENCE_END = r"(?<=[.!?…])\s+"
# Acronyms kept in capitals when a heading in capitals is shown in sentence case.
ACRONYMS = {"ESS", "ONU", "OIT", "ODD", "OCDE", "PIB", "UE", "ONG", "PME", "TPE", "RSE", "SCOP",
            "SCIC", "CIT", "ACI", "IA", "UNTFSSE", "RMB"}


@dataclass(frozen=True)
class Piece:
    """Offsets of one passage in the document text, with its citation fields."""

    start: int
    end: int
    section: tuple[str, ...]
    item: int | None


@dataclass
class _Block:
    kind: str  # "item", "bullet", "label" (a numbered line in capitals) or "para"
    start: int
    end: int
    section: tuple[str, ...]
    item: int | None = None
    tight: bool = False  # begins on the line right after the previous block, no blank line
    alone: bool = False  # a bullet marker alone on its line: the text below is its content


@dataclass
class _Section:
    level: int
    title: str
    markdown: bool
    has_items: bool = False


@dataclass
class _Line:
    start: int  # offset of the first character of the line
    end: int  # offset just past its last non-space character
    body: int  # offset where the content starts (after a number or bullet marker)
    kind: str  # "blank", "heading", "item", "label", "bullet" or "text"
    level: int = 0  # heading level (Markdown only; 0 for other headings)
    title: str = ""
    number: int | None = None
    first: str = field(default="")  # first character of the content


def split_text(text: str, max_chars: int = 1000) -> list[Piece]:
    """Split a document's text into citable pieces.

    >>> t = "## FINANCE\\n\\n1. Créer des fonds.\\n2. Former les\\nopérateurs."
    >>> [(p.section, p.item, t[p.start:p.end]) for p in split_text(t)]
    [(('Finance',), 1, 'Créer des fonds.'), (('Finance',), 2, 'Former les\\nopérateurs.')]
    """
    lines = _classify(text)
    acronyms = ACRONYMS | _body_acronyms(text, lines)
    blocks = _join_lists(_blocks(text, lines, acronyms), text, max_chars)
    blocks = _merge_short(blocks, text, max_chars // 2)
    pieces: list[Piece] = []
    for block in blocks:
        for start, end in _fit(text, block.start, block.end, max_chars):
            pieces.append(Piece(start, end, block.section, block.item))
    return pieces


def _classify(text: str) -> list[_Line]:
    lines, offset = [], 0
    for raw in text.split("\n"):
        lines.append(_classify_line(raw, offset))
        offset += len(raw) + 1
    # A lone numbered line in capitals is a numbered heading; a run of them is a list.
    for i, line in enumerate(lines):
        if line.kind == "label":
            near = [lines[j].kind for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if "label" not in near:
                line.kind, line.level = "heading", 0
    return lines


def _classify_line(raw: str, offset: int) -> _Line:
    stripped = raw.rstrip()
    end = offset + len(stripped)
    content = stripped.lstrip()
    if not content:
        return _Line(offset, offset, offset, "blank")
    lead = offset + len(stripped) - len(content)
    md = _MD_HEADING.match(stripped)
    if md:
        return _Line(offset, end, lead, "heading", len(md.group(1)), md.group(2))
    item = _ITEM.match(stripped)
    if item:
        body = offset + item.end()
        rest = stripped[item.end():]
        kind = "label" if _in_capitals(rest) else "item"
        return _Line(offset, end, body, kind, title=rest, number=int(item.group(1)),
                     first=rest[0])
    bullet = _BULLET.match(stripped)
    if bullet:
        rest = stripped[bullet.end():]
        return _Line(offset, end, offset + bullet.end(), "bullet", first=rest[:1])
    bold = _BOLD_LINE.match(stripped)
    if bold and len(content) <= 150 and bold.group(1).rstrip()[-1:] not in ".;!?":
        return _Line(offset, end, lead, "heading", 0, bold.group(1))
    if _in_capitals(content) and len(content) <= 200 and content[-1] not in ".!?;,":
        return _Line(offset, end, lead, "heading", 0, content)  # a shouted sentence is not
    return _Line(offset, end, lead, "text", first=content[0])


def _in_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def _body_acronyms(text: str, lines: list[_Line]) -> set[str]:
    """Words written in capitals inside ordinary text: ESS, OIT, PIB…"""
    found: set[str] = set()
    for line in lines:
        body = text[line.body:line.end]
        if line.kind in ("text", "item", "bullet") and not _in_capitals(body):
            found.update(re.findall(r"\b[A-ZÀ-Ý]{2,}\b", body))
    return found


def _blocks(text: str, lines: list[_Line], acronyms: set[str]) -> list[_Block]:
    """Group lines into blocks and give each its section path."""
    stack: list[_Section] = []
    blocks: list[_Block] = []
    open_block: _Block | None = None  # the block the next text line may extend
    gap = 0  # blank lines since the last non-blank one
    first_content = next((ln for ln in lines if ln.kind != "blank"), None)
    for line in lines:
        if line.kind == "blank":
            gap += 1
            continue
        tight = gap == 0 and bool(blocks) and open_block is blocks[-1]
        if line.kind == "heading":
            open_block = None
            if not (line is first_content and line.level == 1):  # the document title
                _enter(stack, line, section_label(line.title, acronyms))
        elif line.kind in ("item", "label", "bullet"):
            if line.kind == "item" and stack:
                stack[-1].has_items = True
            number = line.number if line.kind == "item" else None
            block = _Block(line.kind, line.body, line.end, _path(stack), number, tight,
                           alone=line.kind == "bullet" and line.body >= line.end)
            blocks.append(block)
            open_block = None if line.kind == "label" else block
        elif open_block is not None and _extends(text, open_block, line, gap):
            open_block.end = line.end
        else:
            open_block = _Block("para", line.body, line.end, _path(stack), tight=tight)
            blocks.append(open_block)
        gap = 0
    for block in blocks:  # a bullet marker alone on its line: start at the text below it
        while block.start < block.end and text[block.start].isspace():
            block.start += 1
    return [b for b in blocks if b.end > b.start]


def _extends(text: str, block: _Block, line: _Line, gap: int) -> bool:
    """Does this text line carry on the block above it?

    Right below it, yes, unless the block ended a sentence and the line starts
    a new one in capitals: in files without blank lines that is how paragraphs
    (and one-line bullets) end. A numbered item, and a bullet whose marker
    stood alone on its line, run on to the next blank line.
    """
    if gap == 0:
        if block.kind == "item" or block.alone or not line.first.isupper():
            return True
        return text[block.end - 1] not in _TERMINAL
    return _continues(text, block, line, gap)


def _continues(text: str, block: _Block, line: _Line, gap: int) -> bool:
    """Does a text line after blank lines carry on the block before them?

    Yes when it starts in lower case, or when a page break (two or more blank
    lines) falls where the block has not ended its sentence.
    """
    if line.first.islower():
        return True
    return gap >= 2 and text[block.end - 1] not in _TERMINAL


def _enter(stack: list[_Section], line: _Line, title: str) -> None:
    """Push a heading onto the section stack.

    Headings in capitals or bold have no level of their own: under a Markdown
    heading they are its children, after another such heading its siblings. A
    deeper heading right after numbered items starts a sibling section: the
    levels of a PDF extraction are not to be trusted there.
    """
    markdown = line.level > 0
    if markdown:
        level = line.level
    elif stack and not stack[-1].markdown:
        level = stack[-1].level
    else:
        level = stack[-1].level + 1 if stack else 1
    while stack and stack[-1].level >= level:
        stack.pop()
    if stack and stack[-1].has_items:
        stack.pop()
    stack.append(_Section(level, title, markdown))


def _path(stack: list[_Section]) -> tuple[str, ...]:
    return tuple(s.title for s in stack)


def section_label(title: str, acronyms: set[str] = ACRONYMS) -> str:
    """A heading as readers expect it: markup dropped, capitals in sentence case.

    >>> section_label("### **ESS ET UN SYSTÈME FINANCIER PLUS STABLE, RÉSILIENT ET DÉMOCRATIQUE**")
    'ESS et un système financier plus stable, résilient et démocratique'
    >>> section_label("L'INTERNATIONALISATION DE L'ESS DANS LE CADRE DE L'AGENDA 2030 DE L'ONU")
    "L'internationalisation de l'ESS dans le cadre de l'agenda 2030 de l'ONU"
    """
    title = collapse(title.lstrip("#").replace("**", "").replace("__", "")).rstrip(" .:")
    if not _in_capitals(title):
        return title
    lowered = re.sub(r"\w+", lambda m: m.group(0) if m.group(0) in acronyms else
                     m.group(0).lower(), title)
    # a capital to begin the label and each sentence within it
    return re.sub(r"(^|[.!?]\s+)(\w)", lambda m: m.group(1) + m.group(2).upper(), lowered)


def _join_lists(blocks: list[_Block], text: str, max_chars: int) -> list[_Block]:
    """Keep a short list of bullets or labels with the line ending in « : » before it."""
    out: list[_Block] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        j = i + 1
        if block.kind == "para" and text[:block.end].rstrip().endswith(":"):
            while (j < len(blocks) and blocks[j].kind in ("bullet", "label")
                   and blocks[j].section == block.section):
                j += 1
        if j > i + 1 and len(collapse(text[block.start:blocks[j - 1].end])) <= max_chars:
            out.append(_Block("para", block.start, blocks[j - 1].end, block.section,
                              tight=block.tight))
            i = j
        else:
            out.append(block)
            i += 1
    return out


def _merge_short(blocks: list[_Block], text: str, limit: int) -> list[_Block]:
    """Join paragraphs that follow each other with no blank line, up to `limit` characters.

    Files without blank lines (a web page pasted as text) would otherwise give
    one passage per sentence.
    """
    out: list[_Block] = []
    for block in blocks:
        last = out[-1] if out else None
        if (last is not None and block.kind == last.kind == "para" and block.tight
                and block.section == last.section
                and len(collapse(text[last.start:block.end])) <= limit):
            last.end = block.end
        else:
            out.append(block)
    return out


def _fit(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split [start, end) on sentence boundaries into spans of at most max_chars."""
    raw = text[start:end]
    if len(collapse(raw)) <= max_chars:
        return [(start, end)]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=0,
        separators=[r"\n\s*\n", _SENTENCE_END, r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""],
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )
    spans, cursor = [], 0
    for chunk in splitter.split_text(raw):
        at = raw.find(chunk, cursor)
        if at < 0:  # cannot happen for substrings; keep the invariant loudly
            raise AssertionError("splitter returned text not found in its input")
        spans.append((start + at, start + at + len(chunk)))
        cursor = at + len(chunk)
    return spans
