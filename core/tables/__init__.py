"""Tables in and out: reading sources, columns, checks, groups of a column, exports that a spreadsheet opens safely."""
