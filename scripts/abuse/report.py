"""What one check found, and the table that shows them all."""

import textwrap


class Result:
    """One check's figures. `held` is the verdict; `detail` says why, in a line or two."""

    def __init__(self, name):
        self.name = name
        self.requests = 0
        self.five_xx = 0
        self.worst_seconds = None
        self.held = False
        self.detail = ""
        self.notes = []

    def count(self, answer):
        """Counts one answer into requests, 5xx and the worst latency."""
        self.requests += 1
        if answer.status is not None and answer.status >= 500:
            self.five_xx += 1
        self.latency(answer.seconds)

    def latency(self, seconds):
        if self.worst_seconds is None or seconds > self.worst_seconds:
            self.worst_seconds = seconds

    def note(self, text):
        self.notes.append(text)


def seconds_text(s):
    if s is None:
        return "-"
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


def mib(kib):
    return "?" if kib is None else f"{kib / 1024:.0f} MiB"


def table(results):
    rows = [("check", "requests", "5xx", "worst latency", "held")]
    for r in results:
        rows.append((r.name, str(r.requests), str(r.five_xx), seconds_text(r.worst_seconds),
                     "yes" if r.held else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                             for i, cell in enumerate(row)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    for r in results:
        text = "; ".join([r.detail] + r.notes) if r.notes else r.detail
        out.append(textwrap.fill(text, width=110, initial_indent=f"{r.name}: ",
                                 subsequent_indent="    "))
    return "\n".join(out)
