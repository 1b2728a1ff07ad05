"""电子档案袋: a person's whole record in one view."""
