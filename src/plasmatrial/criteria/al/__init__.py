"""AL amyloidosis rule sets: haematologic and organ response, measurability, staging (decision 0270)."""
