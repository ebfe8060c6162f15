"""Term reports drafted from the data: the 工作总结 (summary.py), the 台账 workbook (ledger.py) and
the county's assessment (county.py). Every figure comes from the functions behind `stats`,
`compliance`, `indicators` and `assign list` — never a second count — so a report and those
commands agree for the same org, period and as_of."""
