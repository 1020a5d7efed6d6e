"""What a page owes its reader at a given screen width, measured in the browser: every table
cell is at least as wide as its text needs, and nothing is wider than the screen unless it
scrolls inside its own box. Shared by the browser tests of the portal and the admin.

`layout_problems(page)` returns one sentence per problem (an empty list is a pass):

- the page scrolls sideways (document wider than the window);
- a visible element reaches past the right edge of the window, not inside a box that
  scrolls (overflow-x auto/scroll);
- a table cell's content spills out of it (scrollWidth > clientWidth);
- a label cell (th) wraps onto more lines than it has words: "青年律师" is one word and must
  stay on one line; "Young lawyers" may take two lines, never three;
- any cell is squeezed: its text wraps onto more lines than it has words AND holds fewer
  than SQUEEZED characters a line (one character a line is the bug this guards against;
  long prose that wraps at the cell's width is fine);
- a value cell of a table shown as stacked cards (its header row hidden) has no
  data-label, so the reader would see a value without knowing what it is.

Lines are counted from the text's own line boxes (Range.getClientRects of each text node,
grouped by their vertical position), not guessed from heights.
"""

from __future__ import annotations

from typing import Any

# fewer characters a line than this, on a cell that wraps more than its words, is squeezed
SQUEEZED = 4

LAYOUT_PROBLEMS = """
(squeezed) => {
  const width = window.innerWidth;
  const problems = [];
  const name = (el) => {
    const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const id = el.id ? "#" + el.id : "";
    const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  const scrollsSideways = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const inScrollBox = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrollsSideways(a)) return true;
    }
    return false;
  };
  // the line boxes of an element's text: distinct vertical positions of its text fragments
  const lineCount = (el) => {
    const tops = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width > 0 && r.height > 0) tops.push(r.top + r.height / 2);
      }
    }
    tops.sort((a, b) => a - b);
    let lines = 0, last = -Infinity;
    for (const t of tops) {
      if (t - last > 4) lines += 1;  // a new line (fragments of one line share a centre)
      last = t;
    }
    return lines;
  };

  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > width + 1) problems.push(`the page is ${pageWidth}px wide in a ${width}px window`);

  const past = new Set();  // reported once, at the outermost element past the edge
  for (const el of document.body.querySelectorAll("*")) {
    if (!el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !inScrollBox(el)) {
      if (!past.has(el.parentElement)) {
        problems.push(`${name(el)} reaches ${Math.round(r.right)}px, past the ${width}px window`);
      }
      past.add(el);
    }
  }

  for (const cell of document.body.querySelectorAll("th, td")) {
    if (!cell.checkVisibility()) continue;
    const text = (cell.innerText || "").trim();
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push(`${name(cell)} spills out: needs ${cell.scrollWidth}px, has ${cell.clientWidth}px`);
    }
    const table = cell.closest("table");
    const head = table && table.tHead;
    // (a cell spanning columns, "nothing yet", or the value beside its row's own label
    // in a two-cell row such as a total, needs no column label)
    const spans = cell.colSpan > 1;
    const besideItsLabel = cell.parentElement.cells.length === 2 && cell.parentElement.querySelector("th");
    if (cell.tagName === "TD" && head && !head.checkVisibility() && !cell.dataset.label && text && !spans && !besideItsLabel) {
      problems.push(`${name(cell)} is shown as a card without its column's label (data-label)`);
    }
    if (!text) continue;
    const words = text.split(/\\s+/).length;
    const chars = text.replace(/\\s+/g, "").length;
    const lines = lineCount(cell);
    if (cell.tagName === "TH" && lines > words) {
      problems.push(`${name(cell)} wraps onto ${lines} lines (${words} word(s)) at ${cell.clientWidth}px`);
    } else if (lines > words && chars / lines < squeezed) {
      problems.push(`${name(cell)} is squeezed: ${chars} characters on ${lines} lines at ${cell.clientWidth}px`);
    }
  }
  return problems;
}
"""


def layout_problems(page: Any) -> list[str]:
    """Every layout problem of the page as it is now rendered (see the module docstring)."""
    problems: list[str] = page.evaluate(LAYOUT_PROBLEMS, SQUEEZED)
    return [f"{page.url}: {p}" for p in problems]
