"""GUI tests, laid out like vaegui/."""
