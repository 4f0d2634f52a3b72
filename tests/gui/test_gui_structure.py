"""The GUI's layers keep their rules (docs/gui.md): the model owns no widgets, asks nothing and
never sleeps; a panel knows the session, never another panel; a widget knows no session; no
file is over 400 lines and no module imports itself back through others."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "vaegui"
FILES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports (relative imports resolved), at any depth of the file."""
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)     # `from . import x` imports module x
    return found


def internal(path: Path) -> set[str]:
    known = {module_name(p) for p in FILES}
    return {m for m in imports(path) if m in known and m != module_name(path)}


def files_under(layer: str) -> list[Path]:
    return [p for p in FILES if p.relative_to(PACKAGE).parts[0] == layer]


def test_the_layers_are_there():
    for layer in ("model", "panels", "widgets", "commands"):
        assert len(files_under(layer)) >= 3, layer
    assert (PACKAGE / "actions.py").exists() and (PACKAGE / "main_window.py").exists()


@pytest.mark.parametrize("path", files_under("model"), ids=lambda p: p.name)
def test_the_model_has_no_widgets_no_dialogs_and_no_sleep(path):
    text = path.read_text()
    assert not any(m.startswith("PyQt5.QtWidgets") or m.startswith("PyQt5.QtGui") for m in imports(path))
    assert "QMessageBox" not in text and "QDialog" not in text
    assert "sleep" not in text, "the model never waits: it answers a signal"
    assert not any(m.startswith(("vaegui.panels", "vaegui.widgets", "vaegui.commands")) for m in internal(path))


@pytest.mark.parametrize("path", files_under("panels"), ids=lambda p: p.name)
def test_a_panel_never_imports_another_panel(path):
    others = {m for m in internal(path) if m.startswith("vaegui.panels.")}
    assert not others, f"{path.name} imports {others}"
    assert not any(m.startswith(("vaegui.commands", "vaegui.main_window", "vaegui.actions")) for m in internal(path))


@pytest.mark.parametrize("path", files_under("widgets"), ids=lambda p: p.name)
def test_a_widget_knows_no_session(path):
    assert not any(m.startswith(("vaegui.model", "vaegui.panels", "vaegui.commands")) for m in internal(path))
    names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
    names |= {n.arg for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.arg)}
    names |= {n.attr for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Attribute)}
    assert not {n for n in names if "session" in n.lower()}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_file_is_over_400_lines(path):
    assert len(path.read_text().splitlines()) <= 400


def test_no_import_circles():
    graph = {module_name(p): internal(p) - {"vaegui"} for p in FILES}
    done: set[str] = set()

    def circle_from(m, stack):
        """The first import circle reached from m, as a list of modules, or None."""
        if m in stack:
            return stack[stack.index(m):] + [m]
        if m in done:
            return None
        for n in sorted(graph.get(m, ())):
            found = circle_from(n, stack + [m])
            if found:
                return found
        done.add(m)
        return None

    circles = [c for m in sorted(graph) if (c := circle_from(m, []))]
    assert not circles, "import circle: " + " -> ".join(circles[0])


def test_signals_are_blocked_one_way():
    for path in FILES:
        assert "blockSignals(" not in path.read_text(), f"{path.name}: use superqt.utils.signals_blocked"
