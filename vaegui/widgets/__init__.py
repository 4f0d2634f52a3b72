"""Qt widgets that know no session: they draw what they are given and report gestures (docs/gui.md)."""
