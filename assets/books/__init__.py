"""Books (pure): the workbooks written from the published plan (plan book, feedback, province extracts) and the folders that hold them."""
