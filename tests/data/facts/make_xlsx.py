"""Regenerate the .xlsx rosters in this folder (run once; the files are committed).

They are laid out as schools make them: a merged title row, two-level merged headers
(监护人 over 姓名/关系/电话), real date cells, an Excel serial and a phone stored as a number.
"""

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def roster(path: Path, rows: list[list[object]]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet["A1"] = "示例镇中心小学2025年秋季留守儿童花名册"
    sheet.merge_cells("A1:L1")
    for col, title in zip("ABCDEF", ["学籍号", "姓名", "性别", "出生日期", "班级", "留守类型"], strict=True):
        sheet[f"{col}2"] = title
        sheet.merge_cells(f"{col}2:{col}3")
    sheet["G2"] = "监护人"
    sheet.merge_cells("G2:I2")
    sheet["J2"] = "父亲"
    sheet.merge_cells("J2:L2")
    for col, title in zip("GHIJKL", ["姓名", "关系", "电话", "姓名", "电话", "务工地"], strict=True):
        sheet[f"{col}3"] = title
    for row in rows:
        sheet.append(row)
    book.save(path)


roster(HERE / "roster_s002.xlsx", [
    ["G510722201605060011", "黄小丫", "女", datetime(2016, 5, 6), "三年级1班", "留守", "黄奶奶", "祖母",
     13700001111, "黄大志", "13700002222", "江苏省苏州市"],
    ["G510722201608080024", "吴天", "男", 42590, "三年级1班", "父亲外出", "吴母", "母亲",
     "13700003333", "吴强", None, "重庆市"],
    ["G510722201512120035", "郑多多", "男", "2015年12月12日", "三年级1班", "非留守", None, None, None,
     None, None, None],
])
roster(HERE / "roster_numeric_id.xlsx", [
    [float(510722201605060011), "黄小丫", "女", datetime(2016, 5, 6), "三年级1班", "留守", "黄奶奶", "祖母",
     1370000111.5, "黄大志", "13700002222", "江苏省苏州市"],
])
