"""Classes: a searchable list of the data set's classes to show, hide or isolate on the map.

With 101 classes (Caltech silhouettes) a legend is useless; here each class has its colour
swatch, its number of test images, and a check box. Search filters the list; "Isolate" shows
only the selected classes (or, with nothing selected, the ones the search matches). What is
hidden lives in the session (`hidden_classes`), which the map follows.
"""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor, QIcon, QPixmap
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from ..widgets.palette import distinct_colours

NAME_ROLE = Qt.UserRole + 1      # the class name, lower case, that the search matches


class ClassesPanel(QWidget):
    """classSearch, classList (checkable), Show all / Hide all / Isolate."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit(objectName="classSearch")
        self.search.setPlaceholderText("Search classes…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type part of a class name to filter the list")
        lay.addWidget(self.search)
        self.list = QListWidget(objectName="classList")
        self.list.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.list.setToolTip("Tick the classes the map shows; select some and press Isolate to show only them")
        lay.addWidget(self.list, 1)
        bar = QHBoxLayout()
        self.show_all_button = QPushButton("Show all", objectName="showAllClassesButton")
        self.hide_all_button = QPushButton("Hide all", objectName="hideAllClassesButton")
        self.isolate_button = QPushButton("Isolate", objectName="isolateClassesButton")
        self.isolate_button.setToolTip("Show only the selected classes (or, with none selected, those the "
                                       "search matches)")
        self.show_all_button.setToolTip("Show every class on the map")
        self.hide_all_button.setToolTip("Hide every class (then tick the ones to show)")
        for b in (self.show_all_button, self.hide_all_button, self.isolate_button):
            bar.addWidget(b)
        lay.addLayout(bar)
        self.note = QLabel("", objectName="classesNote")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.search.textChanged.connect(self._filter)
        self.list.itemChanged.connect(self._on_item_changed)
        self.show_all_button.clicked.connect(lambda: session.set_hidden_classes(frozenset()))
        self.hide_all_button.clicked.connect(lambda: session.set_hidden_classes(frozenset(range(self.list.count()))))
        self.isolate_button.clicked.connect(self.isolate)
        session.dataset_changed.connect(self._rebuild)
        session.classes_changed.connect(self._sync_checks)
        self._rebuild(session.dataset)

    def _rebuild(self, ds) -> None:
        with signals_blocked(self.list):
            self._fill(ds)
        self._filter(self.search.text())
        self._sync_checks(self.session.hidden_classes)

    def _fill(self, ds) -> None:
        self.list.clear()
        names = ds.class_names if ds is not None and ds.y_test is not None and ds.class_names else None
        if names is None:
            self.note.setText("This data set has no labels: the map shows every test image in one colour.")
        else:
            counts = np.bincount(ds.y_test, minlength=len(names))
            for c, (name, colour) in enumerate(zip(names, distinct_colours(len(names)))):
                swatch = QPixmap(12, 12)
                swatch.fill(QColor(*(int(v) for v in colour)))
                item = QListWidgetItem(QIcon(swatch), f"{name}  ({counts[c]})")
                item.setData(Qt.UserRole, c)
                item.setData(NAME_ROLE, name.lower())
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked)
                item.setToolTip(f"Class {c}: {name}, {counts[c]} test images")
                self.list.addItem(item)
            self.note.setText(f"{len(names)} classes")
        for w in (self.search, self.show_all_button, self.hide_all_button, self.isolate_button):
            w.setEnabled(names is not None)

    def _filter(self, text: str) -> None:
        text = text.strip().lower()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(text) and text not in item.data(NAME_ROLE))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        hidden = set(self.session.hidden_classes)
        c = item.data(Qt.UserRole)
        if item.checkState() == Qt.Checked:
            hidden.discard(c)
        else:
            hidden.add(c)
        self.session.set_hidden_classes(frozenset(hidden))

    def _sync_checks(self, hidden) -> None:
        with signals_blocked(self.list):
            for i in range(self.list.count()):
                item = self.list.item(i)
                item.setCheckState(Qt.Unchecked if item.data(Qt.UserRole) in hidden else Qt.Checked)
        n = self.list.count()
        if n:
            self.note.setText(f"{n - len(hidden)} of {n} classes shown")

    def isolate(self) -> None:
        """Show only the selected classes, or the ones the search matches when none is selected."""
        items = [it for it in self.list.selectedItems() if not it.isHidden()]
        if not items:
            items = [self.list.item(i) for i in range(self.list.count()) if not self.list.item(i).isHidden()]
        keep = {it.data(Qt.UserRole) for it in items}
        if keep:
            self.session.set_hidden_classes(frozenset(range(self.list.count())) - keep)
