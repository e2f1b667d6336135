"""The HTML report opens in Qt's own rich-text engine with every picture in place."""

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument

from engine.pipeline import Spec, run
from engine.report import write_report

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def _image_names(document: QTextDocument) -> list[str]:
    names = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            char_format = fragments.fragment().charFormat()
            if char_format.isImageFormat():
                names.append(char_format.toImageFormat().name())
            fragments += 1
        block = block.next()
    return names


def test_the_report_renders_in_qt_with_its_map_curves_and_mean_rows(qapp, tmp_path):
    result = run(Spec(paths=(str(DEMO / "tables"),), use_cache=False, algorithm="agglomerative"))
    write_report(result, tmp_path / "report.html", {"names": {"1": "retirees"}})
    document = QTextDocument()
    document.setHtml((tmp_path / "report.html").read_text(encoding="utf-8"))
    names = _image_names(document)
    assert len(names) == 3  # the map, the k curve, the dendrogram
    for name in names:
        pixmap = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(name))
        assert not pixmap.isNull() and pixmap.width() >= 300
    text = document.toPlainText()
    default = {n.cluster: n.name for n in result.names}[2]  # engine.naming's, e.g. "high income, ..."
    assert "retirees" in text and default in text and "Keywords:" in text and "cluster mean" in text
    assert "e+0" not in text  # incomes read "32,050" as in the cluster panel, not "3.205e+04"
