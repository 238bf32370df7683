"""Ingest (pure): route the inbox, read each workbook, parse and validate its rows."""
