"""What a report looks like to people: row labels, and the CSV and SVG forms.

Texts people read (labels of months, categories and rows without a key, the chart's
title and axes) are Dutch by default and English with `lang=en`.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

import pygal
from pygal.style import Style

from app.integrations.calendar_feed import category_label
from app.schemas.report import GroupBy, ImpactReport, ImpactRow, ReportLanguage
from app.services.reports_period import Period

# pygal adds an import hook for its map plugins (unused here) to `sys.meta_path`; it has
# no `find_spec`, so every later import that reaches it warns (ImportWarning), which
# breaks the test run (warnings are errors) and costs every import a fallback. Removed.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"
]

MONTH_NAMES: Final[dict[ReportLanguage, tuple[str, ...]]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip
#: The label of a row without a key: gigs without an area, sign-ups without an association.
NO_KEY: Final[dict[tuple[str, ReportLanguage], str]] = {
    ("area", "nl"): "Zonder wijk (online of onbekend)",
    ("area", "en"): "No area (online or unknown)",
    ("association", "nl"): "Zonder vereniging (individueel)",
    ("association", "en"): "No association (individuals)",
}
GROUP_NAMES: Final[dict[ReportLanguage, dict[GroupBy, str]]] = {
    "nl": {"organization": "Organisatie", "area": "Wijk", "category": "Soort klus",
           "association": "Vereniging", "month": "Maand"},
    "en": {"organization": "Organisation", "area": "Area", "category": "Category",
           "association": "Association", "month": "Month"},
}  # fmt: skip
CHART_TEXTS: Final[dict[ReportLanguage, dict[str, str]]] = {
    "nl": {
        "title": "Uren vrijwilligerswerk per {group}",
        "hours": "Uren (geregistreerde aanwezigheid)",
        "no_data": "Geen uren in deze periode",
    },
    "en": {
        "title": "Volunteering hours by {group}",
        "hours": "Hours (recorded attendance)",
        "no_data": "No hours in this period",
    },
}
#: The fields of a row, in the order of the CSV's columns (the JSON's field names).
CSV_FIELDS: Final = tuple(ImpactRow.model_fields)
SVG_MEDIA_TYPE: Final = "image/svg+xml"


def label(group_by: GroupBy, key: str | None, name: str | None, lang: ReportLanguage) -> str:
    """What people call a row: the organisation's or association's name, the area, the
    category or the month in ``lang``; a row without a key says what it holds."""
    if key is None:
        return NO_KEY.get((group_by, lang), "—")
    if group_by == "category":
        return category_label(key, lang=lang)
    if group_by == "month":
        year, month = key.split("-")
        return f"{MONTH_NAMES[lang][int(month) - 1]} {year}"
    return name or key


def day_text(day: date, lang: ReportLanguage) -> str:
    """`1 maart 2026` / `1 March 2026`."""
    return f"{day.day} {MONTH_NAMES[lang][day.month - 1]} {day.year}"


def period_text(period: Period, lang: ReportLanguage) -> str:
    """The period as people write it, both days included."""
    return f"{day_text(period.first_day, lang)} – {day_text(period.last_day, lang)}"


def csv_body(report: ImpactReport) -> bytes:
    """The rows as CSV: a header of the field names, numbers with a dot, UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for row in report.items:
        writer.writerow(_csv_value(getattr(row, field)) for field in CSV_FIELDS)
    return out.getvalue().encode()


def _csv_value(value: Any) -> Any:
    # `repr` of a float is the shortest text that reads back as the same number, with a
    # dot whatever the locale; a missing value is an empty field.
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else value


def csv_filename(group_by: GroupBy, period: Period) -> str:
    """The file name offered for a CSV download."""
    return f"impact-{group_by}-{period.first_day}-{period.last_day}.csv"


def svg_body(
    rows: Sequence[ImpactRow], group_by: GroupBy, period: Period, lang: ReportLanguage
) -> bytes:
    """A bar chart of hours per group with its title, axes and period, in ``lang``.

    Self-contained: pygal's scripts (its inline configuration, and a link to its
    tooltip script on the web) are left out, so the chart needs nothing from elsewhere
    and runs nothing where it is shown; the values are printed on the bars instead.
    """
    texts = CHART_TEXTS[lang]
    group = GROUP_NAMES[lang][group_by]
    chart = pygal.Bar(
        js=[],
        style=_STYLE,
        title=f"{texts['title'].format(group=group.lower())}\n{period_text(period, lang)}",
        x_title=group,
        y_title=texts["hours"],
        show_legend=False,
        print_values=True,
        print_values_position="top",
        x_label_rotation=30 if len(rows) > 6 else 0,
        no_data_text=texts["no_data"],
        value_formatter=(lambda hours: f"{hours:g}".replace(".", ","))
        if lang == "nl"
        else (lambda hours: f"{hours:g}"),
        width=900,
        height=520,
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels = [row.label for row in rows]
    chart.add(texts["hours"], [row.hours for row in rows])
    svg: bytes = chart.render()
    return svg


def _without_scripts(root: Any) -> Any:
    """The chart's element tree without its `<script>` elements (a pygal `xml_filter`)."""
    for parent in list(root.iter()):
        for script in [child for child in parent if _local_name(child.tag) == "script"]:
            parent.remove(script)
    return root


def _local_name(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


_STYLE = Style(
    font_family="'DejaVu Sans', Arial, Helvetica, sans-serif",
    background="white",
    plot_background="white",
    colors=("#2b6cb0",),
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
)
