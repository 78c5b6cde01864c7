"""AL staging placeholder (filled below)."""
