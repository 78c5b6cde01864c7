"""plasmatrial.design."""
