"""plasmatrial.web."""
