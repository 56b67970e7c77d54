"""The governors' report: the pack's declaration (spec), the values it shows (model), how they are worked
out from a checked register (build), and the page or Markdown made of them (render)."""

from __future__ import annotations

from ap_lint.output.report.build import build_report
from ap_lint.output.report.render import RENDERER_BY_SUFFIX, render_html, render_markdown
from ap_lint.output.report.spec import REPORT_FILE, ReportSpec, load_report_spec

__all__ = ["REPORT_FILE", "RENDERER_BY_SUFFIX", "ReportSpec", "build_report", "load_report_spec", "render_html",
           "render_markdown"]
