"""Read, validate and standardise SDTM-like input (DM, LB, EX, ...)."""
