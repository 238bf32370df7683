"""Runtime: the writer lock, child-process isolation, database opening and fault injection points."""
