"""Builds the default 工作总结 template (templates/summary.docx), a docxtpl template laid out after
GB/T 9704-2012 as ../shared/UX.md describes: A4, margins 37/35/28/26 mm, title 22 pt 小标宋
centred, body 16 pt 仿宋 with a two-character first-line indent and 28 pt fixed line spacing,
headings 一、 in 黑体 and （一） in 楷体, the unit and the date right-aligned at the end, page
numbers at the foot. Fonts are named (East Asian font set on each style), never embedded.

    python -m guanai.core.reports.make_template      # rewrites templates/summary.docx

A county's own template uses the same variables (docs/reports.md): `title`, `org_name`,
`date_text`, `period_text`, `figures`, `opening` and `closing` (paragraphs before the first
heading and after the last section), and `sections` — each with `heading`, `paragraphs`,
`tables` (inserted with {{p table }}) and `subsections` of the same shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guanai.core.reports.render import name_font

HERE = Path(__file__).resolve().parent / "templates" / "summary.docx"

FONTS = {"title": "方正小标宋简体", "body": "仿宋", "h1": "黑体", "h2": "楷体"}


def _style(doc: Any, name: str, font: str, size: float, bold: bool = False, indent: bool = False,
           align: Any = None, spacing: float = 28) -> Any:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    name_font(style, font)
    style.font.size = Pt(size)
    style.font.bold = bold
    fmt = style.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(spacing)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size * 2)  # two characters
    if align is not None:
        fmt.alignment = align
    return style


def _page_number(section: Any) -> None:
    """A centred "— 1 —" in the footer (a PAGE field)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("— ")
    run = para.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = run._r.makeelement(qn("w:fldChar"), {qn("w:fldCharType"): kind})
        else:
            el = run._r.makeelement(qn("w:instrText"), {qn("xml:space"): "preserve"})
            el.text = text
        run._r.append(el)
    para.add_run(" —")


def build(path: Path = HERE) -> Path:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(25)
    normal = doc.styles["Normal"]
    name_font(normal, FONTS["body"])
    normal.font.size = Pt(16)
    title = _style(doc, "GA Title", FONTS["title"], 22, align=WD_ALIGN_PARAGRAPH.CENTER, spacing=36)
    title.paragraph_format.space_after = Pt(16)
    _style(doc, "GA Subtitle", FONTS["h2"], 16, align=WD_ALIGN_PARAGRAPH.CENTER)
    h1 = _style(doc, "GA Heading 1", FONTS["h1"], 16, indent=True)
    h1.paragraph_format.keep_with_next = True
    h2 = _style(doc, "GA Heading 2", FONTS["h2"], 16, indent=True)
    h2.paragraph_format.keep_with_next = True
    _style(doc, "GA Body", FONTS["body"], 16, indent=True)
    _style(doc, "GA Caption", FONTS["h1"], 12, align=WD_ALIGN_PARAGRAPH.CENTER, spacing=22)
    closing = _style(doc, "GA Closing", FONTS["body"], 16, indent=True)
    closing.paragraph_format.keep_with_next = True  # the closing paragraph stays on the page of the signature
    sign = _style(doc, "GA Signature", FONTS["body"], 16, align=WD_ALIGN_PARAGRAPH.RIGHT)
    sign.paragraph_format.keep_with_next = True  # the unit never on one page and the date on the next
    _page_number(section)

    def para(text: str, style: str = "GA Body") -> None:
        doc.add_paragraph(text, style=style)

    first = doc.paragraphs[0] if doc.paragraphs else None
    if first is not None:
        first._p.getparent().remove(first._p)
    para("{{ title }}", "GA Title")
    para("{%p for text in opening %}", "GA Body")
    para("{{ text }}", "GA Body")
    para("{%p endfor %}", "GA Body")
    para("{%p for s in sections %}", "GA Body")
    para("{{ s.heading }}", "GA Heading 1")
    para("{%p for text in s.paragraphs %}", "GA Body")
    para("{{ text }}", "GA Body")
    para("{%p endfor %}", "GA Body")
    para("{%p for tb in s.tables %}", "GA Body")
    para("{{ tb.title }}", "GA Caption")
    para("{{p tb.doc }}", "GA Body")
    para("{%p endfor %}", "GA Body")
    para("{%p for sub in s.subsections %}", "GA Body")
    para("{{ sub.heading }}", "GA Heading 2")
    para("{%p for text in sub.paragraphs %}", "GA Body")
    para("{{ text }}", "GA Body")
    para("{%p endfor %}", "GA Body")
    para("{%p for tb in sub.tables %}", "GA Caption")
    para("{{ tb.title }}", "GA Caption")
    para("{{p tb.doc }}", "GA Body")
    para("{%p endfor %}", "GA Body")
    para("{%p endfor %}", "GA Body")
    para("{%p endfor %}", "GA Body")
    para("{%p for text in closing %}", "GA Body")
    para("{{ text }}", "GA Closing")
    para("{%p endfor %}", "GA Body")
    para("", "GA Signature")
    para("{{ org_name }}", "GA Signature")
    para("{{ date_text }}", "GA Signature")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.core_properties.title = "关爱留守儿童工作总结（模板）"
    doc.core_properties.author = "guanai"
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build())
