"""Multiple myeloma rule sets and tables: IMWG response, staging, MRD, eligibility, refractoriness,
drug classes and concordance (decision 0270)."""
