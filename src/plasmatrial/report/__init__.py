"""plasmatrial.report."""
