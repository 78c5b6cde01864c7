"""plasmatrial.endpoints."""
