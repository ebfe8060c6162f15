"""A report `Document` (core/reports/summary.py) as .docx (docxtpl: the default template or a
county's own), .md or .html (self-contained, no network). The writer is chosen by the suffix."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from guanai.core.files import private_target
from guanai.core.reports.summary import Document, Section, Table

SUFFIXES = (".docx", ".md", ".html")


def cell_text(value: Any, percent: bool = False) -> str:
    """A table cell as printed: shares to one decimal (71.4%), numbers with thousands separators
    (UX.md: separators only in tables), nothing for None."""
    from decimal import Decimal
    from fractions import Fraction

    if value is None:
        return "—" if percent else ""
    if percent and isinstance(value, (int, float, Fraction)):
        from guanai.core.render import rate_text

        return rate_text(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,}"  # as exact as it was recorded: 4.5, 12.34
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


_CJK = "\u3400-\u9fff\uff08\uff09\u3001-\u3003\uff0c\uff1a\uff1b\u201c\u201d"


def tight(text: str) -> str:
    """A sentence as Chinese is typeset (GB/T 9704 practice): no half-width space between Chinese
    and a number ("学生 600 人" → "学生600人", "1,470 次" → "1,470次"); words and options in Latin
    letters (guanai, --name-staff) keep theirs."""
    import re

    text = re.sub(f"(?<=[{_CJK}]) +(?=[0-9])", "", text)
    return re.sub(f"(?<=[0-9%]) +(?=[{_CJK}])", "", text)


def tightened(doc: Document) -> Document:
    """The document with every sentence, heading and table title tight (tables' cells are data)."""
    from dataclasses import replace

    def section(s: Section) -> Section:
        return replace(s, heading=tight(s.heading), paragraphs=[tight(p) for p in s.paragraphs],
                       tables=[replace(tb, title=tight(tb.title)) for tb in s.tables],
                       subsections=[section(x) for x in s.subsections])

    return replace(doc, title=tight(doc.title), sections=[section(s) for s in doc.sections],
                   opening=[tight(p) for p in doc.opening], closing=[tight(p) for p in doc.closing])


TITLE_WIDTH = 18  # characters of 22 pt 小标宋 on a line of an A4 page with GB/T 9704 margins


def balanced_title(title: str, width: int = TITLE_WIDTH) -> str:
    """A title too long for one line, broken into two of near-equal length ("西北中学2025年秋季学期" /
    "关爱留守儿童工作总结"), never leaving a word alone on the second line: after a 学期/学年/年/学校
    name nearest the middle, else at the middle."""
    if len(title) <= width:
        return title
    middle = len(title) / 2
    marks = [m.end() for m in __import__("re").finditer(r"学期|学年|中学|小学|学校|年", title)]
    good = [i for i in marks if 4 <= i <= len(title) - 4]
    at = min(good, key=lambda i: abs(i - middle)) if good else round(middle)
    while 0 < at < len(title) and title[at - 1].isdigit() and title[at].isdigit():  # never inside 2025
        at += 1
    return f"{title[:at]}\n{title[at:]}"


def is_number(value: Any) -> bool:
    from decimal import Decimal
    from fractions import Fraction

    return isinstance(value, (int, float, Decimal, Fraction)) and not isinstance(value, bool)


def rows_text(table: Table) -> list[list[str]]:
    return [[cell_text(v, i in table.percent) for i, v in enumerate(row)] for row in table.rows]


def write(doc: Document, path: str, template: str | None = None) -> None:
    """Write `doc` to `path` (a temporary file first, then renamed: never half a file)."""
    target = Path(path)
    suffix = target.suffix.lower()  # X.DOCX is a .docx
    doc = tightened(doc)
    with private_target(target) as tmp:
        if suffix == ".docx":
            to_docx(doc, tmp, template)
        elif suffix == ".md":
            tmp.write_text(to_markdown(doc), encoding="utf-8")
        else:
            tmp.write_text(to_html(doc), encoding="utf-8")


# —— Markdown ——

def to_markdown(doc: Document) -> str:
    out = [f"# {doc.title}", ""]

    def table(tb: Table) -> None:
        right = {i for i, row in enumerate(zip(*tb.rows, strict=False)) if all(is_number(v) or v is None
                                                                              for v in row)} if tb.rows else set()
        out.extend([f"**{_md(tb.title)}**", "", "| " + " | ".join(_md(h) for h in tb.headers) + " |",
                    "| " + " | ".join("---:" if i in right else "---" for i in range(len(tb.headers))) + " |"])
        out.extend("| " + " | ".join(_md(v) for v in row) + " |" for row in rows_text(tb))
        out.append("")

    def section(s: Section, level: int) -> None:
        out.extend([f"{'#' * level} {_md(s.heading)}", ""])
        for text in s.paragraphs:
            out.extend([_md(text), ""])
        for tb in s.tables:
            table(tb)
        for sub in s.subsections:
            section(sub, level + 1)

    for text in doc.opening:
        out.extend([_md(text), ""])
    for s in doc.sections:
        section(s, 2)
    for text in doc.closing:
        out.extend([_md(text), ""])
    out.extend([f"<p align=\"right\">{_md(doc.org_name)}<br>{_md(doc.date_text)}</p>", ""])
    return "\n".join(out)


def _md(text: Any) -> str:
    """Text in Markdown as itself: markup characters a name might hold are escaped."""
    out = str(text)
    for ch in "\\`*_[]#|<>":
        out = out.replace(ch, "\\" + ch)
    return out


# —— HTML ——

HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ doc.title }}</title>
<style>
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }
body { font-family: "FangSong", "仿宋", "STFangsong", "Noto Serif CJK SC", serif; font-size: 16pt;
       line-height: 28pt; color: #111; max-width: 156mm; margin: 2em auto; padding: 0 1em; }
h1 { font-family: "方正小标宋简体", "STZhongsong", "SimSun", "Noto Serif CJK SC", serif; font-size: 22pt;
     line-height: 36pt; text-align: center; font-weight: bold; margin: 0 0 16pt; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal;
     margin: 0; text-indent: 2em; }
h3 { font-family: "KaiTi", "楷体", "STKaiti", "Noto Serif CJK SC", serif; font-size: 16pt; font-weight: normal;
     margin: 0; text-indent: 2em; }
p { margin: 0; text-indent: 2em; }
p.sign { text-align: right; text-indent: 0; }
table { border-collapse: collapse; margin: 8pt auto 12pt; font-size: 12pt; line-height: 18pt; }
caption { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 12pt; margin-bottom: 4pt; }
th, td { border: 1px solid #444; padding: 2pt 6pt; }
th { background: #eef2f6; font-weight: normal; font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
</style></head><body>
<h1>{{ doc.title }}</h1>
{% macro table(tb) %}<table><caption>{{ tb.title }}</caption>
<thead><tr>{% for h in tb.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in tb.text_rows %}<tr>{% for v in row %}<td{% if loop.index0 in tb.numeric %} class="n"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>{% endmacro %}
{% for text in doc.opening %}<p>{{ text }}</p>
{% endfor %}{% for s in doc.sections %}<h2>{{ s.heading }}</h2>
{% for text in s.paragraphs %}<p>{{ text }}</p>
{% endfor %}{% for tb in s.tables %}{{ table(tb) }}{% endfor %}
{% for sub in s.subsections %}<h3>{{ sub.heading }}</h3>
{% for text in sub.paragraphs %}<p>{{ text }}</p>
{% endfor %}{% for tb in sub.tables %}{{ table(tb) }}{% endfor %}
{% endfor %}{% endfor %}
{% for text in doc.closing %}<p>{{ text }}</p>
{% endfor %}<p class="sign">&nbsp;</p>
<p class="sign">{{ doc.org_name }}</p>
<p class="sign">{{ doc.date_text }}</p>
</body></html>
"""


def _with_text(data: Any, tables: list[Table]) -> Any:
    """The document as plain dicts, each table with its cells as text and its numeric columns."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "headers" in node and "rows" in node:
                tb = Table(node["title"], node["headers"], node["rows"], node.get("percent", []))
                numeric = {i for i in range(len(tb.headers))
                           if tb.rows and all(is_number(r[i]) or r[i] is None for r in tb.rows)}
                return {**node, "text_rows": rows_text(tb), "numeric": numeric}
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(data)


def to_html(doc: Document) -> str:
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(autoescape=True)  # names and notes are data: never markup, never code
    return env.from_string(HTML).render(doc=_with_text(asdict(doc), []))


# —— Word ——

def default_template() -> Path:
    return Path(__file__).resolve().parent / "templates" / "summary.docx"


def to_docx(doc: Document, path: Path, template: str | None = None) -> None:
    """The document through a Word template (a county's own with --template): the template is
    data, rendered in Jinja2's sandbox — an expression reaching for Python's insides (os.popen …)
    is refused with the template named, never run."""
    from docxtpl import DocxTemplate
    from jinja2.sandbox import SandboxedEnvironment

    tpl = DocxTemplate(str(template) if template else str(default_template()))

    def section(s: Section) -> dict[str, Any]:
        return {"heading": s.heading, "paragraphs": list(s.paragraphs),
                "tables": [{"title": tb.title, "doc": _table(tpl, tb), "headers": tb.headers,
                            "rows": rows_text(tb)} for tb in s.tables],
                "subsections": [section(sub) for sub in s.subsections]}

    from docxtpl import Listing

    context = {"title": Listing(balanced_title(doc.title)), "org_name": doc.org_name, "date_text": doc.date_text,
               "period_text": doc.period_text, "figures": doc.figures,
               "opening": list(doc.opening), "closing": list(doc.closing),
               "sections": [section(s) for s in doc.sections]}
    try:
        tpl.render(context, jinja_env=SandboxedEnvironment(autoescape=True), autoescape=True)
    except Exception as exc:
        raise _template_refusal(exc, template) from exc
    _properties(tpl.docx.core_properties, doc)
    tpl.save(str(path))


def _properties(props: Any, doc: Document) -> None:
    """The file's properties as the document's, not the template's: its title, the school (or
    bureau) as author, made today — never "（模板）", python-docx or 2013."""
    from datetime import datetime

    now = datetime.now().replace(microsecond=0)
    props.title, props.author, props.last_modified_by = doc.title, doc.org_name, doc.org_name
    props.subject, props.keywords, props.category = doc.period_text, "", ""
    props.comments = ""
    props.created, props.modified = now, now
    props.revision = 1


def _template_refusal(exc: Exception, template: str | None) -> Exception:
    """An expression the sandbox refused, as the user can act on it; anything else goes on up
    (the command names the template for a template's own mistakes)."""
    from guanai.core.diagnostics import Refusal
    from jinja2.exceptions import SecurityError

    if isinstance(exc, SecurityError):
        return Refusal("report.template_unsafe", path=str(template or default_template()), error=str(exc)[:200])
    return exc


def name_font(item: Any, font: str) -> None:
    """Name `font` for a run or a style, East Asian text included (python-docx sets only the Latin
    names): the viewer substitutes its own, never an embedded file."""
    from docx.oxml.ns import qn

    item.font.name = font
    rpr = item.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)


TYPE_AREA_MM = 156  # GB/T 9704: the type area is 156 mm wide
MM_PER_COLUMN = 2.4  # one terminal column (half a Chinese character, 2.1 mm) at 12 pt, room for a wider substitute font
DIGIT_EXTRA = 0.25  # a digit or Latin letter at 12 pt is about 2.9 mm in the substitute fonts, not 2.4
CELL_PADDING_MM = 5  # both cell margins and the grid lines


HEADER_BREAKS = ("其中", "按时", "逾期", "去年同期", "是否", "学籍", "应", "占")  # a header wraps after these


def header_lines(header: str) -> str:
    """A table header as it may wrap: at a word's end, never inside one ("按时完成" → "按时\n完成",
    "其中关爱对象" → "其中\n关爱对象"); a four-character compound between its two words; else whole."""
    if len(header) < 4:  # 应完成, 按时率: short enough to stand whole
        return header
    for head in HEADER_BREAKS:
        if header.startswith(head) and len(header) - len(head) >= 2:
            return f"{head}\n{header[len(head):]}"
    if len(header) == 4 and all("\u4e00" <= ch <= "\u9fff" for ch in header):
        return f"{header[:2]}\n{header[2:]}"
    return header


def fit_columns(headers: list[str], rows: list[list[str]]) -> tuple[list[str], list[float]]:
    """The headers as printed and the column widths in mm, to fit the type area. Numbers, dates,
    ids and short words never wrap; headers wrap only between words (header_lines), and only when
    the table would not fit otherwise; running text (a duty's name) gives way first. A table that
    fits keeps its natural size, centred."""
    from guanai.core.celltext import text_width

    def mm(columns: float) -> float:
        return columns * MM_PER_COLUMN + CELL_PADDING_MM

    def width(text: str) -> float:  # in columns of a Chinese half-character; Latin letters and digits run wider
        return text_width(text) + sum(DIGIT_EXTRA for ch in text if ch.isascii())

    def widest_line(text: str) -> float:
        return max(width(line) for line in text.split("\n"))

    cells = [max([0.0] + [width(r[i]) for r in rows]) for i in range(len(headers))]
    running = [any(text_width(r[i]) > 10 and text_width(r[i]) != len(r[i]) for r in rows) for i in range(len(headers))]

    def fitted(shown: list[str]) -> list[float]:
        need = [mm(max(widest_line(h), cells[i])) for i, h in enumerate(shown)]
        floor = [mm(max(widest_line(h), 8)) if running[i] else need[i] for i, h in enumerate(shown)]
        while sum(need) > TYPE_AREA_MM:
            widest = max(range(len(need)), key=lambda i: need[i] - floor[i])
            if need[widest] <= floor[widest]:
                break
            need[widest] = max(floor[widest], need[widest] - (sum(need) - TYPE_AREA_MM))
        return need

    shown = list(headers)
    widths = fitted(shown)
    def cramped(widths: list[float]) -> bool:
        return sum(widths) > TYPE_AREA_MM or any(running[i] and widths[i] < mm(cells[i]) for i in range(len(widths)))

    # room for running text: a header wider than its column's cells wraps between its words, the
    # one that gains most first, until the running text fits or no header can wrap
    gains = sorted(((widest_line(h) - max(widest_line(header_lines(h)), cells[i]), i) for i, h in enumerate(headers)),
                   reverse=True)
    for gain, i in gains:
        if gain <= 0 or not cramped(widths):
            break
        shown[i] = header_lines(headers[i])
        widths = fitted(shown)
    if any(running) and sum(widths) < TYPE_AREA_MM:  # running text takes the room left, wrapping less
        spare = TYPE_AREA_MM - sum(widths)
        for i in range(len(widths)):
            if running[i]:
                grow = min(spare, mm(cells[i]) - widths[i])
                widths[i] += max(grow, 0)
                spare -= max(grow, 0)
    if sum(widths) > TYPE_AREA_MM:
        widths = [w * TYPE_AREA_MM / sum(widths) for w in widths]
    return shown, widths


def _table(tpl: Any, tb: Table) -> Any:
    """A table as a docxtpl sub-document: a grid, header shaded and repeated on each page, 12 pt
    仿宋 (East Asian font named), numbers right-aligned."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    sub = tpl.new_subdoc()
    text = rows_text(tb)
    table = sub.add_table(rows=1 + len(text), cols=len(tb.headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    numeric = {i for i in range(len(tb.headers))
               if tb.rows and all(is_number(r[i]) or r[i] is None for r in tb.rows)}
    table.autofit = False
    headers, widths = fit_columns(list(tb.headers), text)
    for i, width in enumerate(widths):
        table.columns[i].width = Mm(width)  # the grid (LibreOffice reads it) and each cell (Word does)
        for cell in table.columns[i].cells:
            cell.width = Mm(width)
    for r, values in enumerate([headers, *text]):
        row = table.rows[r]
        if r == 0:  # the header repeats at the top of each page
            trpr = row._tr.get_or_add_trPr()
            trpr.append(trpr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
        for i, value in enumerate(values):
            cell = row.cells[i]
            para = cell.paragraphs[0]
            para.paragraph_format.first_line_indent = Pt(0)
            para.paragraph_format.line_spacing = 1.0
            if r and i in numeric:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif r == 0:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = para.add_run(value)
            run.font.size = Pt(12)
            font = "黑体" if r == 0 else "仿宋"
            name_font(run, font)
            if r == 0:
                shade = cell._tc.get_or_add_tcPr()
                shade.append(shade.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto",
                                                             qn("w:fill"): "EEF2F6"}))
    return sub
