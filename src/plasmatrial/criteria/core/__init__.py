"""Disease-neutral machinery: rule rows, predicates, the engine, sources, the response scale,
confirmation, grading, typed options and the response summaries (decision 0270)."""
