"""One file a panel: a QWidget that takes the session and never imports another panel (docs/gui.md)."""
