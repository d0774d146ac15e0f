"""The rules of an import: columns, cell values, row checks, batch states; pure code."""
