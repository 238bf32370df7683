"""Consolidate (pure): merge the submissions into one plan, give projects stable ids, list duplicate candidates, sum, audit."""
