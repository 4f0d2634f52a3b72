"""The session and its parts: state, signals and background jobs, with no widgets (docs/gui.md)."""
