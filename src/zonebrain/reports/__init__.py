"""reports/: the Word documents officials hand in and the Excel lists they work from.

Charts are drawn with matplotlib in a CJK font (:func:`cjk_font_family`); tables show money
from integer fen in 万元; :func:`docx_to_pdf` proves a document opens in LibreOffice.
"""

from zonebrain.reports._excel import export_excel
from zonebrain.reports._fonts import cjk_font_family
from zonebrain.reports._pdf import docx_to_pdf, office_binary
from zonebrain.reports._word import WordReport

__all__ = ["WordReport", "cjk_font_family", "docx_to_pdf", "export_excel", "office_binary"]
