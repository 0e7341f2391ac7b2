"""Go's text/tabwriter, which every kubectl table and `describe` page goes through.

Cells are tab-terminated; the text after a line's last tab is not a cell and is never padded. A
column is aligned only within a *block* of consecutive lines that all have a cell in it, so a line
without tabs (``Containers:``) starts the alignment afresh: that is why kubectl's describe pages
change their alignment halfway down. Widths count characters (Go counts runes).

kubectl's tables use ``TabWriter(minwidth=6, tabwidth=4, padding=3, remember_widths=True)``
(cli-runtime's GetNewTabWriter with liggitt/tabwriter's RememberWidths, so that the rows of
``get -w`` line up with the table printed before them); describe uses ``TabWriter(0, 8, 2)``.
"""

from __future__ import annotations

__all__ = ["TabWriter", "table_writer", "describe_writer"]


class TabWriter:
    def __init__(self, minwidth: int = 0, tabwidth: int = 8, padding: int = 1, *,
                 remember_widths: bool = False):
        self.minwidth, self.tabwidth, self.padding = minwidth, tabwidth, padding
        self.remember_widths = remember_widths
        self._max_widths: list[int] = []

    def format(self, text: str) -> str:
        """Align text (lines of tab-separated cells) the way tabwriter.Writer + Flush would."""
        if not text:
            return ""
        trailing_newline = text.endswith("\n")
        lines = [line.split("\t") for line in (text[:-1] if trailing_newline else text).split("\n")]
        out: list[str] = []
        self._format(out, [], lines, 0, len(lines))
        return "\n".join(out) + ("\n" if trailing_newline else "")

    def _format(self, out: list[str], widths: list[int], lines: list[list[str]], line0: int,
                line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            # lines[this] has a cell in this column: a column block begins here.
            self._write_lines(out, widths, lines, line0, this)
            line0 = this
            width = self.minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + self.padding)
                this += 1
            width = self._remembered(column, width)
            self._format(out, [*widths, width], lines, line0, this)
            line0 = this
        self._write_lines(out, widths, lines, line0, line1)

    def _remembered(self, column: int, width: int) -> int:
        if not self.remember_widths:
            return width
        while len(self._max_widths) <= column:
            self._max_widths.append(0)
        self._max_widths[column] = max(self._max_widths[column], width)
        return self._max_widths[column]

    @staticmethod
    def _write_lines(out: list[str], widths: list[int], lines: list[list[str]], line0: int,
                     line1: int) -> None:
        for cells in lines[line0:line1]:
            parts = []
            for j, cell in enumerate(cells):
                parts.append(cell)
                if j < len(widths) and j < len(cells) - 1:
                    parts.append(" " * max(0, widths[j] - len(cell)))
            out.append("".join(parts))


def table_writer() -> TabWriter:
    """The tab writer of kubectl's tables (get, events)."""
    return TabWriter(6, 4, 3, remember_widths=True)


def describe_writer() -> TabWriter:
    """The tab writer of kubectl describe (tabbedString)."""
    return TabWriter(0, 8, 2)
