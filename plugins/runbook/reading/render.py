"""What a reader sees of a page's fences, told by the renderer itself.

`Recorder` is a Markdown extension. Added to a Markdown instance (MkDocs' own, for each page it
renders), it notes each fence SuperFences turns into a code block, then follows that block
through the rest of the render: Python-Markdown puts a placeholder where the block goes, and
wherever the placeholder ends up decides what the reader sees: in the page's element tree (or
in raw HTML within it) it is placed, inside the content tabs around it, and when an indented
code block swallows it, SuperFences gives the fence back as text. A placed block is shown if
it is still visible in the page's final HTML: a comment opened anywhere before it, even in raw
HTML far above, may hide it. No rule of Markdown is copied here: lists, lazy lines,
blockquotes and comments are the renderer's business, and it has decided them all by the time
the recorder looks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER

from runbook.reading.fences import Headed, Header, Unread, superfences
from runbook.reading.hidden import concealed, conceals, may_conceal, tags, visible

_PLACEHOLDER = re.compile(re.escape(HTML_PLACEHOLDER).replace("%s", r"([0-9]+)"))
_SHORTCODE = re.compile(r":([\w+-]+):")
_CONTAINERS = frozenset(
    [
        "div",
        "details",
        "section",
        "article",
        "aside",
        "blockquote",
        "figure",
        "main",
        "nav",
        "header",
        "footer",
    ]
)
_IMPLIED = frozenset(
    [
        "li",
        "dd",
        "dt",
        "ul",
        "ol",
        "dl",
        "table",
        "caption",
        "colgroup",
        "col",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "select",
        "option",
        "optgroup",
    ]
)
# Each code block's first tag carries its key through to the final HTML, and no further.
_FIRST_TAG = re.compile(r"^<[A-Za-z][^\s/>]*")
# With a nonce of the render's own, which no page can write by chance or on purpose.
_MARK = ' data-runbook-fence="{}-{}"'
_MARKS = re.compile(_MARK.format("([0-9a-f]{16})", "([0-9]+)"))


@dataclass(frozen=True, slots=True)
class Tab:
    """One content tab that encloses a block: its tab set (numbered from 1 in page order), its
    place in the set (from 0) and its label."""

    group: int
    label: str
    index: int = field(default=0, compare=False)


@dataclass(slots=True)
class RenderedFence(Headed):
    """A fence the renderer made a code block of, and whether and where a reader sees it.

    `line` is its opening line in the text the renderer converted.
    """

    line: int
    header: Header
    text: str
    key: int
    shown: bool = False
    tabs: tuple[Tab, ...] = ()
    # Placed, but hidden by HTML other than a plain comment: browsers may read it otherwise.
    doubtful: bool = False
    # Placed, but hidden by an element (a `hidden` attribute, `display: none`, a <video>): why.
    concealed_by: str | None = None


@dataclass
class Rendering:
    """One render of a page: its Markdown, every fence in page order, and its tab sets."""

    source: str
    fences: list[RenderedFence] = field(default_factory=list)
    tab_sets: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # Each tab set's labels as the page writes them, icon shortcodes and all.
    written_labels: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # The HTML the render made; each block it marks shown, its HTML shows (see `_Visible`),
    # in the order of `order` (by key): the page's order, which footnotes, say, may change.
    html: str | None = None
    order: tuple[int, ...] = ()
    # HTML written inside a tab opens and closes containers unevenly: a browser's tabs may not
    # be the element tree's.
    tabs_unsure: bool = False
    # The page has an element or raw HTML that may hide what it holds (see `hidden.concealed`).
    may_conceal: bool = False


def tab_label(raw: str) -> str:
    """Return a tab's label as Material compares it across tab sets: its text, without icons
    (`:simple-github: GitHub` is `GitHub`), its spacing made single. Icons alone give ``."""
    return " ".join(_SHORTCODE.sub(" ", raw).split())


class Recorder(Extension, Unread):
    """Records what each render shows of its fences; `take` hands a render's record over."""

    def __init__(self) -> None:
        super().__init__()
        self._renderings: list[Rendering] = []

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        rendering = Rendering("")
        self._renderings.append(rendering)
        del self._renderings[:-8]  # a page's own render is taken right after it
        md.preprocessors.register(_Source(md, rendering), "runbook_source", 1000)
        nonce = secrets.token_hex(8)
        _follow_superfences(md, rendering, nonce)
        _follow_indented_code(md, rendering)
        labels: dict[Element, str] = {}
        # Tab labels are read before inline Markdown turns icon shortcodes into SVG.
        md.treeprocessors.register(_Labels(md, labels), "runbook_labels", 21)
        md.treeprocessors.register(_Shown(md, rendering, labels), "runbook_shown", 19)
        # After the raw HTML is back in place (30) and `&` restored (20).
        md.postprocessors.register(_Visible(md, rendering, nonce), "runbook_visible", 5)

    def take(self, source: str) -> Rendering | None:
        """Return the latest record of a render of `source`, and forget every record."""
        found = next((r for r in reversed(self._renderings) if r.source == source), None)
        self._renderings.clear()
        return found


def render(
    text: str, extensions: Sequence[object], configs: Mapping[str, object]
) -> tuple[str, Rendering]:
    """Render Markdown `text` with the given extensions; return its HTML and what it shows."""
    recorder = Recorder()
    others = [extension for extension in extensions if not isinstance(extension, Unread)]
    md = markdown.Markdown(extensions=[*others, recorder], extension_configs=dict(configs))
    html = md.convert(text)
    rendering = recorder.take(text)
    if rendering is None:  # an empty page never reaches the preprocessors
        rendering = Rendering(text)
    return html, rendering


class _Source(Preprocessor):
    def __init__(self, md: markdown.Markdown, rendering: Rendering) -> None:
        super().__init__(md)
        self.rendering = rendering

    def run(self, lines: list[str]) -> list[str]:
        self.rendering.source = "\n".join(lines)
        return lines


def _follow_superfences(md: markdown.Markdown, rendering: Rendering, nonce: str) -> None:
    """Note each fence SuperFences stores, with the placeholder that stands for it."""
    pre = superfences(md)
    store = pre.process_nested_block  # type: ignore[attr-defined]

    def process_nested_block(ws: str, content: str, start: int, end: int) -> None:
        header = Header(
            pre.lang or "",  # type: ignore[attr-defined]
            MappingProxyType(dict(pre.options)),  # type: ignore[attr-defined]
            "",
        )
        text = pre.rebuild_block(pre.code)  # type: ignore[attr-defined]
        stored = len(pre.stack)  # type: ignore[attr-defined]
        store(ws, content, start, end)
        if len(pre.stack) > stored:  # type: ignore[attr-defined]
            found = _PLACEHOLDER.search(pre.stack[-1][0])  # type: ignore[attr-defined]
            if found is not None:
                key = int(found[1])
                rendering.fences.append(RenderedFence(start + 1, header, text, key))
                stash = md.htmlStash.rawHtmlBlocks
                if isinstance(stash[key], str):
                    mark = _MARK.format(nonce, key)
                    stash[key] = _FIRST_TAG.sub(lambda tag: tag[0] + mark, stash[key], count=1)

    pre.process_nested_block = process_nested_block  # type: ignore[attr-defined]


def _follow_indented_code(md: markdown.Markdown, rendering: Rendering) -> None:
    """Note each fence an indented code block swallows: SuperFences gives it back as text."""
    try:
        code = md.parser.blockprocessors["code"]
    except KeyError:
        return
    revert = getattr(code, "revert_greedy_fences", None)
    if revert is None:
        return  # indented code blocks are off, or not SuperFences' own

    def revert_greedy_fences(block: str) -> str:
        if "\x02" in block:
            keys = {int(found[1]) for found in _PLACEHOLDER.finditer(block)}
            for fence in rendering.fences:
                if fence.key in keys:
                    fence.doubtful = True
                    fence.concealed_by = (
                        "an indented code block, which shows its fence as text (it is indented "
                        "four spaces more than the text before it: under a definition list "
                        "without the def_list extension, say)"
                    )
        return revert(block)  # type: ignore[no-any-return]

    code.revert_greedy_fences = revert_greedy_fences  # type: ignore[attr-defined]


class _Labels(Treeprocessor):
    def __init__(self, md: markdown.Markdown, labels: dict[Element, str]) -> None:
        super().__init__(md)
        self.labels = labels

    def run(self, root: Element) -> None:
        for label in root.iter("label"):
            self.labels[label] = label.text or ""


class _Shown(Treeprocessor):
    """Find where each fence's placeholder ended up once inline Markdown is done."""

    def __init__(
        self, md: markdown.Markdown, rendering: Rendering, labels: dict[Element, str]
    ) -> None:
        super().__init__(md)
        self.rendering = rendering
        self.labels = labels

    def run(self, root: Element) -> None:
        self.by_key = {fence.key: fence for fence in self.rendering.fences}
        if not self.by_key:
            return
        self.stash = self.md.htmlStash.rawHtmlBlocks
        self.written: list[list[str]] = []
        self.walk(root, ())

    def walk(self, element: Element, tabs: tuple[Tab, ...]) -> None:
        if conceals(element.tag, element.attrib):
            self.rendering.may_conceal = True
        self.text(element.text, tabs)
        if element.tag == "div" and "tabbed-set" in element.get("class", "").split():
            self.tab_set(element, tabs)
            return
        for child in element:
            self.walk(child, tabs)
            self.text(child.tail, tabs)

    def tab_set(self, element: Element, tabs: tuple[Tab, ...]) -> None:
        """Walk each tab of a tab set inside its own `Tab`; sets are numbered in page order."""
        group = len(self.rendering.tab_sets) + 1
        written: list[str] = []
        blocks: list[Element] = []
        for child in element:
            kind = child.get("class", "")
            if child.tag == "label":  # the legacy layout: input, label, content, input, ...
                written.append(self._written(child))
            elif kind == "tabbed-labels":
                written += [self._written(label) for label in child if label.tag == "label"]
            elif kind == "tabbed-content":
                inner = [block for block in child if block.get("class") == "tabbed-block"]
                blocks += inner or [child]
        labels = [tab_label(label) for label in written]
        self.rendering.tab_sets[group] = tuple(labels)
        self.rendering.written_labels[group] = tuple(written)
        # A tab set written by hand may have more labels or blocks: each block has its label,
        # or its place, and a block with no tab set markup around it is walked as it is.
        for index, block in enumerate(blocks):
            label = labels[index] if index < len(labels) else str(index + 1)
            self.written.append([])  # the HTML an author wrote in this tab, in page order
            self.walk(block, (*tabs, Tab(group, label, index)))
            if _uneven("".join(self.written.pop())):
                self.rendering.tabs_unsure = True

    def _written(self, label: Element) -> str:
        return self.labels.get(label, label.text or "")

    def text(self, text: str | None, tabs: tuple[Tab, ...]) -> None:
        if text and "\x02" in text:
            self.placeholders(_PLACEHOLDER.finditer(text), tabs, ())

    def placeholders(
        self, found: Iterable[re.Match[str]], tabs: tuple[Tab, ...], within: tuple[int, ...]
    ) -> None:
        for match in found:
            key = int(match[1])
            fence = self.by_key.get(key)
            if fence is not None:
                fence.shown, fence.tabs = True, tabs
            elif key < len(self.stash) and key not in within:
                raw = self.stash[key]
                if isinstance(raw, Element):
                    self.walk(raw, tabs)
                    continue
                for written in self.written:
                    written.append(raw)
                if not self.rendering.may_conceal and may_conceal(raw):
                    self.rendering.may_conceal = True
                if "\x02" in raw:  # raw HTML around more blocks
                    self.placeholders(_PLACEHOLDER.finditer(raw), tabs, (*within, key))


def _uneven(html: str) -> bool:
    """Whether HTML written in one tab may move what follows it into another tab, or out of
    it, in a browser: a container (`<div>`, `<details>`, ...) it closes before it opens, or
    leaves open; or any list or table tag, which browsers close and move on rules of their own."""
    depth: dict[str, int] = {}
    for end, name in tags(html):
        if name in _IMPLIED:
            return True
        if name in _CONTAINERS:
            depth[name] = depth.get(name, 0) + (-1 if end else 1)
            if depth[name] < 0:
                return True
    return any(depth.values())


class _Visible(Postprocessor):
    """Keep shown only the placed blocks the final HTML shows, and note their order there; take
    the blocks' marks off."""

    def __init__(self, md: markdown.Markdown, rendering: Rendering, nonce: str) -> None:
        super().__init__(md)
        self.rendering = rendering
        self.nonce = nonce

    def run(self, text: str) -> str:
        # Python-Markdown's toc runs the postprocessors on each heading too: the page's own
        # HTML comes last. `convert` strips what they return.
        self.rendering.html = text.strip()
        if not self.rendering.fences or "data-runbook-fence" not in text:
            return text
        marks = {int(m[2]): m.start() for m in _MARKS.finditer(text) if m[1] == self.nonce}
        shown = visible(text)
        order = [int(key) for nonce, key in _MARKS.findall(shown.text) if nonce == self.nonce]
        # What the render's tree and raw HTML may hide, or attributes added after the tree was
        # walked (attr_list's, always in lower case), without a slower search of the whole page.
        hiding = self.rendering.may_conceal or "hidden" in text or "style=" in text
        if hiding and (spans := concealed(shown.text, check=False)):
            order = self.conceal(shown.text, spans, order)
        seen = set(order)
        for fence in self.rendering.fences:
            if fence.key not in marks:
                continue  # a block the mark could not reach stays as placed
            hidden = fence.shown and fence.key not in seen
            fence.shown = fence.shown and fence.key in seen
            fence.doubtful = fence.concealed_by is not None or (
                hidden and shown.kind_at(marks[fence.key]) != "comment"
            )
        placed = {fence.key for fence in self.rendering.fences if fence.shown}
        self.rendering.order = tuple(key for key in order if key in placed)
        html = _MARKS.sub(lambda found: "" if found[1] == self.nonce else found[0], text)
        self.rendering.html = html.strip()
        return html

    def conceal(self, shown: str, spans: list[tuple[int, int, str]], order: list[int]) -> list[int]:
        """Note each block that an element of the `shown` HTML hides, and why; return `order`
        without them."""
        by_key = {fence.key: fence for fence in self.rendering.fences}
        hidden = set()
        for mark in _MARKS.finditer(shown):
            fence = by_key.get(int(mark[2])) if mark[1] == self.nonce else None
            why = next((why for start, end, why in spans if start <= mark.start() < end), None)
            if fence is not None and why is not None:
                fence.concealed_by = why
                hidden.add(fence.key)
        return [key for key in order if key not in hidden]
